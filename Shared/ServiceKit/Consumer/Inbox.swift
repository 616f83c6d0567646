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
        let rows = try await connection.query(
            """
            INSERT INTO inbox (event_id, topic, kafka_partition, kafka_offset, event_type, outcome)
            VALUES (\(eventID), \(record.topic), \(Int32(record.partition)), \(record.offset), \(eventType), \(outcome.rawValue))
            ON CONFLICT (event_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect()
        return !rows.isEmpty
    }
}
