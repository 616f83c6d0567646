import class Foundation.JSONEncoder

// MARK: - EventEncoding

/// The one way events are written: deterministic JSON and the Kafka headers that go with it.
public enum EventEncoding {
    /// `application/json`, the only `datacontenttype` of the contract.
    public static let jsonContentType = "application/json"
    /// `application/cloudevents+json`, the Kafka `content-type` of a structured-mode event.
    public static let cloudEventsContentType = "application/cloudevents+json"

    /// A new encoder configured like the shared one: sorted keys, slashes unescaped, no pretty printing. Amounts,
    /// timestamps and dates encode themselves as strings, so no date or number strategy is involved.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The shared encoder; never reconfigured after creation.
    private static let encoder = makeEncoder()

    /// Encodes an event value.
    ///
    /// - Important: Event types contain only strings, integers, booleans and nested values of the same kinds, which
    ///   `JSONEncoder` cannot fail to encode; a failure is a programming error and stops the process.
    static func encode(_ value: some Encodable) -> [UInt8] {
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("an event failed to encode: \(error)")
        }
    }

    /// The Kafka headers for a structured-mode CloudEvent, so that routers can read the type without parsing the
    /// value: `ce_specversion`, `ce_id`, `ce_type`, `ce_source` and `content-type: application/cloudevents+json`.
    ///
    /// - Parameters:
    ///   - id: The event's `id`.
    ///   - type: The event's `type`.
    ///   - source: The event's `source`.
    /// - Returns: Header names and UTF-8 values, in that order.
    public static func kafkaHeaders(id: String, type: String, source: String) -> [(String, [UInt8])] {
        [
            ("ce_specversion", Array("1.0".utf8)),
            ("ce_id", Array(id.utf8)),
            ("ce_type", Array(type.utf8)),
            ("ce_source", Array(source.utf8)),
            ("content-type", Array(cloudEventsContentType.utf8)),
        ]
    }
}

// MARK: - WireEnvelope

/// The JSON shape of an event, shared by ``Envelope`` and ``IncomingEvent``.
struct WireEnvelope: Encodable {
    let id: String
    let source: String
    let type: String
    let time: Timestamp
    let subject: String?
    let dataContentType: String?
    let correlationID: String?
    let causationID: String?
    let data: any EventData

    func encode(to encoder: any Encoder) throws {
        typealias Key = EnvelopeHeader.Key
        var container = encoder.container(keyedBy: Key.self)
        try container.encode("1.0", forKey: .specversion)
        try container.encode(id, forKey: .id)
        try container.encode(source, forKey: .source)
        try container.encode(type, forKey: .type)
        try container.encode(time, forKey: .time)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encodeIfPresent(dataContentType, forKey: .datacontenttype)
        try container.encodeIfPresent(correlationID, forKey: .correlationid)
        try container.encodeIfPresent(causationID, forKey: .causationid)
        try container.encode(data, forKey: .data)
    }
}
