import Events
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One row of the transactional outbox: an encoded CloudEvent waiting to be published.
public struct OutboxMessage: Sendable, Hashable {
    public var id: UUID
    public var topic: String
    public var key: String?
    public var eventType: String
    public var payload: [UInt8]

    public init(id: UUID, topic: String, key: String?, eventType: String, payload: [UInt8]) {
        self.id = id
        self.topic = topic
        self.key = key
        self.eventType = eventType
        self.payload = payload
    }

    /// Inserts the rows in one statement, inside the caller's transaction, so they become visible exactly when the
    /// state change they announce commits.
    public static func insert(_ messages: [OutboxMessage], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !messages.isEmpty else { return }
        // Drained as a row sequence: PostgresNIO 1.33's command-tag variant of `execute` traps ("commandTag may only
        // be called if all rows have been consumed") when the result arrives before it asks.
        let rows = try await connection.execute(Insert(messages), logger: logger)
        for try await _ in rows {}
    }

    /// The insert, as a prepared statement: it runs in nearly every event transaction, so each connection parses
    /// and plans it once rather than every time. One statement for all rows, whatever their number (arrays).
    struct Insert: PostgresPreparedStatement {
        static let name = "concierge_outbox_insert_v1"
        static let sql = """
            INSERT INTO outbox (id, topic, message_key, event_type, payload)
            SELECT id, topic, NULLIF(message_key, ''), event_type, payload
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[])
                AS rows(id, topic, message_key, event_type, payload)
            """
        typealias Row = ()
        static let bindingDataTypes: [PostgresDataType] = [.uuidArray, .textArray, .textArray, .textArray, .byteaArray]

        var ids: [UUID]
        var topics: [String]
        /// An empty string stands for "no key" in the array; NULLIF turns it back.
        var keys: [String]
        var types: [String]
        var payloads: [ByteBuffer]

        init(_ messages: [OutboxMessage]) {
            ids = messages.map(\.id)
            topics = messages.map(\.topic)
            keys = messages.map { $0.key ?? "" }
            types = messages.map(\.eventType)
            payloads = messages.map { ByteBuffer(bytes: $0.payload) }
        }

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(ids)
            bindings.append(topics)
            bindings.append(keys)
            bindings.append(types)
            bindings.append(payloads)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}

/// Collects the events a transaction announces; the kit writes them to the outbox before the transaction commits.
///
/// Every event gets a fresh id, the service as `source`, and the causing event as `causationid` (and its
/// correlation id, or its own id, as `correlationid`), so a chain of events can be followed across services.
public final class EventOutbox {
    public let source: String
    public let causationID: String?
    public let correlationID: String?
    let calendar: BusinessCalendar
    public private(set) var messages: [OutboxMessage] = []

    public init(source: String, causationID: String?, correlationID: String?, calendar: BusinessCalendar) {
        self.source = source
        self.causationID = causationID
        self.correlationID = correlationID
        self.calendar = calendar
    }

    /// Queues `data` as a CloudEvent on its contract topic with its contract key.
    /// - Parameters:
    ///   - time: the event time; defaults to now in the business time zone.
    ///   - subject: CloudEvents `subject`, for example `customer/C000123`.
    @discardableResult
    public func emit<Data: EventData>(_ data: Data, time: Timestamp? = nil, subject: String? = nil) throws -> UUID {
        let id = UUID()
        let envelope = Envelope(
            id: id.uuidString.lowercased(),
            source: source,
            time: time ?? calendar.now(),
            subject: subject,
            correlationID: correlationID,
            causationID: causationID,
            data: data
        )
        messages.append(
            OutboxMessage(
                id: id, topic: Data.topic, key: data.partitionKey, eventType: Data.eventType,
                payload: envelope.encode()))
        return id
    }

    /// Writes the queued rows (one statement) on `connection`, which must be inside the transaction.
    public func flush(on connection: PostgresConnection, logger: Logger) async throws {
        try await OutboxMessage.insert(messages, on: connection, logger: logger)
        messages.removeAll()
    }
}
