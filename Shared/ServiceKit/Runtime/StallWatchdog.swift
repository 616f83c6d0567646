import Foundation
import Logging
import Synchronization

/// Ends the process when database work the service cannot do without stops making progress, so that the
/// supervisor starts it again.
///
/// PostgresNIO 1.33 can leave an operation that was in flight when PostgreSQL went away (reading a query's rows, or
/// `BEGIN` on a connection that is already closed) waiting for ever, deaf to cancellation and keeping its pooled
/// connection (docs/reliability.md, case 6b). A consumer then never finishes its batch and a relay never publishes
/// again, while the process looks healthy. The kit therefore runs each event's transaction, each outbox relay step
/// and each timer round under ``guarding(_:isolation:_:)``; when one has run longer than ``limit``, the watchdog logs
/// which one and for how long and exits with ``exitStatus`` (75, `EX_TEMPFAIL`). Kubernetes, systemd or `make run`
/// start the service again.
///
/// Exiting is safe by the kit's design, exactly as a SIGKILL is (reliability case 4): offsets are stored only after
/// a transaction commits, outbox rows are marked sent only after delivery, handlers are idempotent on the event id,
/// and timers are decided in the database.
///
/// Work is guarded through the task-local ``current`` watchdog, which the service runtime sets for the consumer, the
/// relay and the background jobs; without one (tests that drive a handler directly) nothing is watched.
public final class StallWatchdog: Sendable {
    /// The exit status after a stall: `EX_TEMPFAIL`, "try again later".
    public static let exitStatus: Int32 = 75

    /// The watchdog of the running service, if any.
    @TaskLocal public static var current: StallWatchdog?

    /// The guarded operation the task is inside, so that a nested one that ends counts as progress of its parent.
    @TaskLocal static var enclosing: UInt64?

    /// How long one guarded operation may run.
    public let limit: Duration

    private struct Operation {
        var name: String
        var started: ContinuousClock.Instant
    }

    private struct State {
        var nextID: UInt64 = 0
        var running: [UInt64: Operation] = [:]
        var fired = false
    }

    private let state = Mutex(State())
    private let logger: Logger
    private let onStall: @Sendable (_ operation: String, _ elapsed: Duration) -> Void

    /// - Parameters:
    ///   - limit: How long one guarded operation may run (`DATABASE_STALL_TIMEOUT_MS`).
    ///   - onStall: What to do once an operation has run longer (called once); by default log and exit with
    ///     ``exitStatus``.
    public init(
        limit: Duration, logger: Logger,
        onStall: (@Sendable (_ operation: String, _ elapsed: Duration) -> Void)? = nil
    ) {
        self.limit = limit
        self.logger = logger
        self.onStall =
            onStall ?? { operation, elapsed in
                logger.critical(
                    "database work has not finished in time; exiting so that the service is started again",
                    metadata: [
                        "operation": "\(operation)", "elapsed_ms": "\(elapsed.milliseconds)",
                        "limit_ms": "\(limit.milliseconds)", "exit_status": "\(Self.exitStatus)",
                    ])
                exit(Self.exitStatus)
            }
    }

    /// Runs `body` as one guarded operation named `name` (for the log: `event transaction`, `outbox read`…).
    ///
    /// Operations nest: when one guarded inside another ends, the outer one's clock starts again, so a timer round
    /// that commits batch after batch (a re-seal over a large table) is making progress however long it runs, while
    /// one stuck in a single operation is not.
    @discardableResult
    public func guarding<Result>(
        _ name: String, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
    ) async rethrows -> Result {
        let id = state.withLock { state in
            state.nextID += 1
            state.running[state.nextID] = Operation(name: name, started: .now)
            return state.nextID
        }
        let parent = Self.enclosing
        defer {
            state.withLock { state in
                state.running.removeValue(forKey: id)
                if let parent { state.running[parent]?.started = .now }
            }
        }
        return try await Self.$enclosing.withValue(id, operation: body, isolation: isolation)
    }

    /// Runs `body` under the task's ``current`` watchdog, or unguarded when there is none.
    @discardableResult
    public static func guarding<Result>(
        _ name: String, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
    ) async rethrows -> Result {
        guard let watchdog = current else { return try await body() }
        return try await watchdog.guarding(name, isolation: isolation, body)
    }

    /// The longest-running guarded operation and how long it has run, if any runs.
    public func oldest(at now: ContinuousClock.Instant = .now) -> (name: String, elapsed: Duration)? {
        state.withLock { state in
            state.running.values.min { $0.started < $1.started }.map { ($0.name, now - $0.started) }
        }
    }

    /// Checks once: fires (at most once in the watchdog's life) when the oldest operation is over the limit.
    /// - Returns: whether it fired.
    @discardableResult
    public func check(at now: ContinuousClock.Instant = .now) -> Bool {
        guard let (name, elapsed) = oldest(at: now), elapsed > limit else { return false }
        let first = state.withLock { state in
            defer { state.fired = true }
            return !state.fired
        }
        if first { onStall(name, elapsed) }
        return true
    }

    /// Checks several times per ``limit`` until cancelled.
    public func run() async {
        let interval = max(min(limit / 4, .seconds(1)), .milliseconds(50))
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            check()
        }
    }
}

extension Duration {
    /// The whole milliseconds of a duration.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
