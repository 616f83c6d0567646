// MARK: - IncomingEvent

/// A decoded event: the CloudEvents attributes and the typed payload. Produced by ``EventCatalog/decode(_:limits:)``.
public struct IncomingEvent: Sendable, Equatable {
    /// The event's unique `id`; consumers are idempotent on it.
    public var id: String
    /// The producer, e.g. `branch/SH001/lobby-tablet-2`.
    public var source: String
    /// The CloudEvents `type`, e.g. `bank.branch.visit-arrived.v1`.
    public var type: String
    /// When the event happened (`time`).
    public var time: Timestamp
    /// The `subject`, e.g. `customer/C000123`.
    public var subject: String?
    /// The `datacontenttype`; `application/json` when present.
    public var dataContentType: String?
    /// The `correlationid`: the conversation the event belongs to, e.g. `visit/V20261123-SH001-0042`.
    public var correlationID: String?
    /// The `causationid`: the `id` of the event that caused this one.
    public var causationID: String?
    /// The typed `data`.
    public var payload: EventPayload

    /// Creates an incoming event (for tests and replay tools; consumers get one from ``EventCatalog``). Each
    /// parameter sets the property of the same name.
    public init(
        id: String,
        source: String,
        type: String,
        time: Timestamp,
        subject: String? = nil,
        dataContentType: String? = EventEncoding.jsonContentType,
        correlationID: String? = nil,
        causationID: String? = nil,
        payload: EventPayload
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.dataContentType = dataContentType
        self.correlationID = correlationID
        self.causationID = causationID
        self.payload = payload
    }

    /// The topic the event belongs on.
    public var topic: String { payload.topic }

    /// The Kafka key for the event (see ``EventData/partitionKey``).
    public var partitionKey: String { payload.partitionKey }

    /// The event as a typed envelope, or `nil` when its payload is not a `Data`.
    ///
    /// - Parameter type: The expected payload type, e.g. `VisitArrived.Latest.self`.
    public func envelope<Data: EventData>(as type: Data.Type) -> Envelope<Data>? {
        guard let data = payload.data as? Data else { return nil }
        return Envelope(
            id: id, source: source, time: time, subject: subject, dataContentType: dataContentType,
            correlationID: correlationID, causationID: causationID, data: data)
    }

    /// The event as canonical CloudEvents JSON (sorted keys), e.g. to replay it.
    public func encode() -> [UInt8] {
        EventEncoding.encode(wireEnvelope)
    }

    /// The Kafka headers to send with ``encode()`` (see ``EventEncoding/kafkaHeaders(id:type:source:)``).
    public func kafkaHeaders() -> [(String, [UInt8])] {
        EventEncoding.kafkaHeaders(id: id, type: type, source: source)
    }

    private var wireEnvelope: WireEnvelope {
        WireEnvelope(
            id: id, source: source, type: type, time: time, subject: subject, dataContentType: dataContentType,
            correlationID: correlationID, causationID: causationID, data: payload.data)
    }
}
