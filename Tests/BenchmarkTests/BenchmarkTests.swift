import Foundation
import Logging
import Messaging
import PostgresNIO
import TestSupport
import Testing

/// `make bench` (docs/performance.md): the five service executables (release build) on the development broker and
/// PostgreSQL, driven with walk-ins at fixed rates and flat out. Prints, and writes to `CONCIERGE_BENCH_OUT`, one row
/// per phase: walk-ins per second sustained end to end (walk-in published → follow-up task persisted), that path's
/// latency, events per second per service, CPU seconds and peak RSS per service, and the backlog when publishing
/// stopped. Before any load, the anchors (``BenchAnchors``) run on the same broker and database, and the report gives
/// Concierge's figures as ratios of them.
///
/// Skipped unless `CONCIERGE_BENCH=1`. Nothing here asserts a speed: speed is a figure, not a test result. What it
/// does check is that every walk-in of every phase ended with its follow-up task, so a fast run is a correct run.
@Suite(
    "Benchmark (make bench)", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["CONCIERGE_BENCH"] == "1"),
    .timeLimit(.minutes(30))
)
struct BenchmarkTests {
    static let environment = ProcessInfo.processInfo.environment
    /// Walk-ins per second of the fixed-rate phases (`BENCH_RATES`, comma-separated).
    static let rates = (environment["BENCH_RATES"] ?? "100,200,500,1000,2000").split(separator: ",").compactMap {
        Int($0.trimmingCharacters(in: .whitespaces))
    }
    /// Seconds each fixed-rate phase publishes (`BENCH_PHASE_SECONDS`).
    static let phaseSeconds = environment["BENCH_PHASE_SECONDS"].flatMap(Double.init) ?? 20
    /// Walk-ins of the flat-out phase (`BENCH_FLAT_OUT_WALKINS`; 0 leaves it out).
    static let flatOutWalkIns = environment["BENCH_FLAT_OUT_WALKINS"].flatMap(Int.init) ?? 30_000

    @Test("C-05 C-06 walk-in → follow-up task: throughput, latency, CPU and memory per service")
    func walkIns() async throws {
        let stack = try await ConciergeStack.start(environment: BenchDriver.serviceEnvironment)
        do {
            let anchors = await BenchAnchors.measure(
                brokers: stack.kafkaConfiguration.bootstrapServers, databaseURL: TestEnvironment.databaseURL ?? "")
            let report = try await stack.withAdminClient { db in
                try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
                    let driver = BenchDriver(stack: stack, db: db, producer: producer)
                    try await driver.publishReferenceData()
                    say("bench: reference data in; warming up")
                    try await driver.warmUp()
                    var phases: [PhaseFigures] = []
                    for rate in Self.rates {
                        let walkIns = Int((Double(rate) * Self.phaseSeconds).rounded())
                        let figures = try await driver.run(BenchPhase(name: "\(rate)/s", rate: rate, walkIns: walkIns))
                        say("bench: \(figures.summary)")
                        phases.append(figures)
                    }
                    if Self.flatOutWalkIns > 0 {
                        let figures = try await driver.run(
                            BenchPhase(name: "flat out", rate: nil, walkIns: Self.flatOutWalkIns))
                        say("bench: \(figures.summary)")
                        phases.append(figures)
                    }
                    return BenchReport(phases: phases, warmUp: driver.warmUpFigures)
                }
            }
            let text = report.markdown()
            let anchorText = anchors.markdown(phases: report.phases)
            say(anchorText)
            say(text)
            if let directory = Self.environment["CONCIERGE_BENCH_OUT"] {
                try anchorText.write(toFile: "\(directory)/anchors.md", atomically: true, encoding: .utf8)
                try text.write(toFile: "\(directory)/phases.md", atomically: true, encoding: .utf8)
            }
            for phase in report.phases {
                #expect(phase.missing == 0, "\(phase.name): \(phase.missing) walk-ins without their follow-up task")
                #expect(phase.doubled == 0, "\(phase.name): \(phase.doubled) walk-ins with two follow-up tasks")
            }
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }
}
