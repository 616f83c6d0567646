import Events
import Testing

// MARK: - CatalogTests

@Suite("EventCatalog and Topics")
struct CatalogTests {
    @Test("contract §1.2/§1.3: the twelve topics")
    func topics() {
        #expect(
            Topics.all == [
                "branch.visits", "branch.complaints", "callcentre.escalations", "customer.profiles", "staff.directory",
                "crm.activities", "intake.events", "assignment.events", "engagement.events", "complaints.events",
                "scoring.events", "concierge.deadletter",
            ])
    }

    @Test("contract §1.2/§1.3: event types per topic")
    func typesPerTopic() {
        #expect(
            EventCatalog.eventTypes(onTopic: Topics.branchVisits) == [
                "bank.branch.visit-arrived.v1", "bank.branch.visit-signal.v1", "bank.branch.visit-served.v1",
                "bank.branch.visit-left.v1",
            ])
        let counts = Topics.all.map { EventCatalog.eventTypes(onTopic: $0).count }
        #expect(counts == [4, 1, 1, 1, 1, 3, 4, 6, 4, 9, 5, 1])
        #expect(EventCatalog.eventTypes(onTopic: "no.such.topic").isEmpty)
    }

    @Test("every type names its topic, and output types follow concierge.<service>.<name>.v1")
    func typeNames() {
        for type in EventCatalog.allEventTypes {
            let topic = EventCatalog.topic(forEventType: type)
            #expect(topic.map(Topics.all.contains) == true)
            #expect(type.hasSuffix(".v1"))
            if let topic, Topics.outputs.contains(topic), topic != Topics.deadLetter {
                let service = String(topic.dropLast(".events".count))
                #expect(type.hasPrefix("concierge.\(service)."))
            }
        }
        #expect(EventCatalog.topic(forEventType: "concierge.deadletter.v1") == "concierge.deadletter")
        #expect(EventCatalog.topic(forEventType: "bank.branch.visit-arrived.v2") == nil)
    }

    @Test("decoding on the right topic succeeds")
    func rightTopic() throws {
        let event = try EventCatalog.decode(try Message.visitArrived(), onTopic: Topics.branchVisits)
        #expect(event.topic == Topics.branchVisits)
        #expect(event.partitionKey == "V20261123-SH001-0042")
    }

    @Test("unknown data fields are ignored: adding an optional field is not a new version")
    func unknownFieldsIgnored() throws {
        let event = try EventCatalog.decode(try Message.visitArrived { $0["queueScreen"] = ["row": 3] })
        guard case .visitArrived(let arrived) = event.payload else {
            Issue.record("not .visitArrived")
            return
        }
        #expect(arrived.visitId == "V20261123-SH001-0042")
    }
}
