import Foundation
import PostgresNIO
import TestSupport
import Testing

/// The scale-out check of `make bench` (issue 9): two instances of every service in their consumer groups under
/// load. The partitions must spread (every instance handles events), every walk-in must have exactly its effects
/// (the walk-in part of the reliability suite's reconciliation), and the throughput is reported beside one
/// instance's.
///
/// Part of the benchmark's suite, so that it never runs beside the phases (`BENCH_SCALE_OUT_WALKINS`, default
/// 20,000 walk-ins flat out; 0 skips it).
extension BenchmarkTests {
    static let scaleOutWalkIns = ProcessInfo.processInfo.environment["BENCH_SCALE_OUT_WALKINS"].flatMap(Int.init) ?? 20_000

    @Test(
        "D-01 C-03 C-05 C-06 two instances of every service share the partitions under load; every walk-in has its effects once",
        .enabled(if: scaleOutWalkIns > 0))
    func twoInstancesEach() async throws {
        let instances = Dictionary(uniqueKeysWithValues: ConciergeStack.serviceNames.map { ($0, 2) })
        let stack = try await ConciergeStack.start(environment: BenchDriver.serviceEnvironment, instances: instances)
        do {
            try await stack.withAdminClient { db in
                try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
                    let driver = BenchDriver(stack: stack, db: db, producer: producer)
                    try await driver.publishReferenceData()
                    say("bench: scale-out: reference data in; warming up")
                    try await driver.warmUp()
                    let phase = try await driver.run(
                        BenchPhase(name: "scale-out flat out", rate: nil, walkIns: Self.scaleOutWalkIns))
                    say("bench: \(phase.summary)")
                    let effects = try await Self.reconcileScaleOut(stack: stack, driver: driver, phase: phase, db: db)
                    let text = Self.scaleOutMarkdown(phase: phase, effects: effects)
                    say(text)
                    if let directory = ProcessInfo.processInfo.environment["CONCIERGE_BENCH_OUT"] {
                        try text.write(toFile: "\(directory)/scale-out.md", atomically: true, encoding: .utf8)
                    }
                    #expect(phase.missing == 0, "\(phase.missing) walk-ins without their follow-up task")
                    #expect(phase.doubled == 0, "\(phase.doubled) walk-ins with two follow-up tasks")
                    for (instance, delta) in phase.services.sorted(by: { $0.key < $1.key }) {
                        #expect(delta.consumed > 0, "\(instance) handled no event: the partitions did not spread")
                    }
                    for effect in effects {
                        #expect(effect.found == effect.expected, "\(effect.name): \(effect.found) of \(effect.expected)")
                    }
                }
            }
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    struct ScaleOutEffect: Sendable {
        var name: String
        var expected: Int
        var found: Int
    }

    /// Per walk-in of the phase, each effect once: counted rows and distinct keys must both equal the expectation.
    static func reconcileScaleOut(stack: ConciergeStack, driver: BenchDriver, phase: PhaseFigures, db: PostgresClient)
        async throws -> [ScaleOutEffect]
    {
        let (i, a, e) = (stack.schema("intake"), stack.schema("assignment"), stack.schema("engagement"))
        let prefix = driver.visitPrefix(phase.name)
        let n = phase.walkIns
        func both(_ table: String, key: String, _ condition: String) -> String {
            "SELECT count(*) || ' ' || count(DISTINCT \(key)) FROM \(table) WHERE \(condition)"
        }
        let checks: [(String, Int, String)] = [
            ("visits recorded (C-05)", n, both("\(i).visits", key: "visit_id", "visit_id LIKE '\(prefix)%'")),
            (
                "referrals routed (C-03)", n,
                both("\(a).referrals", key: "visit_id", "visit_id LIKE '\(prefix)%' AND status = 'routed'")
            ),
            (
                "walk-in tasks (C-05, C-06)", 3 * n,
                both(
                    "\(e).tasks", key: "visit_id || kind",
                    "visit_id LIKE '\(prefix)%' AND kind IN ('receive_walkin', 'record_visit', 'follow_up')")
            ),
            (
                "one owner per customer (D-01)", driver.customers.count,
                both("\(a).relationships", key: "customer_id", "state = 'owned'")
            ),
        ]
        var effects: [ScaleOutEffect] = []
        for (name, expected, sql) in checks {
            let pair = try await driver.value(sql, as: String.self).split(separator: " ").compactMap { Int($0) }
            // A double shows as more rows than keys; a loss as fewer keys than expected.
            effects.append(ScaleOutEffect(name: name, expected: expected, found: pair[0] == pair[1] ? pair[1] : -pair[0]))
        }
        var deadLetters = 0
        for service in ConciergeStack.serviceNames {
            deadLetters += try await driver.value(
                "SELECT count(*)::int FROM \(stack.schema(service)).inbox WHERE outcome = 'dead_lettered'", as: Int.self)
        }
        effects.append(ScaleOutEffect(name: "dead letters", expected: 0, found: deadLetters))
        return effects
    }

    static func scaleOutMarkdown(phase: PhaseFigures, effects: [ScaleOutEffect]) -> String {
        var lines = [
            "Two instances of every service, \(phase.walkIns) walk-ins flat out: \(Int(phase.sustained.rounded()))/s "
                + "end to end, p50 \(ms(phase.latencies.p50)), p99 \(ms(phase.latencies.p99)), max \(ms(phase.latencies.max)).",
            "",
            "| instance | events consumed | CPU s | peak RSS | peak lag |",
            "|---|---|---|---|---|",
        ]
        for (instance, delta) in phase.services.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "| \(instance) | \(delta.consumed) | \(String(format: "%.1f", delta.cpuSeconds)) | "
                    + "\(Int(delta.peakResidentMB.rounded())) MB | \(delta.peakLag) |")
        }
        lines += ["", "| effect | expected | found |", "|---|---|---|"]
        lines += effects.map { "| \($0.name) | \($0.expected) | \($0.found < 0 ? "\(-$0.found) rows, doubled" : "\($0.found)") |" }
        return lines.joined(separator: "\n")
    }
}
