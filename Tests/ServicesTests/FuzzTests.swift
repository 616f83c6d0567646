import Assignment
import Complaints
import Engagement
import Events
import Foundation
import Intake
import Scoring
import ServiceKit
import TestSupport
import Testing

/// The hostile-input fuzzer (issue 8): random and mutated contract events fed to every service through its real
/// per-record path (`RecordProcessor`: decode, inbox, handler, outbox, dead letters) against a real migrated schema.
///
/// Every input must end processed, ignored (a type of its topic the service does not act on) or dead-lettered once
/// with a reason and its original bytes (credentials redacted); no crash, no hang; the valid events around the bad
/// ones are processed in order. See `FuzzGenerator` for what is generated and `ServiceHarness.fuzz` for the checks.
///
/// Size: `FUZZ_INPUTS` per service (default 2,000 in `make test`; `make fuzz` runs 100,000), seed `FUZZ_SEED`.
@Suite("Hostile input fuzzer", .serialized, .timeLimit(.minutes(60)))
struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let inputs = environment["FUZZ_INPUTS"].flatMap { Int($0) } ?? 2_000
    static let seed = environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_123

    @Test("H-07 contract §1.1 intake: hostile inputs dead-lettered with a reason, good ones processed in order")
    func intake() async throws {
        try await Self.fuzz(IntakeService.self, witness: Self.profileWitness)
    }

    @Test("H-07 contract §1.1 assignment: hostile inputs dead-lettered with a reason, good ones processed in order")
    func assignment() async throws {
        try await Self.fuzz(AssignmentService.self, witness: Self.staffWitness)
    }

    @Test("H-07 contract §1.1 engagement: hostile inputs dead-lettered with a reason, good ones processed in order")
    func engagement() async throws {
        try await Self.fuzz(EngagementService.self, witness: Self.staffWitness)
    }

    @Test("H-07 contract §1.1 complaints: hostile inputs dead-lettered with a reason, good ones processed in order")
    func complaints() async throws {
        try await Self.fuzz(ComplaintsService.self, witness: Self.staffWitness)
    }

    @Test("H-07 contract §1.1 scoring: hostile inputs dead-lettered with a reason, good ones processed in order")
    func scoring() async throws {
        try await Self.fuzz(ScoringService.self, witness: Self.staffWitness)
    }

    @Test("the generator is deterministic and covers every category")
    func generator() throws {
        let fixtures = try FuzzFixtures.load()
        let make = {
            FuzzGenerator(
                seed: 7, service: "intake", topics: IntakeService.consumedTopics, fixtures: fixtures,
                witness: Self.profileWitness)
        }
        let first = (0..<2_000).map { make().input($0) }
        let again = (0..<2_000).reversed().map { make().input($0) }.reversed()
        #expect(first.map(\.value) == again.map(\.value), "input i depends only on seed, service and i")
        #expect(Set(first.map(\.category)) == Set(FuzzCategory.allCases))
        #expect(Set(first.map(\.topic)).isSubset(of: Set(IntakeService.consumedTopics)))
        // Every credential input carries its secret, and only those do.
        #expect(first.allSatisfy { ($0.category == .credentials) == ($0.secret != nil) })
        #expect(first.filter { $0.secret != nil }.allSatisfy { String(decoding: $0.value, as: UTF8.self).contains($0.secret!) })
        // The valid events are valid (fresh identifiers keep the rules), and so are the ordered ones.
        #expect(first.filter { $0.category == .valid || $0.category == .ordered }.allSatisfy {
            (try? EventCatalog.decode($0.value)) != nil
        })
        // Hostile inputs that must be dead-lettered never decode.
        for input in first where input.expectation != .any && input.category != .ordered {
            #expect((try? EventCatalog.decode(input.value)) == nil || input.category == .wrongTopic, "\(input.detail)")
        }
    }

    // MARK: - Running one service

    static func fuzz<Service: ConciergeService>(_: Service.Type, witness: FuzzWitness) async throws {
        let fixtures = try FuzzFixtures.load()
        let report = try await ServiceHarness<Service>.run { harness in
            let generator = FuzzGenerator(
                seed: seed, service: Service.name, topics: Service.consumedTopics, fixtures: fixtures,
                witness: witness)
            return try await harness.fuzz(generator, count: inputs)
        }
        print(report.table())
        #expect(report.total.tried == inputs)
        #expect(report.hangs == 0)
        #expect(report.problems.isEmpty, "\(report.problems.prefix(10).joined(separator: "\n"))")
        // The run reached the handler and the dead-letter path alike.
        #expect(report.total.processed > 0)
        #expect(report.total.deadLettered > inputs / 2)
    }

    // MARK: - Order witnesses

    /// Same-day profiles of four customers (intake keeps the latest `asOf`; on a tie the last one processed wins):
    /// `home_branch_id` ends as the marker of each customer's last event only if they ran in order.
    static let profileWitness = FuzzWitness(
        topic: Topics.customerProfiles, entities: (1...4).map { "CFZW\($0)" },
        event: { customer, marker, id in
            Envelope(
                id: id, source: "fuzz/witness", time: try! Timestamp(rfc3339: "2026-11-23T02:00:00.000+08:00"),
                data: CustomerProfile.V1(
                    customerId: customer, homeBranchId: marker, aumDailyAvg: Amount(units: 1_000),
                    asOf: try! BusinessDate(parsing: "2026-11-22"))
            ).encode()
        },
        finalState: { "SELECT home_branch_id FROM customer_profiles WHERE customer_id = '\($0)'" })

    /// HR updates of four staff members with the same `effectiveAt` (the latest wins; on a tie the last one
    /// processed): `branch_id` in the service's staff copy ends as the marker of each one's last event.
    static let staffWitness = FuzzWitness(
        topic: Topics.staffDirectory, entities: (1...4).map { "SFZW\($0)" },
        event: { staff, marker, id in
            Envelope(
                id: id, source: "fuzz/witness", time: try! Timestamp(rfc3339: "2026-11-20T17:30:00.000+08:00"),
                data: StaffUpdated.V1(
                    staffId: staff, branchId: marker, role: .lobbyAssistant, status: .active,
                    effectiveAt: try! Timestamp(rfc3339: "2026-11-01T00:00:00.000+08:00"))
            ).encode()
        },
        finalState: { "SELECT branch_id FROM staff WHERE staff_id = '\($0)'" })
}
