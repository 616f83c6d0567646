import Events
import Foundation
import Messaging
import PostgresNIO
import Synchronization
import TestSupport

/// One phase of the benchmark: `walkIns` walk-ins at `rate` per second, or as fast as the producer takes them.
struct BenchPhase: Sendable {
    var name: String
    var rate: Int?
    var walkIns: Int
}

/// Drives the stack: reference data, a warm-up, then phases of walk-ins; measures each phase.
///
/// Every walk-in is of a VIP customer who already has a relationship manager (the warm-up assigned them), so each
/// costs the same: intake records it and asks for a referral, assignment routes it to the owner, engagement persists
/// its three tasks (reception, visit record, follow-up); scoring counts it. The latency of a walk-in is from the
/// moment the benchmark hands it to the producer to the `created_at` of its follow-up task in engagement's schema
/// (the start of the transaction that persisted it; same machine, same clock).
final class BenchDriver: Sendable {
    static let branchCount = 10
    static let managersPerBranch = 6
    /// VIP customers per branch (`BENCH_CUSTOMERS_PER_BRANCH`, default 300): each gets an owner in the warm-up.
    static let customersPerBranch = ProcessInfo.processInfo.environment["BENCH_CUSTOMERS_PER_BRANCH"].flatMap(Int.init)
        .map { max(1, $0) } ?? 300
    /// Settings added to the services' environment.
    static let serviceEnvironment: [String: [String: String]] = [:]

    let stack: ConciergeStack
    let db: PostgresClient
    let producer: KafkaProducer
    let run: String
    let branches: [String]
    let customers: [(id: String, branch: String)]
    private let warmUpState = Mutex<PhaseFigures?>(nil)

    init(stack: ConciergeStack, db: PostgresClient, producer: KafkaProducer) {
        self.stack = stack
        self.db = db
        self.producer = producer
        run = String(stack.runID.prefix(6))
        branches = (1...Self.branchCount).map { "BB\(stack.runID.prefix(6))\($0)" }
        customers = branches.flatMap { branch in
            (1...Self.customersPerBranch).map { (id: "C-\(branch)-\($0)", branch: branch) }
        }
    }

    var warmUpFigures: PhaseFigures? { warmUpState.withLock { $0 } }

    func lobbyManager(_ branch: String) -> String { "LM-\(branch)" }

    // MARK: - Reference data and warm-up

    /// A roster per branch (lobby manager, centre head, team lead, wealth managers) and a VIP profile per customer
    /// (assets 300,000 to 3,290,000: tiers A, B and C); waits until the services have them.
    func publishReferenceData() async throws {
        var records: [KafkaOutgoingRecord] = []
        for branch in branches {
            records.append(TestEvents.staff(lobbyManager(branch), branch: branch, role: .lobbyManager))
            records.append(TestEvents.staff("CH-\(branch)", branch: branch, role: .centreHead))
            records.append(TestEvents.staff("TL-\(branch)", branch: branch, role: .teamLead))
            records += (1...Self.managersPerBranch).map {
                TestEvents.staff("WM-\(branch)-\($0)", branch: branch, role: .wealthManager)
            }
        }
        for (index, customer) in customers.enumerated() {
            records.append(
                TestEvents.profile(customer.id, branch: customer.branch, aum: 300_000 + Int64(index % 300) * 10_000))
        }
        for result in await producer.send(records) { _ = try result.get() }
        let (intake, assignment, engagement) = (stack.schema("intake"), stack.schema("assignment"), stack.schema("engagement"))
        let staff = branches.count * (3 + Self.managersPerBranch)
        let ready = try await waitFor(timeout: .seconds(180)) {
            try await self.value(
                """
                SELECT (SELECT count(*) FROM \(intake).customer_profiles) = \(self.customers.count)
                    AND (SELECT count(*) FROM \(assignment).staff) = \(staff)
                    AND (SELECT count(*) FROM \(assignment).customer_tiers) = \(self.customers.count)
                    AND (SELECT count(*) FROM \(engagement).staff) = \(staff)
                """, as: Bool.self)
        }
        guard ready else { throw BenchError("the services did not take in the reference data within 3 minutes") }
    }

    /// One walk-in per customer at 300 per second: assignment gives each an owner (D-01) and engagement plans their
    /// year (E-03), so that the measured phases see owned customers only.
    func warmUp() async throws {
        let figures = try await run(
            BenchPhase(name: "warm-up", rate: 300, walkIns: customers.count), drainTimeout: .seconds(900))
        warmUpState.withLock { $0 = figures }
        let owners = try await value(
            "SELECT count(DISTINCT customer_id) FROM \(stack.schema("assignment")).relationships", as: Int.self)
        guard owners == customers.count else {
            throw BenchError("after the warm-up \(owners) of \(customers.count) customers have an owner")
        }
    }

    // MARK: - A phase

    /// The visit ids of a phase start with this.
    func visitPrefix(_ phaseName: String) -> String {
        "V\(run)-\(phaseName.filter { $0.isLetter || $0.isNumber })-"
    }

