import Events
import Foundation
import Hummingbird
import Logging
import Messaging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The whole `main` of a service: read configuration, bootstrap logging and metrics once, build, run until
/// SIGTERM or SIGINT.
public enum ServiceMain {
    /// Never returns normally; exits 2 on a configuration error and 1 when the service fails.
    public static func run<S: ConciergeService>(_ service: S.Type) async -> Never {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(
                serviceName: S.name, defaultHTTPPort: S.defaultHTTPPort, environment: EnvironmentReader())
        } catch {
            FileHandle.standardError.write(Data("\(S.name): configuration error: \(error)\n".utf8))
            exit(2)
        }
        bootstrapLogging(configuration)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "concierge.\(S.name)")
        do {
            let group = try makeServiceGroup(S.self, configuration: configuration, registry: registry, logger: logger)
            try await group.run()
            logger.info("stopped")
            exit(0)
        } catch {
            logger.critical("service failed", metadata: ["error": "\(FailureKind.summary(error))"])
            exit(1)
        }
    }

    /// Builds the service group (`[postgres, producer, runtime, http]`; shutdown runs in reverse). Public so tests
    /// can run a service in-process.
    public static func makeServiceGroup<S: ConciergeService>(
        _ service: S.Type, configuration: ServiceConfiguration,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger,
        signals: [UnixSignal] = [.sigterm, .sigint]
    ) throws -> ServiceGroup {
        let metrics = ServiceMetrics(service: S.name, registry: registry)
        let postgres = PostgresClient(
            configuration: try configuration.database.makeClientConfiguration(), backgroundLogger: logger)
        let producer = try KafkaProducer(
            configuration: configuration.kafka, clientID: "\(S.name)-\(configuration.instanceID)", logger: logger)
        let instance = try S(
            context: ServiceContext(configuration: configuration, postgres: postgres, metrics: metrics, logger: logger))
        let readiness = Readiness(client: postgres, producer: producer, logger: logger)
        let relay = OutboxRelay(
            client: postgres, schema: configuration.database.schema, source: "concierge/\(S.name)", producer: producer,
            batchSize: configuration.outboxBatchSize, pollInterval: configuration.outboxPollInterval,
            retention: configuration.retention, metrics: metrics, logger: logger)
        let topics = Array(Set(S.consumedTopics + S.producedTopics + [Topics.deadLetter])).sorted()
        let runtime = ServiceRuntime(
            configuration: configuration, migrations: try S.migrations(), consumedTopics: S.consumedTopics,
            topicsToEnsure: topics, client: postgres, handler: instance, relay: relay, readiness: readiness,
            jobs: instance.backgroundJobs(), metrics: metrics, logger: logger)

        let router = HTTPRoutes.makeRouter(
            readiness: readiness, metrics: metrics, authority: configuration.accessTokens)
        instance.addRoutes(to: router)
        let http = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort)),
            logger: logger
        )
        logger.info(
            "starting",
            metadata: [
                "http": "\(configuration.httpHost):\(configuration.httpPort)",
                "db": "\(configuration.database.redactedURL)",
                "kafka.brokers": "\(configuration.kafka.bootstrapServers)",
                "instance": "\(configuration.instanceID)",
            ])
        return ServiceGroup(
            services: [postgres, producer, runtime, http], gracefulShutdownSignals: signals, cancellationSignals: [],
            logger: logger)
    }

    static func bootstrapLogging(_ configuration: ServiceConfiguration) {
        let level = configuration.logLevel
        let service = configuration.serviceName
        switch configuration.logFormat {
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, service: service, level: level) }
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
