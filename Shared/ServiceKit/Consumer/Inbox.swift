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

    /// Claims the ids of a shared transaction's events in one statement, as processed; returns the ids claimed now.
    /// An id missing from the result was handled before; an id that occurs twice is claimed once, for its first
    /// record.
    static func claim(
        _ events: [(eventID: String, eventType: String, record: RecordSource)], on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Set<String> {
        let rows = try await connection.execute(ClaimAll(events), logger: logger)
        var claimed = Set<String>()
        for try await id in rows { claimed.insert(id) }
        return claimed
    }

    /// Takes back claims of events a shared transaction did not get to (its time ran out), before it commits.
    static func release(_ eventIDs: some Collection<String>, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !eventIDs.isEmpty else { return }
        try await connection.query("DELETE FROM inbox WHERE event_id = ANY(\(Array(eventIDs)))", logger: logger)
    }

    /// The claim of several events, as a prepared statement (arrays, one statement whatever their number).
    struct ClaimAll: PostgresPreparedStatement {
        static let name = "concierge_inbox_claim_all_v1"
        static let sql = """
            INSERT INTO inbox (event_id, topic, kafka_partition, kafka_offset, event_type, outcome)
            SELECT event_id, topic, kafka_partition, kafka_offset, event_type, 'processed'
            FROM unnest($1::text[], $2::text[], $3::int4[], $4::int8[], $5::text[])
                WITH ORDINALITY AS e(event_id, topic, kafka_partition, kafka_offset, event_type, n)
            ORDER BY n
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
            """
        typealias Row = String
        static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray, .int4Array, .int8Array, .textArray]

        var ids: [String]
        var topics: [String]
        var partitions: [Int32]
        var offsets: [Int64]
        var types: [String]

        init(_ events: [(eventID: String, eventType: String, record: RecordSource)]) {
            ids = events.map(\.eventID)
            topics = events.map(\.record.topic)
            partitions = events.map(\.record.partition)
            offsets = events.map(\.record.offset)
            types = events.map(\.eventType)
        }

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(ids)
            bindings.append(topics)
            bindings.append(partitions)
            bindings.append(offsets)
            bindings.append(types)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
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
