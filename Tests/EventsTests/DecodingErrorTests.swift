import Events
import Foundation
import Testing

// MARK: - DecodingErrorTests

@Suite("EventDecodingError: every code, with a reason that names the field")
struct DecodingErrorTests {
    // MARK: - malformedJSON

    @Test(
        "malformed JSON is reported with the byte position",
        arguments: [
            #"{"specversion":"1.0","id":"x""#, #"{"specversion":"1.0",}"#, #"{'id':'x'}"#, #"{"a":01}"#,
            #"{"a":1.}"#, #"{"a":tru}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{} {}"#, "", "   ",
            "{\"a\":\"line\nbreak\"}", #"{"a":"\u0000"}"#,
        ])
    func malformed(text: String) {
        let error = decodingError(Array(text.utf8))
        #expect(error?.code == .malformedJSON)
        #expect(error?.reason.contains("malformed JSON at byte") == true)
    }

    @Test("invalid UTF-8 is malformed JSON")
    func invalidUTF8() throws {
        var bytes = try Message.visitArrived()
        let index = try #require(bytes.firstIndex(of: UInt8(ascii: "S")))
        bytes[index] = 0xC3  // a lead byte without its continuation
        let error = decodingError(bytes)
        #expect(error?.code == .malformedJSON)
        #expect(error?.reason == "the message is not valid UTF-8")
    }

