import Logging
import PostgresNIO

/// Work a handler leaves to the end of its event transaction: figures added up over every event of the transaction
/// and written once, just before the commit.
///
/// Counters on a few hot rows (a branch's day, a manager's day) are what concurrent transactions queue on: written
/// per event, a shared transaction holds each row's lock from its first event to its commit, and two transactions
/// that touch two rows in opposite orders wait for each other until `lock_timeout` fails one. Written at the end, in
/// a fixed order, each row is locked only for the commit, and never in an order that can deadlock.
///
/// A handler gets the transaction's tally with ``HandlerContext/tally(_:)``; the kit calls ``write(on:logger:)``
/// once, after the last handler and before the outbox rows and the commit, on both the one-event and the shared
/// path. Reads inside the transaction do not see a tally's figures until then.
public protocol TransactionTally: AnyObject {
    init()
    /// Writes what was added up; called once per transaction, and only if the tally was asked for.
    func write(on connection: PostgresConnection, logger: Logger) async throws
}

/// The tallies of one event transaction, by type, in the order they were first asked for.
public final class TransactionTallies {
    private var tallies: [(id: ObjectIdentifier, tally: any TransactionTally)] = []

    public init() {}

    /// The transaction's tally of this type, created on first use.
    public func tally<Tally: TransactionTally>(_ type: Tally.Type) -> Tally {
        let id = ObjectIdentifier(type)
        if let existing = tallies.first(where: { $0.id == id })?.tally as? Tally { return existing }
        let tally = Tally()
        tallies.append((id, tally))
        return tally
    }

    /// Writes every tally asked for, in the order they were first asked for.
    func write(on connection: PostgresConnection, logger: Logger) async throws {
        for (_, tally) in tallies { try await tally.write(on: connection, logger: logger) }
    }
}
