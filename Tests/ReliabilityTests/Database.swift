import PostgresNIO
import Synchronization

/// Reads for the reliability suite over the admin client, which sees every service's schema. The SQL is built from
/// the stack's schema names and the suite's own identifiers, never from outside input. A failure names the server's
/// message and the statement; a statement that has not answered within ``deadline`` fails too (PostgresNIO 1.33
/// can leave a query waiting forever on a connection the server closed, see ``Deadline``).
enum Database {
    static let deadline: Duration = .seconds(60)

    /// The single value of a one-row, one-column query.
    static func value<Value: PostgresDecodable & Sendable>(
        _ sql: String, db: PostgresClient, as type: Value.Type = Value.self
    ) async throws -> Value {
        let rows = try await explained(sql) { try await db.query(PostgresQuery(unsafeSQL: sql)).collect() }
        guard let row = rows.first else { throw Failure(sql: sql, reason: "no row") }
        return try row.decode(Value.self)
    }

    /// `SELECT key, count …` as a dictionary (counts of equal keys are added up).
    static func tally(_ sql: String, db: PostgresClient) async throws -> [String: Int] {
        try await explained(sql) {
            var tally: [String: Int] = [:]
            let rows = try await db.query(PostgresQuery(unsafeSQL: sql))
            for try await (key, count) in rows.decode((String?, Int).self) {
                tally[key ?? "<null>", default: 0] += count
            }
            return tally
        }
    }

    /// The rows of a query, decoded.
    static func rows<Row: Sendable>(
        _ sql: String, db: PostgresClient, as type: Row.Type, decode: @escaping @Sendable (PostgresRow) throws -> Row
    ) async throws -> [Row] {
        try await explained(sql) { try await db.query(PostgresQuery(unsafeSQL: sql)).collect().map(decode) }
    }

    private static func explained<Result: Sendable>(
        _ sql: String, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        do {
            return try await Deadline.run(deadline, body)
        } catch let error as PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            throw Failure(sql: sql, reason: message)
        } catch is Deadline.Exceeded {
            throw Failure(sql: sql, reason: "no answer within \(deadline)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var sql: String
        var reason: String
        var description: String { "\(reason) in: \(sql)" }
    }
}

/// Runs an operation for at most a given time. The operation runs in a task of its own that is cancelled, but not
/// waited for, when the time is up: an operation that ignores cancellation (a PostgresNIO query on a connection the
/// server closed) is left behind instead of hanging the suite.
enum Deadline {
    struct Exceeded: Error {}

    static func run<Result: Sendable>(
        _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let outcome = Outcome<Result>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.set(continuation)
            let work = Task { outcome.resume(with: await Swift.Result(awaiting: operation)) }
            Task {
                try? await Task.sleep(for: limit)
                if outcome.resume(with: .failure(Exceeded())) { work.cancel() }
            }
        }
    }

    /// The first result wins.
    private final class Outcome<Result: Sendable>: Sendable {
        private let state = Mutex<(CheckedContinuation<Result, any Error>?, Bool)>((nil, false))

        func set(_ continuation: CheckedContinuation<Result, any Error>) {
            state.withLock { $0.0 = continuation }
        }

        @discardableResult
        func resume(with result: Swift.Result<Result, any Error>) -> Bool {
            let continuation = state.withLock { state -> CheckedContinuation<Result, any Error>? in
                guard !state.1 else { return nil }
                state.1 = true
                return state.0
            }
            continuation?.resume(with: result)
            return continuation != nil
        }
    }
}

extension Result where Failure == any Error {
    /// The result of an async throwing operation.
    init(awaiting body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