    @Test("a member that appears twice is malformed, so no reader can see a different value")
    func duplicateMember() {
        let error = decodingError(Array(#"{"type":"a","data":{"visitId":"V1","visitId":"V2"},"type":"b"}"#.utf8))
        #expect(error?.code == .malformedJSON)
        #expect(error?.reason == #"data.visitId: member "visitId" appears twice"#)
    }

    // MARK: - notACloudEvent

    @Test(
        "contract §1.1: missing or invalid envelope attributes",
        arguments: [
            (["specversion": NSNull()], "specversion: required CloudEvents attribute is missing"),
            (["specversion": "0.3"], #"specversion: "0.3" is not supported; only "1.0" is"#),
            (["id": NSNull()], "id: required CloudEvents attribute is missing"),
            (["id": ""], "id: must not be empty"),
            (["id": String(repeating: "x", count: 201)], "id: is longer than 200 characters"),
            (["id": 42], "id: expected a string, found a number"),
            (["source": NSNull()], "source: required CloudEvents attribute is missing"),
            (["type": NSNull()], "type: required CloudEvents attribute is missing"),
            (["time": NSNull()], "time: required CloudEvents attribute is missing"),
            (["time": "2026-11-23 09:15"], #"time: "2026-11-23 09:15" is not an RFC 3339 timestamp"#),
            (["datacontenttype": "text/xml"], #"datacontenttype: "text/xml" is not application/json"#),
            (["subject": ["customer", "C000123"]], "subject: expected a string, found an array"),
        ] as [([String: any Sendable], String)])
    func envelopeAttributes(envelope: [String: any Sendable], expected: String) throws {
        let error = decodingError(try Message.event(data: Message.visitArrivedData(), envelope: envelope))
        #expect(error?.code == .notACloudEvent)
        #expect(error?.reason.hasPrefix(expected) == true, "\(error?.reason ?? "")")
    }

    @Test("a JSON value that is not an object is not a CloudEvent")
    func notAnObject() {
        let error = decodingError(Array(#"[{"specversion":"1.0"}]"#.utf8))
        #expect(error?.code == .notACloudEvent)
        #expect(error?.reason == "the message is an array, not a CloudEvents JSON object (structured mode)")
    }

    @Test("datacontenttype with a charset parameter is still JSON")
    func contentTypeWithCharset() throws {
        let bytes = try Message.event(
            data: Message.visitArrivedData(), envelope: ["datacontenttype": "application/json; charset=utf-8"])
        #expect(try EventCatalog.decode(bytes).dataContentType == "application/json; charset=utf-8")
    }

    @Test("errors carry the event's id and type when they could be read")
    func errorContext() throws {
        let error = decodingError(try Message.visitArrived { $0["purpose"] = "teleport" })
        #expect(error?.eventID == "0d6f0c8e-3a55-4a8c-9a9f-1f3e2a4b5c6d")
        #expect(error?.eventType == "bank.branch.visit-arrived.v1")
    }

    // MARK: - unknownEventType

    @Test("contract §1.1: an unknown future version is an unknown type, naming the versions we know")
    func unknownVersion() throws {
        let error = decodingError(try Message.event(type: "bank.branch.visit-arrived.v2", data: [:]))
        #expect(error?.code == .unknownEventType)
        #expect(
            error?.reason
                == #"type "bank.branch.visit-arrived.v2" is a version this build does not understand"#
                + " (known: bank.branch.visit-arrived.v1)")
        #expect(error?.eventType == "bank.branch.visit-arrived.v2")
    }

    @Test("an unknown type on a topic lists what the topic carries")
    func unknownTypeOnTopic() throws {
        let error = decodingError(
            try Message.event(type: "bank.branch.visit-teleported.v1", data: [:]),
            onTopic: Topics.branchVisits)
        #expect(error?.code == .unknownEventType)
        #expect(error?.reason.contains("is not a known event type on topic branch.visits") == true)
        #expect(error?.reason.contains("bank.branch.visit-served.v1") == true)
    }

    @Test("a known type read from the wrong topic is unknown there")
    func wrongTopic() throws {
        let error = decodingError(try Message.visitArrived(), onTopic: Topics.crmActivities)
        #expect(error?.code == .unknownEventType)
        #expect(
            error?.reason == #"type "bank.branch.visit-arrived.v1" belongs on topic branch.visits, not crm.activities"#)
    }

    // MARK: - invalidData

    @Test(
        "data problems name the JSON path",
        arguments: [
            ("visitId", nil, "data.visitId: required field is missing"),
            ("visitId", NSNull(), "data.visitId: must not be null"),
            ("visitId", 42, "data.visitId: expected a string, found a number"),
            ("purpose", "teleport", #"data.purpose: "teleport" is not one of cash_large, cash_small, utility_payment"#),
            ("arrivedAt", "2026-02-30T09:00:00Z", "data.arrivedAt: \"2026-02-30T09:00:00Z\" is not an RFC 3339"),
            ("signals", ["large_cash", 7] as [any Sendable], "data.signals[1]: expected a string, found a number"),
            ("signals", "large_cash", "data.signals: expected an array, found a string"),
            ("recordedByRole", "wealth_manager", "data.recordedByRole: wealth_manager is not one of lobby_manager"),
        ] as [(String, (any Sendable)?, String)])
    func invalidData(field: String, value: (any Sendable)?, expected: String) throws {
        let error = decodingError(try Message.visitArrived { $0[field] = value })
        #expect(error?.code == .invalidData)
        #expect(error?.reason.hasPrefix(expected) == true, "\(error?.reason ?? "")")
    }

    @Test(
        "H-07 instants and dates outside 1900–2999 are invalid data naming the field, the edges are accepted",
        arguments: [
            ("arrivedAt", "9999-12-31T23:59:59.999+14:00", "data.arrivedAt: \"9999-12-31T23:59:59.999+14:00\" is not accepted: year 9999 is outside the years Concierge accepts, 1900–2999"),
            ("arrivedAt", "1899-12-31T23:59:59.999+08:00", "data.arrivedAt: \"1899-12-31T23:59:59.999+08:00\" is not accepted: year 1899"),
            ("arrivedAt", "0001-01-01T00:00:00.000Z", "data.arrivedAt: \"0001-01-01T00:00:00.000Z\" is not accepted: year 0001"),
            // The year is read in the offset the instant is written with.
            ("arrivedAt", "3000-01-01T00:00:00.000+08:00", "data.arrivedAt: \"3000-01-01T00:00:00.000+08:00\" is not accepted: year 3000"),
        ] as [(String, String, String)])
    func unsupportedYears(field: String, value: String, expected: String) throws {
        let error = decodingError(try Message.visitArrived { $0[field] = value })
        #expect(error?.code == .invalidData)
        #expect(error?.reason.hasPrefix(expected) == true, "\(error?.reason ?? "")")
        // The envelope time likewise.
        let envelope = decodingError(try Message.event(data: Message.visitArrivedData(), envelope: ["time": value]))
        #expect(envelope?.code == .notACloudEvent)
        #expect(envelope?.reason.contains("is not accepted: year") == true, "\(envelope?.reason ?? "")")
        // Dates: a customer profile's asOf.
        let date = String(value.prefix(10))
        var profile = try JSONSerialization.jsonObject(with: Data(Fixtures.bytes("bank.core.customer-profile.v1")))
            as! [String: Any]
        var data = profile["data"] as! [String: Any]
        data["asOf"] = date
        profile["data"] = data
        let dated = decodingError([UInt8](try JSONSerialization.data(withJSONObject: profile)))
        #expect(dated?.code == .invalidData)
        #expect(dated?.reason.hasPrefix("data.asOf: \"\(date)\" is not accepted: year") == true, "\(dated?.reason ?? "")")
    }

    @Test("H-07 the first and last accepted days decode", arguments: ["1900-01-01T00:00:00.000+08:00", "2999-12-31T23:59:59.999-12:00"])
    func supportedEdges(value: String) throws {
        let event = try EventCatalog.decode(try Message.visitArrived { $0["arrivedAt"] = value })
        #expect(event.id.isEmpty == false)
        #expect(BusinessDate.supportProblem(year: 1900) == nil && BusinessDate.supportProblem(year: 2999) == nil)
        #expect(BusinessDate.supportProblem(year: 3000) != nil && BusinessDate.supportProblem(year: 1899) != nil)
    }

    @Test("a missing or non-object data is invalid data")
    func missingData() throws {
        let missing = decodingError(try Message.event(data: NSNull()))
        #expect(missing?.code == .invalidData)
        #expect(missing?.reason == "data: required object is missing")
        let text = decodingError(try Message.event(data: "hello"))
        #expect(text?.reason == "data: expected an object, found a string")
    }

    @Test("integers out of range and fractions are reported with their path")
    func integers() throws {
        var data =
            try JSONSerialization.jsonObject(with: Data(Fixtures.bytes("concierge.deadletter.v1")))
            as? [String: Any] ?? [:]
        var letter = data["data"] as? [String: Any] ?? [:]
        letter["partition"] = 3_000_000_000
        data["data"] = letter
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: data))
        #expect(decodingError(bytes)?.reason == "data.partition: 3000000000 is out of range for Int32")
        letter["partition"] = 1.5
        data["data"] = letter
        let fraction = [UInt8](try JSONSerialization.data(withJSONObject: data))
        #expect(decodingError(fraction)?.reason == "data.partition: 1.5 is not a whole number")
    }

    // MARK: - forbiddenField and limitExceeded

    @Test("H-07 a credential field is reported without its value")
    func forbidden() throws {
        let error = decodingError(try Message.visitArrived { $0["cardPin"] = "864209" })
        #expect(error?.code == .forbiddenField)
        #expect(error?.path == "data.cardPin")
        #expect(error?.reason.contains("data.cardPin") == true)
        #expect(error?.reason.contains("864209") == false)
        #expect(error?.containsCredentials == true)
        #expect(error?.eventType == "bank.branch.visit-arrived.v1")
    }

    @Test("an over-long string exceeds the limit")
    func limit() throws {
        let error = decodingError(try Message.visitArrived { $0["ticket"] = String(repeating: "A", count: 5000) })
        #expect(error?.code == .limitExceeded)
        #expect(error?.reason == "data.ticket: a string is longer than 4096 characters")
    }

    @Test("errors compare by code only and describe themselves")
    func equality() {
        let first = EventDecodingError(code: .invalidData, reason: "data.a: x")
        let second = EventDecodingError(code: .invalidData, reason: "data.b: y")
        #expect(first == second)
        #expect(first != EventDecodingError(code: .malformedJSON, reason: "data.a: x"))
        #expect(first.description == "EventDecodingError.invalidData: data.a: x")
    }
}
