import PostgresNIO
import _ConnectionPoolModule

/// How the consumer treats a failed handler run.
public enum FailureKind: Equatable, Sendable {
    /// The database or the connection is unavailable, or the transaction lost a race: retry without limit.
    case transient
    /// Something else went wrong: retry a few times, then dead-letter.
    case permanent
    /// The handler refused the event, or the database refused one of its values (SQLSTATE class 22): dead-letter
    /// at once.
    case rejected(String)

    public init(_ error: any Error) {
        switch error {
        case let rejection as EventRejection:
            self = .rejected(rejection.reason)
        case let transaction as PostgresTransactionError:
            if let closureError = transaction.closureError {
                self = FailureKind(closureError)
            } else {
                // BEGIN or COMMIT failed: the connection went away. A retry finds the inbox row if COMMIT landed.
                self = .transient
            }
        case let psql as PSQLError:
            self = Self.classify(psql)
        case is ConnectionPoolError:
            // The pool cannot make connections (its circuit breaker trips after a while of failed attempts, during a
            // database outage), is shutting down, or the request was cancelled: never the event's fault. Counted
            // as permanent, a valid event was dead-lettered after a few attempts in an outage of a minute or more.
            self = .transient
        case is CancellationError:
            self = .transient
        default:
            self = .permanent
        }
    }

    private static func classify(_ error: PSQLError) -> FailureKind {
        guard error.code == .server else {
            // Connection-level failures: refused, closed, pool closed, TLS, timeouts.
            return .transient
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        // 08 connection exception, 40 transaction rollback (serialization, deadlock), 53 insufficient resources,
        // 57 operator intervention (shutdown, crash recovery), 58 system error, 55P03 lock not available.
        if ["08", "40", "53", "57", "58"].contains(String(state.prefix(2))) || state == "55P03" {
            return .transient
        }
        // 22 data exception: a value the database refuses (a number beyond its column's precision, text it cannot
        // read as a date…). The same event fails the same way every time, so it is dead-lettered at once, saying
        // why, rather than after every attempt.
        if state.hasPrefix("22") {
            return .rejected("the database refused a value of this event: \(summary(error))")
        }
        return .permanent
    }

    /// A short description for a dead letter: the SQLSTATE and message for database errors, without query text or
    /// bind values (they may carry customer data).
    public static func summary(_ error: any Error) -> String {
        switch error {
        case let transaction as PostgresTransactionError:
            return transaction.closureError.map(summary) ?? "transaction failed"
        case let psql as PSQLError:
            let state = psql.serverInfo?[.sqlState] ?? "-"
            let message = psql.serverInfo?[.message] ?? "\(psql.code)"
            return "database error \(state): \(message)"
        default:
            return String(describing: error)
        }
    }
}
