import Logging
import ServiceLifecycle

/// A background job that runs `body` every `interval` until graceful shutdown. A failing round is logged and the
/// next round tries again; the job never takes the service down. A round that hangs past the stall limit ends the
/// process (``StallWatchdog``).
public struct PeriodicJob: BackgroundJob {
    public let name: String
    public let interval: Duration
    let logger: Logger
    let body: @Sendable () async throws -> Void

    public init(name: String, interval: Duration, logger: Logger, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.body = body
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // Shutting down.
            }
            do {
                try await StallWatchdog.guarding("job \(name)") { try await body() }
            } catch {
                logger.warning(
                    "background job round failed; the next round tries again",
                    metadata: ["job": "\(name)", "error": "\(FailureKind.summary(error))"])
            }
        }
    }
}
