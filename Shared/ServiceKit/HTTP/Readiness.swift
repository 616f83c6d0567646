import Logging
import Messaging
import PostgresNIO
import Synchronization

/// What `GET /health/ready` reports: ready once migrations are applied and both the database and Kafka answer.
///
/// Checks run at most once a second however often the probe asks.
public final class Readiness: Sendable {
    public struct Report: Sendable, Encodable {
        public var status: String
        public var checks: [String: String]
        public var isReady: Bool { status == "ready" }
    }

    private struct State {
        var migrationsApplied = false
        var lastReport: Report?
        var lastCheck: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    let client: PostgresClient
    let producer: KafkaProducer
    let logger: Logger

    init(client: PostgresClient, producer: KafkaProducer, logger: Logger) {
        self.client = client
        self.producer = producer
        self.logger = logger
    }

    public var migrationsApplied: Bool { state.withLock { $0.migrationsApplied } }

    func markMigrationsApplied() {
        state.withLock {
            $0.migrationsApplied = true
            $0.lastReport = nil
        }
    }

    public func report() async -> Report {
        if let cached = state.withLock({ state -> Report? in
            guard let last = state.lastCheck, ContinuousClock.now - last < .seconds(1) else { return nil }
            return state.lastReport
        }) {
            return cached
        }
        var checks: [String: String] = [:]
        checks["migrations"] = migrationsApplied ? "ok" : "pending"
        do {
            _ = try await client.query("SELECT 1", logger: logger).collect()
            checks["database"] = "ok"
        } catch {
            checks["database"] = "unreachable"
        }
        checks["kafka"] = await producer.isClusterReachable(timeout: .seconds(2)) ? "ok" : "unreachable"
        let report = Report(status: checks.values.allSatisfy { $0 == "ok" } ? "ready" : "not_ready", checks: checks)
        state.withLock {
            $0.lastReport = report
            $0.lastCheck = .now
        }
        return report
    }
}
