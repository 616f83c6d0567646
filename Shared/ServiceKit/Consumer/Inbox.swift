import Logging
import PostgresNIO

/// The inbox: one row per consumed event id, written in the handler's transaction.
enum Inbox {
    enum Outcome: String { case processed, deadLettered = "dead_lettered" }

    /// Claims `eventID`; `false` means it was handled before (a redelivery or a duplicate) and nothing must change.
    static func claim(
        eventID: String, eventType: String?, record: RecordSource, outcome: Outcome, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        let claim = Claim(
            eventID: eventID, topic: record.topic, partition: record.partition, offset: record.offset,
            eventType: eventType, outcome: outcome.rawValue)
        let rows = try await connection.execute(claim, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// The claim, as a prepared statement: it runs once per consumed event, so each connection parses and plans it
    /// once rather than every time.
    struct Claim: PostgresPreparedStatement {
        static let name = "concierge_inbox_claim_v1"
        static let sql = """
            INSERT INTO inbox (event_id, topic, kafka_partition, kafka_offset, event_type, outcome)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING 1
            """
        typealias Row = Int32
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .int4, .int8, .text, .text]

        var eventID: String
        var topic: String
        var partition: Int32
        var offset: Int64
        var eventType: String?
        var outcome: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(eventID)
            bindings.append(topic)
            bindings.append(partition)
            bindings.append(offset)
            bindings.append(eventType)
            bindings.append(outcome)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
    }
}
