import Logging
import Messaging
import ServiceLifecycle

/// Runs `body` with a producer whose delivery-report loop is running, then flushes and stops it.
func withRunningProducer<Result: Sendable>(
    _ configuration: KafkaConfiguration, logger: Logger, _ body: @escaping @Sendable (KafkaProducer) async throws -> Result
) async throws -> Result {
    let producer = try KafkaProducer(configuration: configuration, clientID: "concierge-cli", logger: logger)
    let job = OneShot(body: { try await body(producer) })
    let group = ServiceGroup(
        configuration: .init(
            services: [
                .init(service: producer),
                .init(service: job, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger))
    try await group.run()
    guard let result = job.result.withLock({ $0 }) else { throw CancellationError() }
    return try result.get()
}

import Synchronization

/// A service that runs one piece of work and keeps its result.
final class OneShot<Result: Sendable>: Service {
    let body: @Sendable () async throws -> Result
    let result = Mutex<Swift.Result<Result, any Error>?>(nil)

    init(body: @escaping @Sendable () async throws -> Result) {
        self.body = body
    }

    func run() async throws {
        do {
            let value = try await body()
            result.withLock { $0 = .success(value) }
        } catch {
            result.withLock { $0 = .failure(error) }
        }
    }
}
