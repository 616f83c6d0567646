import PostgresNIO

/// How the consumer treats a failed handler run.
public enum FailureKind: Equatable, Sendable {
    /// The database or the connection is unavailable, or the transaction lost a race: retry without limit.
    case transient
    /// Something else went wrong: retry a few times, then dead-letter.
    case permanent
    /// The handler refused the event: dead-letter at once.
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
