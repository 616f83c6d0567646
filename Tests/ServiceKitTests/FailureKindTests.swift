import Logging
import PostgresNIO
import ServiceKit
import _ConnectionPoolModule
import TestSupport
import Testing

/// How the consumer treats a failed handler run, against the real database's errors: retry without limit, retry a
/// few times, or dead-letter at once (H-07: bad input gets a clear error and goes to the dead-letter topic).
@Suite("Failure kinds of handler errors")
struct FailureKindTests {
    /// The error of `sql` run inside a transaction, as the consumer sees it.
    func failure(of sql: String) async throws -> FailureKind {
        try await TestDatabase.withClient(url: try #require(TestEnvironment.databaseURL), schema: "public") { client in
            do {
                try await client.withTransaction(logger: Logger(label: "test.failure-kind")) { connection in
                    _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test.failure-kind")).collect()
                }
                Issue.record("\(sql) did not fail")
                return .permanent
            } catch {
                return FailureKind(error)
            }
        }
    }

    @Test(
        "H-07 a value the database refuses (SQLSTATE class 22) is dead-lettered at once, saying why",
        arguments: [
            ("SELECT 92233720368547758.07::numeric(18,2)", "22003"),
            ("SELECT 1 / 0", "22012"),
            ("SELECT 'not a date'::date", "22007"),
        ])
    func dataExceptions(sql: String, state: String) async throws {
        let kind = try await failure(of: sql)
        guard case .rejected(let reason) = kind else {
            Issue.record("\(sql): \(kind), expected rejected")
            return
        }
        #expect(reason.hasPrefix("the database refused a value of this event: database error \(state)"), "\(reason)")
    }

    @Test("a mistake in our own SQL is retried a few times, then dead-lettered (permanent)")
    func permanent() async throws {
        #expect(try await failure(of: "SELECT no_such_column FROM pg_class") == .permanent)
    }

    @Test("H-06 the pool unable to connect (its circuit breaker tripped in a database outage) is retried without limit")
    func poolErrors() {
        #expect(FailureKind(ConnectionPoolError.connectionCreationCircuitBreakerTripped) == .transient)
        #expect(FailureKind(ConnectionPoolError.poolShutdown) == .transient)
        #expect(FailureKind(ConnectionPoolError.requestCancelled) == .transient)
    }

    @Test("a rejection by the handler and a cancelled task keep their kinds")
    func otherErrors() {
        #expect(FailureKind(EventRejection("unknown branch")) == .rejected("unknown branch"))
        #expect(FailureKind(CancellationError()) == .transient)
    }
}
