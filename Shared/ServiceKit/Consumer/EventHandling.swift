import Events
import Logging
import PostgresNIO

/// A service's reaction to the events it consumes.
///
/// The kit calls ``handle(_:context:)`` inside one database transaction that also records the event id in the
/// inbox and writes the events the handler emits to the outbox; the Kafka offset is stored only after that
/// transaction commits. A handler therefore only reads and writes through `context.connection` and emits through
/// `context.outbox`, and never talks to Kafka itself.
public protocol EventHandling: Sendable {
    /// The event types this service acts on. Other types that belong on its topics are acknowledged without a
    /// transaction; types that do not belong on a topic are dead-lettered.
    var handledEventTypes: Set<String> { get }

    /// - Throws: ``EventRejection`` for an event that is well-formed but cannot be accepted (it is dead-lettered
    ///   with the reason). Any other error is retried: database outages indefinitely, other errors up to
    ///   `HANDLER_MAX_ATTEMPTS` times before the event is dead-lettered.
    func handle(_ event: IncomingEvent, context: HandlerContext) async throws
}

/// What a handler may use while its transaction is open.
public struct HandlerContext {
    /// The connection inside the transaction.
    public let connection: PostgresConnection
    /// Events to publish when the transaction commits.
    public let outbox: EventOutbox
    public let calendar: BusinessCalendar
    public let logger: Logger
    /// Where the event came from (for diagnostics; never log payloads).
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    /// The transaction's tallies: written once, just before the commit (shared by every event of a shared
    /// transaction).
    let tallies: TransactionTallies

    public init(
        connection: PostgresConnection, outbox: EventOutbox, calendar: BusinessCalendar, logger: Logger,
        topic: String, partition: Int32, offset: Int64, tallies: TransactionTallies = TransactionTallies()
    ) {
        self.connection = connection
        self.outbox = outbox
        self.calendar = calendar
        self.logger = logger
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.tallies = tallies
    }

    /// The transaction's tally of this type (``TransactionTally``), created on first use and written just before the
    /// commit.
    public func tally<Tally: TransactionTally>(_ type: Tally.Type) -> Tally {
        tallies.tally(type)
    }
}

/// A well-formed event that the service cannot accept, with a reason a person can act on.
/// The consumer dead-letters it and carries on.
public struct EventRejection: Error, CustomStringConvertible, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
