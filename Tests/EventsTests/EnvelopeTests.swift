import Events
import Testing

// MARK: - EnvelopeTests

@Suite("Envelope: producing CloudEvents")
struct EnvelopeTests {
    private func routed() throws -> VisitRouted.V1 {
        VisitRouted.V1(
            visitId: "V20261123-SH001-0042", branchId: "SH001", customerId: "C000123", zone: .vipRoom, priority: true,
            reason: "tier C VIP (C-07)", purpose: .wealthConsultation,
            at: try Timestamp(rfc3339: "2026-11-23T09:15:02.410+08:00"))
    }

    @Test("defaults: spec version 1.0, JSON content type, type and topic from the payload, a fresh UUID id")
    func defaults() throws {
        let envelope = Envelope(source: "concierge/intake", data: try routed())
        #expect(envelope.specVersion == "1.0")
        #expect(envelope.type == "concierge.intake.visit-routed.v1")
        #expect(envelope.topic == Topics.intakeEvents)
        #expect(envelope.dataContentType == "application/json")
        #expect(envelope.id.count == 36)
        #expect(envelope.id == envelope.id.lowercased())
        #expect(Envelope(source: "concierge/intake", data: try routed()).id != envelope.id)
        #expect(envelope.time.utcOffsetSeconds == 0)
    }

    @Test("an event caused by another carries its id as causation and keeps the correlation")
    func causation() throws {
        let cause = try Fixtures.event("bank.branch.visit-arrived.v1")
        let envelope = Envelope(source: "concierge/intake", causedBy: cause, data: try routed())
        #expect(envelope.causationID == cause.id)
        #expect(envelope.correlationID == "visit/V20261123-SH001-0042")
    }

    @Test("encoding is canonical: sorted keys, no white space, slashes unescaped")
    func canonicalEncoding() throws {
        let envelope = Envelope(
            id: "e-1", source: "concierge/intake", time: try Timestamp(rfc3339: "2026-11-23T09:15:02.410+08:00"),
            data: try routed())
        let text = String(decoding: envelope.encode(), as: UTF8.self)
        #expect(
            text
                == #"{"data":{"at":"2026-11-23T09:15:02.410+08:00","branchId":"SH001","customerId":"C000123","#
                + #""priority":true,"purpose":"wealth_consultation","reason":"tier C VIP (C-07)","#
                + #""visitId":"V20261123-SH001-0042","zone":"vip_room"},"datacontenttype":"application/json","#
                + #""id":"e-1","source":"concierge/intake","specversion":"1.0","#
                + #""time":"2026-11-23T09:15:02.410+08:00","type":"concierge.intake.visit-routed.v1"}"#)
    }

    @Test("Kafka headers for structured mode")
    func headers() throws {
        let envelope = Envelope(id: "e-1", source: "concierge/intake", data: try routed())
        let headers = envelope.kafkaHeaders().map { ($0.0, String(decoding: $0.1, as: UTF8.self)) }
        #expect(headers.map(\.0) == ["ce_specversion", "ce_id", "ce_type", "ce_source", "content-type"])
        #expect(
            headers.map(\.1) == [
                "1.0", "e-1", "concierge.intake.visit-routed.v1", "concierge/intake", "application/cloudevents+json",
            ])
    }

    @Test("validate checks the envelope and the payload")
    func validate() throws {
        var envelope = Envelope(id: "", source: "concierge/intake", data: try routed())
        #expect(throws: EventValidationError(field: "id", reason: "must not be empty")) { try envelope.validate() }
        envelope.id = "e-1"
        envelope.data.branchId = " "
        #expect(throws: EventValidationError(field: "data.branchId", reason: "must not be empty")) {
            try envelope.validate()
        }
    }

    @Test("decoding into the wrong payload type is an unknown event type")
    func typedDecoding() throws {
        let bytes = try Fixtures.bytes("bank.branch.visit-served.v1")
        #expect(try Envelope<VisitServed.Latest>(decoding: bytes).data.staffId == "S0042")
        #expect(throws: EventDecodingError(code: .unknownEventType, reason: "")) {
            try Envelope<VisitLeft.Latest>(decoding: bytes)
        }
    }
}
