import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// What one of the five services supplies to the kit: its name and port, the topics it reads, its migrations,
/// its event handler, its HTTP routes and any timers.
///
/// The kit supplies everything else: configuration, PostgreSQL, Kafka, the inbox and outbox, dead letters,
/// health, metrics, logging and graceful shutdown (`ServiceMain.run`).
public protocol ConciergeService: EventHandling {
    /// The product name, also the consumer group id and the default schema (`intake`).
    static var name: String { get }
    static var defaultHTTPPort: Int { get }
    /// Topics the service consumes.
    static var consumedTopics: [String] { get }
    /// Topics the service publishes to (created at start-up with the consumed ones).
    static var producedTopics: [String] { get }
    /// The service's SQL migrations, in order.
    static func migrations() throws -> [Migration]

    init(context: ServiceContext) throws

    /// Adds the service's own endpoints. They answer 503 until migrations are applied, and 401 without a valid
    /// bearer token; each route decides what the caller (`context.caller()`) may see (``ResourceScope``).
    func addRoutes(to router: Router<ConciergeRequestContext>)

    /// Long-running jobs (deadline timers and the like); each must return on graceful shutdown.
    func backgroundJobs() -> [any BackgroundJob]
}

extension ConciergeService {
    public func backgroundJobs() -> [any BackgroundJob] { [] }
}

/// A timer or other periodic job of a service.
public protocol BackgroundJob: Sendable {
    var name: String { get }
    func run() async throws
}

/// Shared resources a service is built with.
public struct ServiceContext: Sendable {
    public let configuration: ServiceConfiguration
    public let postgres: PostgresClient
    public let metrics: ServiceMetrics
    public let logger: Logger

    public init(configuration: ServiceConfiguration, postgres: PostgresClient, metrics: ServiceMetrics, logger: Logger) {
        self.configuration = configuration
        self.postgres = postgres
        self.metrics = metrics
        self.logger = logger
    }

    public var calendar: BusinessCalendar { configuration.calendar }
    public var environment: EnvironmentReader { configuration.environment }

    /// Runs `body` in a transaction whose emitted events go to the outbox before it commits (for HTTP commands and
    /// timer rounds; under the stall watchdog when the task has one, see ``StallWatchdog``).
    /// An ``APIError`` thrown by `body` rolls back and is rethrown as it is.
    public func withOutboxTransaction<Result: Sendable>(
        _ body: (PostgresConnection, EventOutbox) async throws -> Result
    ) async throws -> Result {
        do {
            return try await StallWatchdog.guarding("transaction") {
                try await postgres.withTransaction(logger: logger) { connection in
                    let outbox = EventOutbox(
                        source: "concierge/\(configuration.serviceName)", causationID: nil, correlationID: nil,
                        calendar: configuration.calendar)
                    let result = try await body(connection, outbox)
                    try await outbox.flush(on: connection, logger: logger)
                    return result
                }
            }
        } catch let error as PostgresTransactionError {
            if let apiError = error.closureError as? APIError { throw apiError }
            throw error
        }
    }
}
