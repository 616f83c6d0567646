import Logging
import Messaging
import PostgresNIO
import ServiceLifecycle

/// The service's core as one lifecycle `Service`: apply migrations, make sure the topics exist, then consume
/// and relay until shutdown.
///
/// Shutdown order inside: the consumer finishes its batch, stores and commits offsets and leaves the group; then
/// the relay publishes what those last transactions wrote; then `run()` returns (and the group flushes the
/// producer and closes PostgreSQL after it).
final class ServiceRuntime: Service {
    let serviceName: String
    let configuration: ServiceConfiguration
    let migrations: [Migration]
    let consumedTopics: [String]
    let topicsToEnsure: [String]
    let client: PostgresClient
    let handler: any EventHandling
    let relay: OutboxRelay
    let readiness: Readiness
    let jobs: [any BackgroundJob]
    let metrics: ServiceMetrics
    let logger: Logger

    init(
        configuration: ServiceConfiguration, migrations: [Migration], consumedTopics: [String],
        topicsToEnsure: [String], client: PostgresClient, handler: any EventHandling, relay: OutboxRelay,
        readiness: Readiness, jobs: [any BackgroundJob], metrics: ServiceMetrics, logger: Logger
    ) {
        self.serviceName = configuration.serviceName
        self.configuration = configuration
        self.migrations = migrations
        self.consumedTopics = consumedTopics
        self.topicsToEnsure = topicsToEnsure
        self.client = client
        self.handler = handler
        self.relay = relay
        self.readiness = readiness
        self.jobs = jobs
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        guard try await migrate() else { return }
        guard try await ensureTopics() else { return }
        readiness.markMigrationsApplied()

        let consumer = try KafkaConsumer(
            configuration: configuration.kafka, groupID: serviceName, topics: consumedTopics,
            clientID: "\(serviceName)-\(configuration.instanceID)", logger: logger)
        let loop = EventConsumerLoop(
            consumer: consumer, handler: handler, client: client, calendar: configuration.calendar, metrics: metrics,
            logger: logger,
            settings: .init(
                serviceName: serviceName, batchSize: configuration.consumerBatchSize,
                pollTimeout: configuration.consumerPollTimeout, maxAttempts: configuration.handlerMaxAttempts,
                transactionBatch: configuration.consumerTransactionBatch,
                transactionTime: configuration.consumerTransactionTime))
        logger.info(
            "service started",
            metadata: ["kafka.topics": "\(consumedTopics.joined(separator: ","))", "kafka.group.id": "\(serviceName)"])

        // Event transactions, relay steps and timer rounds that hang end the process (see StallWatchdog); the
        // watchdog keeps watching through the graceful shutdown, which a hung transaction would block as well.
        let timeout = configuration.databaseStallTimeout
        let watchdog = timeout > .zero ? StallWatchdog(limit: timeout, logger: logger) : nil
        let watching = Task { await watchdog?.run() }
        defer { watching.cancel() }
        try await StallWatchdog.$current.withValue(watchdog) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.relay.run() }
                for job in jobs {
                    group.addTask { try await job.run() }
                }
                do {
                    try await loop.run()
                } catch {
                    relay.stopAfterDraining()
                    throw error
                }
                // The consumer has committed its last batch: publish what it wrote, then stop.
                relay.stopAfterDraining()
                try await group.waitForAll()
            }
        }
    }

    /// Applies the kit's and the service's migrations; retries while the database is unreachable.
    /// - Returns: `false` when shutdown was requested before they could be applied.
    private func migrate() async throws -> Bool {
        let runner = MigrationRunner(client: client, schema: configuration.database.schema, logger: logger)
        var backoff = Backoff()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await runner.applyWithKit(migrations)
                return true
            } catch {
                guard FailureKind(error) == .transient else { throw error }
                logger.warning(
                    "database not reachable yet; retrying migrations",
                    metadata: ["error": "\(FailureKind.summary(error))", "db.url": "\(configuration.database.redactedURL)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
        return false
    }

    /// Creates missing topics (consumed and produced); retries while the cluster is unreachable.
    private func ensureTopics() async throws -> Bool {
        guard configuration.kafka.createTopics else { return true }
        var backoff = Backoff()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                _ = try await KafkaAdmin.ensureTopics(
                    topicsToEnsure, configuration: configuration.kafka, logger: logger, timeout: .seconds(10))
                return true
            } catch {
                logger.warning("Kafka not reachable yet; retrying topic creation", metadata: ["error": "\(FailureKind.summary(error))"])
                try? await Task.sleep(for: backoff.next())
            }
        }
        return false
    }
}
