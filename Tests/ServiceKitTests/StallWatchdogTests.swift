import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import ServiceKit

/// The stall watchdog (H-06, docs/reliability.md case 6): database work that never ends must end the process rather
/// than leave a service that looks healthy and does nothing. The process exit itself is proven across processes in
/// `CrashRecoveryTests`; here the decision, with a recording action instead of `exit`.
@Suite("Stall watchdog")
struct StallWatchdogTests {
    final class Stalls: Sendable {
        let fired = Mutex<[(String, Duration)]>([])
        var all: [(String, Duration)] { fired.withLock { $0 } }
    }

    func watchdog(limit: Duration, recording stalls: Stalls) -> StallWatchdog {
        StallWatchdog(limit: limit, logger: Logger(label: "test.watchdog")) { name, elapsed in
            stalls.fired.withLock { $0.append((name, elapsed)) }
        }
    }

    @Test("H-06 an operation running past the limit fires once, naming the operation; shorter ones do not")
    func firesOnce() async throws {
        let stalls = Stalls()
        let watchdog = watchdog(limit: .seconds(30), recording: stalls)
        let (stream, release) = AsyncStream.makeStream(of: Void.self)
        // The operation starts between these two instants; the checks are relative to them, not to a later `.now`
        // (a loaded machine once took over a second between registering the operation and the first check).
        let before = ContinuousClock.now
        let running = Task {
            await watchdog.guarding("event transaction") {
                for await _ in stream { break }
            }
        }
        // Wait until the operation is registered.
        while watchdog.oldest() == nil { try await Task.sleep(for: .milliseconds(5)) }
        let registered = ContinuousClock.now
        #expect(watchdog.oldest()?.name == "event transaction")
        #expect(!watchdog.check(at: before + .seconds(29)), "within the limit")
        #expect(stalls.all.isEmpty)
        #expect(watchdog.check(at: registered + .seconds(31)))
        #expect(watchdog.check(at: registered + .seconds(40)), "still stalled")
        #expect(stalls.all.count == 1, "the action runs once")
        #expect(stalls.all.first?.0 == "event transaction")
        #expect((stalls.all.first?.1 ?? .zero) > .seconds(30))
        release.yield()
        release.finish()
        await running.value
        #expect(watchdog.oldest() == nil, "a finished operation is forgotten")
        #expect(!watchdog.check(at: .now + .seconds(3600)))
    }

    @Test("H-06 the oldest of several operations is the one reported, and a thrown error also ends an operation")
    func oldestAndErrors() async throws {
        let stalls = Stalls()
        let watchdog = watchdog(limit: .seconds(1), recording: stalls)
        struct Failure: Error {}
        await #expect(throws: Failure.self) {
            try await watchdog.guarding("outbox read") { throw Failure() }
        }
        #expect(watchdog.oldest() == nil)
        try await watchdog.guarding("job engagement-scheduler") {
            try await Task.sleep(for: .milliseconds(20))
            await watchdog.guarding("inner") {
                #expect(watchdog.oldest()?.name == "job engagement-scheduler")
            }
        }
        #expect(stalls.all.isEmpty)
    }

    @Test("H-06 a round that keeps finishing inner operations is making progress; its clock starts again each time")
    func nestedProgress() async throws {
        let stalls = Stalls()
        let watchdog = watchdog(limit: .seconds(30), recording: stalls)
        try await watchdog.guarding("job pii-reseal") {
            try await Task.sleep(for: .milliseconds(500))
            #expect((watchdog.oldest()?.elapsed ?? .zero) >= .milliseconds(500), "the round's clock runs")
            await watchdog.guarding("re-seal batch") {}
            // The batch ended: the round is timed from now, not from its start.
            #expect((watchdog.oldest()?.elapsed ?? .seconds(1)) < .milliseconds(400))
            #expect(watchdog.oldest()?.name == "job pii-reseal")
        }
        #expect(watchdog.oldest() == nil)
        #expect(stalls.all.isEmpty)
    }

    @Test("H-06 work guarded through the task-local watchdog is watched; without one it just runs")
    func taskLocal() async throws {
        let stalls = Stalls()
        let watchdog = watchdog(limit: .seconds(1), recording: stalls)
        let unwatched = await StallWatchdog.guarding("no watchdog") { 42 }
        #expect(unwatched == 42)
        let seen = await StallWatchdog.$current.withValue(watchdog) {
            await withTaskGroup(of: String?.self) { group in
                // Child tasks (the relay, the jobs) inherit it.
                group.addTask { await StallWatchdog.guarding("outbox mark sent") { watchdog.oldest()?.name } }
                return await group.next() ?? nil
            }
        }
        #expect(seen == "outbox mark sent")
    }

    @Test("H-06 run() checks on its own and fires for a hung operation")
    func runLoop() async throws {
        let stalls = Stalls()
        let watchdog = watchdog(limit: .milliseconds(100), recording: stalls)
        // The operation hangs until the test ends it, not for a fixed time: under a full test run on two cores, CPU-
        // bound suites can keep the cooperative pool busy for seconds, and an operation that ended by itself first
        // would leave nothing to fire for (CI run of cb48315).
        let (hang, release) = AsyncStream.makeStream(of: Void.self)
        let checking = Task { await watchdog.run() }
        let hung = Task { await watchdog.guarding("hung") { for await _ in hang { break } } }
        let fired = await TestHTTP.eventually(timeout: .seconds(60), interval: .milliseconds(20)) {
            stalls.all.isEmpty ? nil : true
        }
        checking.cancel()
        release.finish()
        await hung.value
        #expect(fired == true)
        #expect(stalls.all.first?.0 == "hung")
    }

    @Test("DATABASE_STALL_TIMEOUT_MS: 30 s by default, 0 turns the watchdog off, nonsense is refused")
    func configuration() throws {
        func read(_ value: String?) throws -> Duration {
            var values = [
                "AUTH_JWT_KEYS": TestEnvironment.authKeys, "DATABASE_URL": "postgres://intake:x@127.0.0.1:5432/concierge",
            ]
            values["DATABASE_STALL_TIMEOUT_MS"] = value
            return try ServiceConfiguration(
                serviceName: "intake", defaultHTTPPort: 8081, environment: EnvironmentReader(values)
            ).databaseStallTimeout
        }
        #expect(try read(nil) == .seconds(30))
        #expect(try read("0") == .zero)
        #expect(try read("2500") == .milliseconds(2500))
        #expect(throws: ConfigurationError.self) { try read("-1") }
        #expect(throws: ConfigurationError.self) { try read("soon") }
    }
}
