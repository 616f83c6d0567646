import struct Foundation.UUID

// MARK: - Envelope

/// A typed CloudEvents 1.0 event for producing (contract §1.1): the attributes plus `data` of one event type.
///
/// ```swift
/// let routed = Envelope(
///     source: "concierge/intake", causedBy: incoming,
///     data: VisitRouted.Latest(visitId: "V20261123-SH001-0042", branchId: "SH001", zone: .vipRoom, …))
/// try routed.validate()
/// producer.send(topic: routed.topic, key: routed.partitionKey, value: routed.encode(), headers: routed.kafkaHeaders())
/// ```
///
/// `specversion` is always `1.0` and `type` always `Payload.eventType`, so neither can be wrong. To read events,
/// use ``EventCatalog``, which applies the contract's checks, or ``init(decoding:limits:)``.
public struct Envelope<Payload: EventData>: Sendable, Equatable {
    /// The event's unique `id`; by default a new lower-case UUID.
    public var id: String
    /// The producer, e.g. `concierge/intake`.
    public var source: String
    /// When the event happened.
    public var time: Timestamp
    /// The `subject`, e.g. `customer/C000123`.
    public var subject: String?
    /// The `datacontenttype`; `application/json` by default.
    public var dataContentType: String?
    /// The `correlationid`: the conversation the event belongs to.
    public var correlationID: String?
    /// The `causationid`: the `id` of the event that caused this one; absent on external inputs.
    public var causationID: String?
    /// The typed `data`.
    public var data: Payload

    /// Creates an envelope.
    ///
    /// - Parameters:
    ///   - id: The event's unique id; a new UUID by default.
    ///   - source: The producer.
    ///   - time: When the event happened; now, in UTC, by default.
    ///   - subject: The subject, if any.
    ///   - dataContentType: `application/json` by default.
    ///   - correlationID: The conversation the event belongs to.
    ///   - causationID: The id of the event that caused this one.
    ///   - data: The payload.
    public init(
        id: String = UUID().uuidString.lowercased(),
        source: String,
        time: Timestamp = .now(),
        subject: String? = nil,
        dataContentType: String? = EventEncoding.jsonContentType,
        correlationID: String? = nil,
        causationID: String? = nil,
        data: Payload
    ) {
        self.id = id
        self.source = source
        self.time = time
        self.subject = subject
        self.dataContentType = dataContentType
        self.correlationID = correlationID
        self.causationID = causationID
        self.data = data
    }

    /// Creates an envelope for an event caused by `cause`: `causationid` is the cause's `id`, and `correlationid`
    /// is carried over (or is the cause's `id` when the cause had none).
    ///
    /// - Parameters:
    ///   - id: The event's unique id; a new UUID by default.
    ///   - source: The producer.
    ///   - time: When the event happened; now, in UTC, by default.
    ///   - subject: The subject, if any.
    ///   - cause: The event being handled.
    ///   - data: The payload.
    public init(
        id: String = UUID().uuidString.lowercased(),
        source: String,
        time: Timestamp = .now(),
        subject: String? = nil,
        causedBy cause: IncomingEvent,
        data: Payload
    ) {
        self.init(
            id: id, source: source, time: time, subject: subject, correlationID: cause.correlationID ?? cause.id,
            causationID: cause.id, data: data)
    }

    /// Decodes a message with ``EventCatalog/decode(_:limits:)`` and expects it to carry `Payload`.
    ///
    /// - Parameters:
    ///   - bytes: The Kafka message value.
    ///   - limits: Size, depth and length limits.
    /// - Throws: ``EventDecodingError``; `unknownEventType` when the message is another event type.
    public init(decoding bytes: [UInt8], limits: EventDecodingLimits = .default) throws(EventDecodingError) {
        let event = try EventCatalog.decode(bytes, limits: limits)
        guard let envelope = event.envelope(as: Payload.self) else {
            throw EventDecodingError(
                code: .unknownEventType, reason: "type \(event.type) is not the expected \(Payload.eventType)",
                path: "type", eventID: event.id, eventType: event.type)
        }
        self = envelope
    }

    /// Always `1.0`.
    public var specVersion: String { "1.0" }
    /// `Payload.eventType`, e.g. `concierge.intake.visit-routed.v1`.
    public var type: String { Payload.eventType }
    /// `Payload.topic`.
    public var topic: String { Payload.topic }
    /// The Kafka key (see ``EventData/partitionKey``).
    public var partitionKey: String { data.partitionKey }

    /// Checks the attributes the contract constrains (`id` and `source` not empty, `id` at most 200 characters,
    /// `datacontenttype` JSON) and then `data`.
    ///
    /// - Throws: ``EventValidationError``; `field` is the attribute's name, or `data.<field>` for the payload.
    public func validate() throws(EventValidationError) {
        try Check.notBlank(id, "id")
        guard id.count <= EnvelopeHeader.maximumIDLength else {
            throw EventValidationError(
                field: "id", reason: "is longer than \(EnvelopeHeader.maximumIDLength) characters")
        }
        try Check.notBlank(source, "source")
        if let dataContentType, dataContentType != EventEncoding.jsonContentType {
            throw EventValidationError(field: "datacontenttype", reason: "must be application/json")
        }
        do {
            try data.validate()
        } catch {
            throw EventValidationError(field: "data." + error.field, reason: error.reason)
        }
    }

    /// The event as canonical CloudEvents JSON: UTF-8, sorted keys, no insignificant white space.
    public func encode() -> [UInt8] {
        EventEncoding.encode(self)
    }

    /// The Kafka headers to send with ``encode()`` (see ``EventEncoding/kafkaHeaders(id:type:source:)``).
    public func kafkaHeaders() -> [(String, [UInt8])] {
        EventEncoding.kafkaHeaders(id: id, type: type, source: source)
    }
}

// MARK: - Envelope + Encodable

extension Envelope: Encodable {
    /// Encodes the CloudEvents JSON object. Prefer ``encode()``, which uses the shared deterministic encoder.
    /// (There is deliberately no `Decodable` conformance: decode with ``init(decoding:limits:)`` so that the
    /// contract's checks run.)
    public func encode(to encoder: any Encoder) throws {
        try WireEnvelope(
            id: id, source: source, type: type, time: time, subject: subject, dataContentType: dataContentType,
            correlationID: correlationID, causationID: causationID, data: data
        ).encode(to: encoder)
    }
}
