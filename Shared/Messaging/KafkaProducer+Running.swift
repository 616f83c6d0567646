import Logging
import ServiceLifecycle

// MARK: - KafkaProducer + running around a piece of work

extension KafkaProducer {
    /// Runs the producer's delivery-report loop around `body`, then shuts it down gracefully, which flushes what
    /// is still queued.
    ///
    /// For tools and tests that publish a few records and stop; a service runs its producer in its own
    /// `ServiceGroup` instead.
    /// - Throws: what `body` throws, or the producer's own error.
    public func withRunning<Result: Sendable>(
        logger: Logger, _ body: @Sendable (KafkaProducer) async throws -> Result
    ) async throws -> Result {
        let group = ServiceGroup(services: [self], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body(self))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }
}
