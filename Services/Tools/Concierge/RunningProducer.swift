import Logging
import Messaging

/// Runs `body` with a producer whose delivery-report loop is running, then flushes and stops it.
func withRunningProducer<Result: Sendable>(
    _ configuration: KafkaConfiguration, logger: Logger, _ body: @escaping @Sendable (KafkaProducer) async throws -> Result
) async throws -> Result {
    let producer = try KafkaProducer(configuration: configuration, clientID: "concierge-cli", logger: logger)
    return try await producer.withRunning(logger: logger, body)
}
