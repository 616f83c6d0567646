import Foundation
import Logging
import PostgresNIO
import ServiceKit
import Synchronization
import TestSupport

/// Case 6 narrowed down to the database client: what PostgresNIO's `PostgresClient` (the pool every service uses)
/// does with the work it has in flight when PostgreSQL stops with `-m immediate`. Twenty workers run short
/// transactions in a loop on a pool of ten connections, as a busy consumer does; PostgreSQL crashes and comes back.
/// Every worker should end the transaction it had in flight (with an error) and then commit again. A worker that
/// never does is stuck in the client for good: its task ignores cancellation and its connection stays leased. The
/// workers run under a ``StallWatchdog`` (limit 10 s, recording instead of exiting), as the services' work does: a
/// stuck worker must be caught by it, which is what ends a service's process (case 6).
enum PostgresClientCrash {
    struct Outcome: Sendable {
        /// Per stuck worker, the step it is stuck in.
        var stuck: [Int: String]
        var workers: Int
        /// The operation the watchdog caught running past its limit, if any.
        var caught: String?
    }

    static let workers = 20

    static func run() async throws -> Outcome {
        try PostgresControl.requireOwnCluster()
        let url = TestEnvironment.databaseURL ?? ""
        var settings = try DatabaseSettings(url: url, schema: "public")
        settings.maximumConnections = 10
        let logger = Logger(label: "reliability.postgres-client")
        let client = PostgresClient(configuration: try settings.makeClientConfiguration(), backgroundLogger: logger)
        let running = Task { await client.run() }
        let steps = Steps()
        let caught = Mutex<String?>(nil)
        let watchdog = StallWatchdog(limit: .seconds(10), logger: logger) { name, _ in
            caught.withLock { $0 = $0 ?? name }
        }
        let watching = Task { await watchdog.run() }
        // Unstructured on purpose: a stuck worker must not keep the test from ending.
        let tasks = (0..<workers).map { worker in
            Task {
                while !Task.isCancelled {
                    do {
                        steps.set(worker, "leasing a connection or sending BEGIN")
                        try await watchdog.guarding("worker \(worker) transaction") {
                            try await client.withTransaction(logger: logger) { connection in
                                steps.set(worker, "sending a query")
                                let rows = try await connection.query("SELECT pg_sleep(0.05)", logger: logger)
                                steps.set(worker, "reading the query's rows")
                                _ = try await rows.collect()
                                steps.set(worker, "sending COMMIT")
                            }
                        }
                        steps.committed(worker)
                    } catch {
                        steps.set(worker, "failed, retrying")
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        try await Task.sleep(for: .seconds(3))
        try await PostgresControl.run("crash")
        try await Task.sleep(for: .seconds(5))
        try await PostgresControl.run("start")
        steps.expectAll(workers)
        // Fifteen seconds for every worker to commit once more.
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline, !steps.pending.isEmpty {
            try await Task.sleep(for: .milliseconds(200))
        }
        let stuck = steps.pending
        watching.cancel()
        for task in tasks { task.cancel() }
        running.cancel()
        return Outcome(stuck: stuck, workers: workers, caught: caught.withLock { $0 })
    }

    /// Where each worker is; once PostgreSQL is back, a worker leaves `pending` when it commits.
    final class Steps: Sendable {
        private let state = Mutex<(step: [Int: String], pending: Set<Int>)>(([:], []))

        func set(_ worker: Int, _ step: String) {
            state.withLock { $0.step[worker] = step }
        }

        func committed(_ worker: Int) {
            state.withLock { _ = $0.pending.remove(worker) }
        }

        func expectAll(_ count: Int) {
            state.withLock { $0.pending = Set(0..<count) }
        }

        var pending: [Int: String] {
            state.withLock { state in
                Dictionary(uniqueKeysWithValues: state.pending.map { ($0, state.step[$0] ?? "not started") })
            }
        }
    }
}
