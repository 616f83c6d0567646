import Events
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceKit
import Synchronization

/// Drives one service's handler against a real PostgreSQL schema exactly as its consumer would (inbox, handler,
/// outbox in one transaction), without Kafka, and shows what it emitted.
public final class ServiceHarness<Service: ConciergeService>: Sendable {
    public let service: Service
    public let client: PostgresClient
    public let context: ServiceContext
    public var calendar: BusinessCalendar { context.calendar }
    private let lastSeen = Mutex<Int64>(0)

    init(service: Service, client: PostgresClient, context: ServiceContext) {
        self.service = service
        self.client = client
        self.context = context
    }

    /// A migrated schema of its own, the service built with `environment` (on top of the test database settings),
    /// the harness passed to `body`; the schema is dropped afterwards.
    public static func run<Result: Sendable>(
        environment: [String: String] = [:], _ body: @Sendable (ServiceHarness<Service>) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withSchema(prefix: "svc_\(Service.name)", migrations: try Service.migrations()) {
            client, settings in
            guard let url = TestEnvironment.databaseURL else { throw TestDatabase.Unavailable() }
            var values = [
                "DATABASE_URL": url, "DATABASE_SCHEMA": settings.schema, "PII_ENCRYPTION_KEYS": TestEnvironment.piiKeys,
                "AUTH_JWT_KEYS": TestEnvironment.authKeys,
            ]
            values.merge(environment) { $1 }
            let configuration = try ServiceConfiguration(
                serviceName: Service.name, defaultHTTPPort: 0, environment: EnvironmentReader(values))
            let context = ServiceContext(
                configuration: configuration, postgres: client, metrics: ServiceMetrics(service: Service.name),
                logger: Logger(label: "test.\(Service.name)"))
            let harness = ServiceHarness(service: try Service(context: context), client: client, context: context)
            return try await body(harness)
        }
    }

    /// Delivers `data` as a CloudEvent with a fresh (or the given) id, as the consumer would.
    /// - Returns: the events the service emitted while handling it (decoded from its outbox).
    @discardableResult
    public func deliver<Data: EventData>(
        _ data: Data, id: String = UUID().uuidString.lowercased(), time: Timestamp? = nil
    ) async throws -> [IncomingEvent] {
        let envelope = Envelope(id: id, source: "test", time: time ?? calendar.now(), data: data)
        return try await deliver(bytes: envelope.encode(), topic: Data.topic)
    }

    /// Delivers raw message bytes (they must decode; see `EventCatalog.decode`).
    @discardableResult
    public func deliver(bytes: [UInt8], topic: String) async throws -> [IncomingEvent] {
        let event = try EventCatalog.decode(bytes)
        try await HandlerTransaction.run(
            event, handler: service, client: client, serviceName: Service.name, calendar: calendar,
            source: RecordSource(topic: topic, partition: 0, offset: 0), logger: context.logger)
        return try await newlyEmitted()
    }

    /// The consumer's per-record path for this service (decode, inbox, handler, outbox, dead letters), to feed it
    /// `KafkaRecord`s built in memory exactly as its consumer loop would.
    /// - Parameters:
    ///   - logger: defaults to the service's logger.
    ///   - maxAttempts: defaults to the service's `HANDLER_MAX_ATTEMPTS`.
    ///   - transactionBatch: defaults to the service's `CONSUMER_TRANSACTION_BATCH`.
    public func recordProcessor(logger: Logger? = nil, maxAttempts: Int? = nil, transactionBatch: Int? = nil)
        -> RecordProcessor
    {
        RecordProcessor(
            handler: service, client: client, calendar: calendar, metrics: context.metrics,
            logger: logger ?? context.logger, serviceName: Service.name,
            maxAttempts: maxAttempts ?? context.configuration.handlerMaxAttempts,
            transactionBatch: transactionBatch ?? context.configuration.consumerTransactionBatch,
            transactionTime: context.configuration.consumerTransactionTime)
    }

    /// Everything the service has emitted so far, in outbox order.
    public func allEmitted() async throws -> [IncomingEvent] {
        try await emitted(after: 0).events
    }

    /// What was emitted since the previous delivery (with concurrent deliveries, theirs may be included).
    private func newlyEmitted() async throws -> [IncomingEvent] {
        let (events, highest) = try await emitted(after: lastSeen.withLock { $0 })
        lastSeen.withLock { $0 = max($0, highest) }
        return events
    }

    private func emitted(after seq: Int64) async throws -> (events: [IncomingEvent], highest: Int64) {
        var events: [IncomingEvent] = []
        var highest = seq
        for try await (rowSeq, payload) in try await client.query(
            "SELECT seq, payload FROM outbox WHERE seq > \(seq) ORDER BY seq"
        ).decode((Int64, ByteBuffer).self) {
            events.append(try EventCatalog.decode(Array(buffer: payload)))
            highest = max(highest, rowSeq)
        }
        return (events, highest)
    }
}
