import Events
import Foundation
import ServiceKit
import Testing

@testable import Assignment

/// The choice of a new owner (rulebook D-03) without a database: caps, order, ties, batches, settings.
@Suite("Assignment pool and caps (pure)")
struct AssignmentPoolTests {
    func candidate(_ id: String, standard: Int = 0, high: Int = 0, lastAssigned: Date? = nil) -> ManagerPool.Candidate {
        .init(staffID: id, load: Load(standard: standard, high: high), lastAssigned: lastAssigned)
    }

    @Test("D-03 caps: 399 customers leaves room for the 400th, 400 none; 79 high leaves room, 80 none; 319/320 below")
    func capBoundaries() {
        let policy = CapacityPolicy()
        #expect(policy.total == 400 && policy.standard == 320 && policy.high == 80 && policy.segmentCaps && policy.hard)
        #expect(policy.hasRoom(Load(standard: 319, high: 80), for: .standard))
        #expect(!policy.hasRoom(Load(standard: 320, high: 80), for: .standard))
        #expect(!policy.hasRoom(Load(standard: 320, high: 79), for: .standard))
        #expect(policy.hasRoom(Load(standard: 320, high: 79), for: .high))
        #expect(!policy.hasRoom(Load(standard: 300, high: 80), for: .high))
        #expect(policy.hasRoom(Load(standard: 0, high: 79), for: .high))

        // The total binds when the segment caps add up to more than it.
        let tight = CapacityPolicy(total: 400, standard: 390, high: 80)
        #expect(tight.hasRoom(Load(standard: 320, high: 79), for: .standard))
        #expect(!tight.hasRoom(Load(standard: 321, high: 79), for: .high))
        #expect(!tight.hasRoom(Load(standard: 330, high: 70), for: .standard))
        #expect(tight.remaining(Load(standard: 330, high: 60)) == (10, 10, 10))
        #expect(policy.remaining(Load(standard: 300, high: 79)) == (21, 20, 1))
        #expect(policy.remaining(Load(standard: 320, high: 80)) == (0, 0, 0))
    }

    @Test("D-03 a pool never chooses a manager at a cap: 399 → chosen, then full; 79 high → chosen, then only standard")
    func poolAtTheCaps() {
        var pool = ManagerPool(
            candidates: [candidate("WM1", standard: 320, high: 79), candidate("WM2", standard: 319, high: 80)],
            policy: CapacityPolicy())
        #expect(pool.choose(for: .high) == .withinCaps("WM1"))
        #expect(pool.choose(for: .high) == nil)
        #expect(pool.choose(for: .standard) == .withinCaps("WM2"))
        #expect(pool.choose(for: .standard) == nil)
        #expect(pool.candidates.map(\.load) == [Load(standard: 320, high: 80), Load(standard: 320, high: 80)])
    }

    @Test("D-03 least loaded in the customer's segment first; ties to whoever was assigned longest ago, never first")
    func order() {
        let day: TimeInterval = 86_400
        let old = Date(timeIntervalSince1970: 1_700_000_000)
        let pool = ManagerPool(
            candidates: [
                candidate("WM-A", standard: 10, high: 5, lastAssigned: old.addingTimeInterval(2 * day)),
                candidate("WM-B", standard: 12, high: 2, lastAssigned: old.addingTimeInterval(day)),
                candidate("WM-C", standard: 10, high: 9, lastAssigned: old),
                candidate("WM-D", standard: 10, high: 9, lastAssigned: nil),
            ],
            policy: CapacityPolicy())
        // High segment: WM-B has the fewest high customers, although the most in all.
        var high = pool
        #expect(high.choose(for: .high)?.staffID == "WM-B")
        // Standard: A, C and D tie at 10; D was never assigned, then C longest ago, then A.
        var standard = pool
        #expect(standard.choose(for: .standard)?.staffID == "WM-D")
        #expect(standard.choose(for: .standard)?.staffID == "WM-C")
        #expect(standard.choose(for: .standard)?.staffID == "WM-A")
        // All at 11 except B (12): the three just chosen rotate in the order they were chosen.
        #expect(standard.choose(for: .standard)?.staffID == "WM-D")
        // Equal times and loads: the staff id decides, so the choice is reproducible.
        var same = ManagerPool(
            candidates: [candidate("WM-2", lastAssigned: old), candidate("WM-1", lastAssigned: old)],
            policy: CapacityPolicy())
        #expect(same.choose(for: .standard)?.staffID == "WM-1")
    }

