import Events
import Testing

// MARK: - FixtureTests

@Suite("Golden fixtures: one per event type of the contract")
struct FixtureTests {
    @Test(
        "contract §1.2/§1.3: every event type decodes from its fixture and re-encodes to the same JSON",
        arguments: EventCatalog.allEventTypes)
    func roundTrip(eventType: String) throws {
        let fixture = try Fixtures.bytes(eventType)
        let event = try EventCatalog.decode(fixture)

        #expect(event.type == eventType)
        #expect(event.payload.eventType == eventType)
        #expect(event.topic == EventCatalog.topic(forEventType: eventType))
        #expect(try JSONTree(event.encode()) == JSONTree(fixture))

        // Encoding is deterministic and decoding what we encode gives the same event back.
        let reencoded = try EventCatalog.decode(event.encode())
        #expect(reencoded == event)
        #expect(reencoded.encode() == event.encode())
        try checkTypedEnvelope(event.payload.data, of: event)
    }

    /// The typed `Envelope` of the payload encodes exactly like the decoded event and validates.
    private func checkTypedEnvelope<Payload: EventData>(_ data: Payload, of event: IncomingEvent) throws {
        let envelope = try #require(event.envelope(as: Payload.self))
        #expect(envelope.type == event.type)
        #expect(envelope.encode() == event.encode())
        #expect(envelope.kafkaHeaders().map(\.0) == event.kafkaHeaders().map(\.0))
        try envelope.validate()
        #expect(try Envelope<Payload>(decoding: envelope.encode()) == envelope)
    }

    @Test("every fixture file names a known event type, and every event type has a fixture")
    func fixturesMatchCatalog() throws {
        #expect(try Fixtures.allEventTypes() == EventCatalog.allEventTypes.sorted())
        #expect(EventCatalog.allEventTypes.count == 40)
    }

    @Test("the payload case matches the type for the input fixtures")
    func payloadCases() throws {
        guard case .visitArrived(let arrived) = try Fixtures.event("bank.branch.visit-arrived.v1").payload else {
            Issue.record("not .visitArrived")
            return
        }
        #expect(arrived.signals == [.largeCash, .privateCar, .occupation(.businessOwner)])
        #expect(arrived.amount == Amount(units: 500_000))
        guard case .customerProfile(let profile) = try Fixtures.event("bank.core.customer-profile.v1").payload else {
            Issue.record("not .customerProfile")
            return
        }
        #expect(profile.financials?.surplus == Amount(minorUnits: -320_050))
        #expect(profile.asOf == BusinessDate(year: 2026, month: 11, day: 22))
        guard case .productSold(let sale) = try Fixtures.event("bank.crm.product-sold.v1").payload else {
            Issue.record("not .productSold")
            return
        }
        #expect(sale.riskAssessment?.signedInPerson == true)
        guard case .deadLetter(let letter) = try Fixtures.event("concierge.deadletter.v1").payload else {
            Issue.record("not .deadLetter")
            return
        }
        #expect(letter.originalValue == Array(#"{"specversion":"1.0"}"#.utf8))
    }

    @Test("contact phone numbers never appear in an event's description or dump")
    func contactPhoneIsRedacted() throws {
        guard case .visitArrived(let arrived) = try Fixtures.event("bank.branch.visit-arrived.v1").payload else {
            Issue.record("not .visitArrived")
            return
        }
        var dumped = ""
        dump(arrived, to: &dumped)
        for text in [String(describing: arrived), String(reflecting: arrived), dumped] {
            #expect(!text.contains("0013"))
            #expect(text.contains("<redacted>"))
        }
    }
}
