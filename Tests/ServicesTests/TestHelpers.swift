import Events
import Foundation
import PostgresNIO
import ServiceKit

// MARK: - Literals

/// An RFC 3339 timestamp literal, e.g. `2026-11-27T10:00:00.000+08:00`.
func ts(_ text: String) throws -> Timestamp {
    try Timestamp(rfc3339: text)
}

/// A `YYYY-MM-DD` business date literal.
func day(_ text: String) throws -> BusinessDate {
    try BusinessDate(parsing: text)
}

/// The Shanghai business calendar with no holidays (the harness default).
let shanghaiCalendar = BusinessCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)

/// Now, written with +08:00.
func nowInShanghai() -> Timestamp {
    .now(utcOffsetSeconds: Timestamp.shanghaiUTCOffsetSeconds)
}

// MARK: - Emitted events

extension Array where Element == IncomingEvent {
    /// The payloads of one event type, in order.
    func payloads<Data: EventData>(_: Data.Type) -> [Data] {
        compactMap { $0.payload.data as? Data }
    }

    /// The CloudEvents types, in order.
    var types: [String] { map(\.type) }
}

// MARK: - Database

/// The single integer a `SELECT count(*) …` (or any one-`bigint` query) returns.
func scalar(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
    let rows = try await client.query(query).collect()
    return Int(try rows.first?.decode(Int64.self) ?? 0)
}
