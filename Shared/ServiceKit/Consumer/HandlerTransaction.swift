import Events
import Logging
import PostgresNIO

/// Where a consumed event came from.
public struct RecordSource: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// One event's transaction: claim the id in the inbox, run the handler, write what it emitted to the outbox, commit;
/// or several events of one partition in one such transaction (``run(batch:handler:client:serviceName:calendar:lockWait:timeLimit:logger:)``).
///
/// The consumer loop runs every event through this; tests call it directly to drive a service's handler exactly
/// as the consumer would.
public enum HandlerTransaction {
    /// How many events of a shared transaction one claim statement covers. Claimed ahead in chunks rather than all
    /// at once, a transaction whose time runs out releases at most the rest of its last chunk: under load most end
    /// on their time limit, and claiming all of a 100-event run wrote and then deleted most of its inbox rows.
    static let claimChunk = 16

    /// - Returns: `false` when the event id was already in the inbox and nothing was done.
    @discardableResult
    public static func run(
        _ event: IncomingEvent, handler: any EventHandling, client: PostgresClient, serviceName: String,
        calendar: BusinessCalendar, source: RecordSource, logger: Logger
    ) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            guard
                try await Inbox.claim(
                    eventID: event.id, eventType: event.type, record: source, outcome: .processed, on: connection,
                    logger: logger)
            else { return false }
            let tallies = TransactionTallies()
            let emitted = try await handle(
                event, source: source, handler: handler, serviceName: serviceName, calendar: calendar,
                tallies: tallies, on: connection, logger: logger)
            try await tallies.write(on: connection, logger: logger)
            try await OutboxMessage.insert(emitted, on: connection, logger: logger)
            return true
        }
    }

    /// Several events of one partition, in order, in one transaction: each claims its id in the inbox, runs the
    /// handler and writes what it emitted, exactly as ``run(_:handler:client:serviceName:calendar:source:logger:)``
    /// does for one; a later event sees what the earlier ones wrote. Any error rolls all of them back. The claims
    /// are claimed ahead in chunks of ``claimChunk`` ids per statement, and the emitted events written in one statement
    /// at the end, in the events' order.
    ///
    /// A lock the transaction cannot get within `lockWait` fails it (`lock_timeout`, SQLSTATE 55P03): a shared
    /// transaction holds every lock its events take until it commits, so two of them (two partitions, two instances)
    /// that need each other's locks, or a queue of them behind one, must give up quickly and let their events run
    /// one by one, rather than wait for the deadlock detector or each other.
    ///
    /// Once `timeLimit` has passed since the first event started, the transaction takes no further event and
    /// commits: a shared transaction never holds its locks, nor keeps its first event's effects unseen, for much
    /// longer than that (one event's handling at most).
    /// - Parameter events: each with its record's position and a logger carrying its id, type and offset.
    /// - Returns: per event handled, in order, `false` when its id was already in the inbox and nothing was done.
    ///   Fewer than `events` (never none) when `timeLimit` ran out: the others were not touched.
    public static func run(
        batch events: [(event: IncomingEvent, source: RecordSource, logger: Logger)], handler: any EventHandling,
        client: PostgresClient, serviceName: String, calendar: BusinessCalendar, lockWait: Duration = .milliseconds(200),
        timeLimit: Duration = .milliseconds(100), logger: Logger
    ) async throws -> [Bool] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SET LOCAL lock_timeout = \(unescaped: String(max(1, lockWait.milliseconds)))", logger: logger)
            let started = ContinuousClock.now
            // The ids are claimed ahead, `claimChunk` events per statement; what the events emit is written in one
            // statement at the end. `pending`: ids claimed and not handled yet.
            var pending = Set<String>()
            var claimedUpTo = 0
            var emitted: [OutboxMessage] = []
            let tallies = TransactionTallies()
            var handled: [Bool] = []
            handled.reserveCapacity(events.count)
            for (index, (event, source, logger)) in events.enumerated() {
                if !handled.isEmpty, ContinuousClock.now - started >= timeLimit { break }
                if index == claimedUpTo {
                    claimedUpTo = min(events.count, index + claimChunk)
                    pending.formUnion(
                        try await Inbox.claim(
                            events[index..<claimedUpTo].map { ($0.event.id, $0.event.type, $0.source) },
                            on: connection, logger: logger))
                }
                // Claimed now, and not by an earlier record of this run with the same id.
                guard pending.remove(event.id) != nil else {
                    handled.append(false)
                    continue
                }
                emitted += try await handle(
                    event, source: source, handler: handler, serviceName: serviceName, calendar: calendar,
                    tallies: tallies, on: connection, logger: logger)
                handled.append(true)
            }
            // Events the time limit left out run in a later transaction: their claims must not commit.
            try await Inbox.release(pending, on: connection, logger: logger)
            // Figures the handlers added up (hot counter rows): written last, so their locks last only for the commit.
            try await tallies.write(on: connection, logger: logger)
            try await OutboxMessage.insert(emitted, on: connection, logger: logger)
            return handled
        }
    }

    /// Runs the handler for one claimed event inside the caller's transaction; returns what it emitted, for the
    /// caller to write to the outbox.
    private static func handle(
        _ event: IncomingEvent, source: RecordSource, handler: any EventHandling, serviceName: String,
        calendar: BusinessCalendar, tallies: TransactionTallies, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxMessage] {
        let outbox = EventOutbox(
            source: "concierge/\(serviceName)", causationID: event.id,
            correlationID: event.correlationID ?? event.id, calendar: calendar)
        let context = HandlerContext(
            connection: connection, outbox: outbox, calendar: calendar, logger: logger, topic: source.topic,
            partition: source.partition, offset: source.offset, tallies: tallies)
        try await handler.handle(event, context: context)
        // Tests only: a transaction that never ends. Passed once per event on both paths, so `hang-in-handler:N`
        // hangs at the Nth event whatever the transactions' boundaries.
        await FaultPoint.hangInHandler.hang()
        return outbox.messages
    }
}