    /// - Parameter drainTimeout: how long to wait for the last follow-up tasks after publishing (default: 2 minutes,
    ///   or a second per 100 walk-ins when that is longer).
    func run(_ phase: BenchPhase, drainTimeout: Duration? = nil) async throws -> PhaseFigures {
        let prefix = visitPrefix(phase.name)
        let before = try await ServiceSample.all(stack)
        let lagSampler = Task { await ServiceSample.peakLag(self.stack) }
        say(
            "bench: \(phase.name): publishing \(phase.walkIns) walk-ins "
                + (phase.rate.map { "at \($0) per second (about \(phase.walkIns / max(1, $0)) s)" } ?? "as fast as the producer takes them"))
        let started = ContinuousClock.now
        let published: [String: Double]
        do {
            published = try await publish(phase, prefix: prefix)
        } catch {
            lagSampler.cancel()
            throw error
        }
        let publishing = ContinuousClock.now - started

        let engagement = stack.schema("engagement")
        let countQuery =
            "SELECT count(*) FROM \(engagement).tasks WHERE kind = 'follow_up' AND visit_id LIKE '\(prefix)%'"
        let backlog = phase.walkIns - (try await value(countQuery, as: Int.self))
        let drainStarted = ContinuousClock.now
        let drainTimeout = drainTimeout ?? .seconds(max(120, phase.walkIns / 100))
        let lastReport = Mutex(ContinuousClock.now)
        _ = try await waitFor(timeout: drainTimeout) {
            let done = try await self.value(countQuery, as: Int.self)
            if ContinuousClock.now - lastReport.withLock({ $0 }) > .seconds(10) {
                lastReport.withLock { $0 = .now }
                say("bench: \(phase.name): \(done) of \(phase.walkIns) follow-up tasks persisted")
            }
            return done >= phase.walkIns
        }
        let drain = ContinuousClock.now - drainStarted
        lagSampler.cancel()
        let peakLag = await lagSampler.value
        let after = try await ServiceSample.all(stack)

        // Follow-up tasks of the phase: when each was persisted.
        var persisted: [String: [Double]] = [:]
        let rows = try await db.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT visit_id, (extract(epoch FROM created_at) * 1000)::float8 FROM \(engagement).tasks
                    WHERE kind = 'follow_up' AND visit_id LIKE '\(prefix)%'
                    """)
        ).collect()
        for row in rows {
            let (visit, at) = try row.decode((String, Double).self)
            persisted[visit, default: []].append(at)
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(published.count)
        for (visit, publishedAt) in published {
            if let at = persisted[visit]?.min() { latencies.append(at - publishedAt) }
        }
        let firstPublished = published.values.min() ?? 0
        let lastPersisted = persisted.values.compactMap { $0.min() }.max() ?? firstPublished
        return PhaseFigures(
            name: phase.name, targetRate: phase.rate, walkIns: phase.walkIns, publishing: publishing,
            endToEndSeconds: max(0.001, (lastPersisted - firstPublished) / 1000),
            latencies: Percentiles(latencies),
            missing: published.keys.filter { persisted[$0] == nil }.count,
            doubled: persisted.values.filter { $0.count > 1 }.count,
            backlogAtStop: backlog, drain: drain,
            services: ServiceSample.delta(before: before, after: after, peakLag: peakLag))
    }

    /// Publishes the phase's walk-ins, paced by the wall clock (or flat out), several batches in flight.
    /// - Returns: per visit id, when it was handed to the producer (milliseconds since 1970).
    private func publish(_ phase: BenchPhase, prefix: String) async throws -> [String: Double] {
        var published: [String: Double] = [:]
        published.reserveCapacity(phase.walkIns)
        let start = ContinuousClock.now
        var sent = 0
        let producer = self.producer
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            var inFlight = 0
            var failures = 0
            while sent < phase.walkIns {
                let due: Int
                if let rate = phase.rate {
                    let elapsed = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
                        + Double((ContinuousClock.now - start).components.seconds)
                    due = min(phase.walkIns, Int(elapsed * Double(rate)) + 1)
                } else {
                    due = phase.walkIns
                }
                guard due > sent else {
                    try await Task.sleep(for: .milliseconds(2))
                    continue
                }
                let end = min(due, sent + 1_000)
                var batch: [KafkaOutgoingRecord] = []
                batch.reserveCapacity(end - sent)
                for index in sent..<end {
                    let customer = customers[index % customers.count]
                    let visit = "\(prefix)\(index)"
                    let now = Timestamp.now(utcOffsetSeconds: 8 * 3600)
                    batch.append(
                        TestEvents.record(
                            VisitArrived.V1(
                                visitId: visit, branchId: customer.branch, arrivedAt: now, customerId: customer.id,
                                purpose: .wealthConsultation, recordedBy: lobbyManager(customer.branch),
                                recordedByRole: .lobbyManager), time: now))
                    published[visit] = Double(now.millisecondsSinceEpoch)
                }
                sent = end
                group.addTask {
                    await producer.send(batch).reduce(0) { count, result in
                        if case .failure = result { count + 1 } else { count }
                    }
                }
                inFlight += 1
                if inFlight >= 16, let done = try await group.next() {
                    failures += done
                    inFlight -= 1
                }
            }
            for try await done in group { failures += done }
            return failures
        }
        guard failures == 0 else { throw BenchError("\(failures) walk-ins of \(phase.name) were not delivered") }
        return published
    }

    // MARK: - Database helpers

    func value<T: PostgresDecodable & Sendable>(_ sql: String, as type: T.Type) async throws -> T {
        let rows = try await db.query(PostgresQuery(unsafeSQL: sql)).collect()
        guard let row = rows.first else { throw BenchError("no row from \(sql)") }
        return try row.decode(T.self)
    }

    /// Polls `check` every 200 ms until it says true; whether it did within `timeout`.
    func waitFor(timeout: Duration, _ check: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await check()) == true { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
