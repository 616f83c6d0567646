import Foundation
import Logging
import Messaging

/// Everything a Concierge service reads from its environment at start-up.
///
/// Defaults suit one machine; `docs/configuration.md` documents every variable. A bad value stops the service
/// at start-up with a message naming the variable.
public struct ServiceConfiguration: Sendable {
    public enum LogFormat: String, Sendable { case text, json }

    public var serviceName: String
    /// Distinguishes instances of one service in logs and Kafka `client.id` (`SERVICE_INSTANCE_ID`, default
    /// hostname and process id).
    public var instanceID: String
    public var httpHost: String
    public var httpPort: Int
    public var database: DatabaseSettings
    public var kafka: KafkaConfiguration
    public var calendar: BusinessCalendar
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Records taken per poll (`CONSUMER_BATCH_SIZE`).
    public var consumerBatchSize: Int
    /// How long one poll waits for the first record (`CONSUMER_POLL_TIMEOUT_MS`).
    public var consumerPollTimeout: Duration
    /// Events of one partition handled in one database transaction at most (`CONSUMER_TRANSACTION_BATCH`, default
    /// 100; 1 gives every event its own transaction). See ``RecordProcessor/process(inOrder:)``.
    public var consumerTransactionBatch: Int
    /// How long a shared transaction keeps taking in events before it commits (`CONSUMER_TRANSACTION_MAX_MS`,
    /// default 100): it bounds how long its locks are held and how long its first event waits for the commit.
    public var consumerTransactionTime: Duration
    /// Attempts before a record failing with a non-transient error is dead-lettered (`HANDLER_MAX_ATTEMPTS`).
    public var handlerMaxAttempts: Int
    /// Rows published per relay round (`OUTBOX_BATCH_SIZE`).
    public var outboxBatchSize: Int
    /// Safety poll of the outbox when no notification arrives (`OUTBOX_POLL_INTERVAL_MS`).
    public var outboxPollInterval: Duration
    /// Sent outbox rows and processed inbox ids are kept this long (`OUTBOX_RETENTION_HOURS`).
    public var retention: Duration
    /// How long one event transaction, outbox relay step or timer round may run before the service exits to be
    /// started again (`DATABASE_STALL_TIMEOUT_MS`, default 30 s; 0 turns the watchdog off). See ``StallWatchdog``.
    public var databaseStallTimeout: Duration
    /// Checks the HTTP API's bearer tokens (`AUTH_JWT_*`, see ``AccessTokenAuthority``).
    public var accessTokens: AccessTokenAuthority
    /// Settings only one service understands (thresholds, cadences); the service reads them itself.
    public var environment: EnvironmentReader

    public init(serviceName: String, defaultHTTPPort: Int, environment: EnvironmentReader) throws(ConfigurationError) {
        self.serviceName = serviceName
        self.environment = environment
        let host = ProcessInfo.processInfo.hostName
        instanceID = environment.string("SERVICE_INSTANCE_ID") ?? "\(host)-\(ProcessInfo.processInfo.processIdentifier)"
        httpHost = environment.string("HTTP_HOST", default: "0.0.0.0")
        httpPort = try environment.int("HTTP_PORT", default: defaultHTTPPort, in: 0...65_535)

        let urlKey = "\(serviceName.uppercased())_DATABASE_URL"
        let (key, url): (String, String?) =
            environment.string(urlKey).map { (urlKey, $0) } ?? ("DATABASE_URL", environment.string("DATABASE_URL"))
        guard let url else {
            throw ConfigurationError(
                key: "DATABASE_URL", reason: "not set; expected postgres://role:password@host:5432/database")
        }
        database = try DatabaseSettings(
            url: url, schema: environment.string("DATABASE_SCHEMA", default: serviceName), key: key)
        database.maximumConnections = try environment.int("DATABASE_MAX_CONNECTIONS", default: 10, in: 2...500)

        do {
            kafka = try KafkaConfiguration(environment: environment.values)
        } catch {
            throw ConfigurationError(key: "KAFKA_*", reason: "\(error)")
        }
        calendar = try BusinessCalendar(environment: environment)
        accessTokens = try AccessTokenAuthority(environment: environment)

        let level = environment.string("LOG_LEVEL", default: "info").lowercased()
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError(key: "LOG_LEVEL", reason: "\"\(level)\" is not trace, debug, info, notice, warning, error or critical")
        }
        self.logLevel = logLevel
        let format = environment.string("LOG_FORMAT", default: "text").lowercased()
        guard let logFormat = LogFormat(rawValue: format) else {
            throw ConfigurationError(key: "LOG_FORMAT", reason: "\"\(format)\" is not text or json")
        }
        self.logFormat = logFormat

        consumerBatchSize = try environment.int("CONSUMER_BATCH_SIZE", default: 500, in: 1...100_000)
        consumerPollTimeout = try environment.milliseconds("CONSUMER_POLL_TIMEOUT_MS", default: .milliseconds(100))
        consumerTransactionBatch = try environment.int("CONSUMER_TRANSACTION_BATCH", default: 100, in: 1...10_000)
        consumerTransactionTime = .milliseconds(
            try environment.int("CONSUMER_TRANSACTION_MAX_MS", default: 100, in: 1...60_000))
        handlerMaxAttempts = try environment.int("HANDLER_MAX_ATTEMPTS", default: 5, in: 1...1_000)
        outboxBatchSize = try environment.int("OUTBOX_BATCH_SIZE", default: 500, in: 1...100_000)
        outboxPollInterval = try environment.milliseconds("OUTBOX_POLL_INTERVAL_MS", default: .seconds(1))
        retention = .seconds(3600 * (try environment.int("OUTBOX_RETENTION_HOURS", default: 168, in: 1...100_000)))
        databaseStallTimeout = try environment.milliseconds("DATABASE_STALL_TIMEOUT_MS", default: .seconds(30))
    }
}
