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

/// One event's transaction: claim the id in the inbox, run the handler, write what it emitted to the outbox, commit.
///
/// The consumer loop runs every event through this; tests call it directly to drive a service's handler exactly
/// as the consumer would.
public enum HandlerTransaction {
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
            let outbox = EventOutbox(
                source: "concierge/\(serviceName)", causationID: event.id,
                correlationID: event.correlationID ?? event.id, calendar: calendar)
            let context = HandlerContext(
                connection: connection, outbox: outbox, calendar: calendar, logger: logger, topic: source.topic,
                partition: source.partition, offset: source.offset)
            try await handler.handle(event, context: context)
            try await outbox.flush(on: connection, logger: logger)
            await FaultPoint.hangInHandler.hang()  // tests only: a transaction that never ends
            return true
        }
    }
}
