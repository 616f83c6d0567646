import Foundation
import ServiceKit
import Testing

/// The fault-injection suite of `make reliability` (docs/reliability.md): the five real executables against the
/// mock cluster (in this process, for its fault injection) and PostgreSQL, under a steady stream of walk-ins,
/// complaints, escalations and contacts; one fault per case; afterwards every input has exactly its business effects
/// — none missing, none doubled — and every outbox row is on its topic, in commit order, with one content.
///
/// Skipped unless `CONCIERGE_RELIABILITY=1` (about 12 minutes on 2 cores; `make test` stays fast).
@Suite(
    "Fault injection (make reliability)", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["CONCIERGE_RELIABILITY"] == "1"),
    .timeLimit(.minutes(10))
)
struct ReliabilityTests {
    @Test("H-06 D-01 C-05 C-06 C-10 F-01 F-04 1: a broker down, then partitions leaderless, during produce")
    func brokerDown() async throws { try await Self.check(FaultCases.brokerDown) }

    @Test("H-06 D-01 C-05 C-06 C-10 F-01 F-04 2: injected produce errors are retried without reordering")
    func produceErrors() async throws { try await Self.check(FaultCases.produceErrors) }

    @Test("H-06 D-01 C-05 C-06 C-10 F-01 F-04 3: the group coordinator moves during consumption; rebalances double nothing")
    func coordinatorMoved() async throws { try await Self.check(FaultCases.coordinatorMoved) }

    @Test("H-06 D-01 C-05 C-06 C-10 F-01 F-04 4: SIGKILL of each service between its database commit and its offset commit")
    func killAfterCommit() async throws { try await Self.check(FaultCases.killAfterCommit) }

    @Test("H-06 D-01 C-05 C-06 C-10 F-01 F-04 5: SIGKILL of each outbox relay after produce, before marking sent")
    func killRelayAfterProduce() async throws { try await Self.check(FaultCases.killRelayAfterProduce) }

    @Test("H-06 D-01 C-05 C-06 C-10 F-01 F-04 6: PostgreSQL stopped with -m immediate mid-stream and started again")
    func postgresCrash() async throws { try await Self.check(FaultCases.postgresCrash) }

    @Test("H-06 6b: a database operation that PostgreSQL's crash leaves hanging is caught by the stall watchdog")
    func postgresClientCrash() async throws {
        let outcome = try await PostgresClientCrash.run()
        let stuck = outcome.stuck.sorted { $0.key < $1.key }.map { "worker \($0.key): \($0.value)" }
        let summary =
            "\(outcome.workers - stuck.count) of \(outcome.workers) workers committed again within 15 s of the restart"
            + (stuck.isEmpty ? "" : "; stuck for good: \(stuck.joined(separator: "; "))")
            + "; the stall watchdog (10 s) caught " + (outcome.caught ?? "nothing")
        print("reliability case 6b: \(summary)")
        ReliabilityReport.write(
            case: "6b", title: "PostgresNIO's pool across a PostgreSQL crash (20 workers, 10 connections)",
            lines: [summary])
        // What the services rely on: whatever hangs, the watchdog sees it (and in a service, exits).
        #expect(
            stuck.isEmpty || outcome.caught != nil,
            "\(stuck.count) transactions hang and the watchdog did not notice: \(stuck.joined(separator: "; "))")
        // The upstream defect itself (vapor/postgres-nio#487, fixed then reverted in #501): it does not show on every
        // run. When PostgresNIO ends every operation on its own, this known issue stops recurring.
        withKnownIssue("PostgresNIO 1.33 leaves operations in flight at a server crash hanging for good", isIntermittent: true) {
            #expect(stuck.isEmpty, "stuck for good: \(stuck.joined(separator: "; "))")
        }
    }

    @Test("H-06 D-01 C-05 C-06 C-10 F-01 F-04 7: a long-running transaction holds the outbox relays back, losing nothing")
    func longTransaction() async throws { try await Self.check(FaultCases.longTransaction) }

    @Test("H-06 E-04 F-02 F-04 8: engagement and complaints restarted across their deadlines fire each timer once")
    func timersAcrossRestart() async throws { try await Self.check(FaultCases.timersAcrossRestart) }

    /// Runs the case and asserts: the fault happened, no input lost an effect, none was doubled, every outbox row
    /// was published once in content and in commit order, the driver's own sends all succeeded, the stack recovered.
    static func check(_ fault: FaultCase) async throws {
        let figures = try await FaultRunner.run(fault)
        let result = figures.reconciliation
        for (what, held) in figures.outcome.evidence {
            #expect(held, "case \(fault.number): \(what)")
        }
        #expect(result.missing == 0, "case \(fault.number): \(result.problems.joined(separator: "; "))")
        #expect(result.doubled == 0, "case \(fault.number): \(result.problems.joined(separator: "; "))")
        #expect(result.unsent == 0, "case \(fault.number): \(result.unsent) outbox rows never published")
        #expect(
            figures.topics.isClean,
            "case \(fault.number): \(figures.topics.missing) rows not on their topic, \(figures.topics.differing) with another content, \(figures.topics.reorderedKeys) keys out of order: \(figures.topics.examples)"
        )
        #expect(
            figures.topics.inputsAbsent.isEmpty,
            "case \(fault.number): the broker acknowledged \(figures.topics.inputsAbsent.count) of the driver's inputs and does not hold them: \(figures.topics.inputsAbsent.prefix(5))"
        )
        #expect(figures.failedSends.isEmpty, "case \(fault.number): the driver's sends failed: \(figures.failedSends.prefix(3))")
        #expect(figures.recovery != nil, "case \(fault.number): the effects of the inputs before the fault cleared never all arrived")
        #expect(result.expected > 1_000, "case \(fault.number): the stream was too thin to prove anything (\(result.expected) effects)")
    }
}

/// `CONCIERGE_FAULT` parsing; runs in `make test`.
@Suite("Fault points")
struct FaultPointTests {
    @Test("H-06 CONCIERGE_FAULT arms named points at a pass number, several at once; the empty value arms none")
    func parsing() throws {
        #expect(try FaultPoints.parse("") == [:])
        #expect(try FaultPoints.parse("after-handler-commit:25") == [.afterHandlerCommit: 25])
        #expect(
            try FaultPoints.parse("after-handler-commit:3, after-outbox-produce:1")
                == [.afterHandlerCommit: 3, .afterOutboxProduce: 1])
    }

    @Test("H-06 a misspelt point or a pass number below 1 is refused with the reason, naming the known points")
    func refusals() {
        #expect(throws: FaultPoints.SpecificationError.self) { try FaultPoints.parse("after-commit:3") }
        #expect(throws: FaultPoints.SpecificationError.self) { try FaultPoints.parse("after-handler-commit:0") }
        #expect(throws: FaultPoints.SpecificationError.self) { try FaultPoints.parse("after-handler-commit") }
        do {
            _ = try FaultPoints.parse("after-commit:3")
        } catch {
            #expect(error.reason.contains("after-handler-commit, after-outbox-produce"))
        }
    }
}