    @Test("D-03 a batch of choices spreads customers evenly and stops at the caps")
    func batch() {
        var pool = ManagerPool(
            candidates: [candidate("WM1", standard: 300), candidate("WM2", standard: 310), candidate("WM3")],
            policy: CapacityPolicy())
        var chosen: [String: Int] = [:]
        for _ in 0..<400 {
            guard let choice = pool.choose(for: .standard) else { break }
            chosen[choice.staffID, default: 0] += 1
        }
        // Room: 20 + 10 + 320 = 350 below 1,000,000; never more.
        #expect(chosen == ["WM1": 20, "WM2": 10, "WM3": 320])
        #expect(pool.candidates.allSatisfy { $0.load.standard == 320 })
    }

    @Test("D-03 the sub-caps can be switched off (only 400 counts); soft caps choose the least loaded over a cap")
    func switches() {
        let full = [candidate("WM1", standard: 100, high: 80), candidate("WM2", standard: 390, high: 5)]
        var noSegments = ManagerPool(candidates: full, policy: CapacityPolicy(segmentCaps: false))
        #expect(noSegments.choose(for: .high) == .withinCaps("WM2"))
        #expect(CapacityPolicy(segmentCaps: false).remaining(Load(standard: 395, high: 5)) == (0, 0, 0))

        var hard = ManagerPool(
            candidates: [candidate("WM1", standard: 320, high: 80), candidate("WM2", standard: 320, high: 1)],
            policy: CapacityPolicy())
        #expect(hard.choose(for: .standard) == nil)
        var soft = ManagerPool(
            candidates: [candidate("WM1", standard: 320, high: 80), candidate("WM2", standard: 320, high: 1)],
            policy: CapacityPolicy(hard: false))
        #expect(soft.choose(for: .high) == .withinCaps("WM2"))
        #expect(soft.choose(for: .standard) == .overCap("WM1"))
    }

    @Test("D-03 B-03 segments: tier A and untiered customers are below 1,000,000; B and C at or above")
    func segments() {
        #expect(Segment(tier: nil) == .standard)
        #expect(Segment(tier: .a) == .standard)
        #expect(Segment(tier: .b) == .high)
        #expect(Segment(tier: .c) == .high)
    }

    @Test("D-03 D-05 D-07 settings: defaults 400/320/80 hard, 24-month ban, one month to first contact; all configurable")
    func settings() throws {
        let defaults = try AssignmentSettings(environment: EnvironmentReader([:]))
        #expect(defaults.capacity == CapacityPolicy(total: 400, standard: 320, high: 80, segmentCaps: true, hard: true))
        #expect(defaults.removalBanMonths == 24)
        #expect(defaults.firstContactMonths == 1)
        #expect(defaults.assetTiers == AssetTiers())

        let custom = try AssignmentSettings(
            environment: EnvironmentReader([
                "ASSIGNMENT_MANAGER_CAPACITY": "300", "ASSIGNMENT_CAP_STANDARD": "250", "ASSIGNMENT_CAP_HIGH": "50",
                "ASSIGNMENT_SEGMENT_CAPS": "off", "ASSIGNMENT_CAP_MODE": "soft", "ASSIGNMENT_REMOVAL_BAN_MONTHS": "12",
                "ASSIGNMENT_FIRST_CONTACT_MONTHS": "2", "ASSIGNMENT_TIER_B_MIN_AUM": "2000000",
            ]))
        #expect(custom.capacity == CapacityPolicy(total: 300, standard: 250, high: 50, segmentCaps: false, hard: false))
        #expect(custom.removalBanMonths == 12)
        #expect(custom.firstContactMonths == 2)
        #expect(custom.assetTiers.tier(for: Amount(units: 1_500_000)) == .a)

        for (key, value) in [
            ("ASSIGNMENT_MANAGER_CAPACITY", "0"), ("ASSIGNMENT_CAP_HIGH", "-1"), ("ASSIGNMENT_CAP_MODE", "lenient"),
            ("ASSIGNMENT_SEGMENT_CAPS", "maybe"), ("ASSIGNMENT_FIRST_CONTACT_MONTHS", "0"),
            ("ASSIGNMENT_TIER_C_MIN_AUM", "500000"),
        ] {
            #expect(throws: ConfigurationError.self, "\(key)=\(value)") {
                try AssignmentSettings(environment: EnvironmentReader([key: value]))
            }
        }
    }
}
