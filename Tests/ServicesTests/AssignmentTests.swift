import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Assignment

@Suite("Assignment service", .serialized, .timeLimit(.minutes(2)))
struct AssignmentTests {
    /// A directory entry, effective a day ago unless told.
    func staff(
        _ staffID: String, _ role: StaffRole = .wealthManager, branch: String = "SH001", status: StaffStatus = .active,
        covering: String? = nil, effectiveAt: Timestamp? = nil
    ) -> StaffUpdated.V1 {
        StaffUpdated.V1(
            staffId: staffID, branchId: branch, role: role, status: status,
            effectiveAt: effectiveAt ?? nowInShanghai().adding(milliseconds: -86_400_000), coveringStaffId: covering)
    }

    func referral(_ customerID: String?, tier: Tier? = .a, branch: String = "SH001") -> ReferralRequested.V1 {
        let referralID = UUID().uuidString.lowercased()
        return ReferralRequested.V1(
            referralId: referralID, visitId: "V-\(referralID.prefix(8))", branchId: branch, customerId: customerID,
            classification: .vip, tier: tier, requestedAt: nowInShanghai())
    }

    func roster(_ harness: ServiceHarness<AssignmentService>, _ entries: [StaffUpdated.V1]) async throws {
        for entry in entries {
            let out = try await harness.deliver(entry)
            #expect(out.isEmpty)
        }
    }

    // MARK: - New customers

    @Test("D-01 B-03 a new customer's referral → manager-assigned (reason new, team by tier) + referral-routed")
    func newCustomer() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(
                harness,
                [
                    staff("WM001"), staff("BSS01", .branchSalesSupervisor), staff("RSS01", .regionalSalesSupervisor),
                    staff("LM001", .lobbyManager), staff("WM900", branch: "SH999"),
                ])
            let request = referral("CA", tier: .a)
            let out = try await harness.deliver(request, id: "referral-a")
            #expect(out.types == [ManagerAssigned.V1.eventType, ReferralRouted.V1.eventType])
            #expect(out.allSatisfy { $0.causationID == "referral-a" })
            let assigned = try #require(out.payloads(ManagerAssigned.V1.self).first)
            #expect(assigned.customerId == "CA")
            #expect(assigned.managerId == "WM001")
            #expect(assigned.branchId == "SH001")
            #expect(assigned.tier == .a)
            #expect(assigned.reason == .new)
            #expect(assigned.previousManagerId == nil)
            #expect(assigned.serviceTeam == ["WM001"])
            let routed = try #require(out.payloads(ReferralRouted.V1.self).first)
            #expect(routed.referralId == request.referralId)
            #expect(routed.visitId == request.visitId)
            #expect(routed.customerId == "CA")
            #expect(routed.managerId == "WM001")
            #expect(routed.coveringFor == nil)
            #expect(routed.branchId == "SH001")

            let tierB = try await harness.deliver(referral("CB", tier: .b))
            #expect(tierB.payloads(ManagerAssigned.V1.self).first?.serviceTeam == ["WM001", "BSS01"])
            let tierC = try await harness.deliver(referral("CC", tier: .c))
            #expect(tierC.payloads(ManagerAssigned.V1.self).first?.serviceTeam == ["WM001", "BSS01", "RSS01"])

            let relationship = try #require(try await harness.service.relationship("CC"))
            #expect(relationship.managerId == "WM001")
            #expect(relationship.tier == "C")
            #expect(relationship.serviceTeam == ["WM001", "BSS01", "RSS01"])
            #expect(relationship.history.map(\.reason) == ["new"])
            #expect(try await harness.service.relationship("C-NONE") == nil)

            let book = try await harness.service.book(staffID: "WM001")
            #expect(book.total == 3)
            #expect(book.countsByTier == ["A": 1, "B": 1, "C": 1])
            #expect(book.capacity == 400)
            #expect(book.remainingCapacity == 397)
            #expect(try await harness.service.book(staffID: "WM900").total == 0)
        }
    }

    @Test("D-01 a second referral for the same customer → only referral-routed, to the same owner")
    func secondReferralSameOwner() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(harness, [staff("WM001"), staff("WM002")])
            let first = try await harness.deliver(referral("C001"))
            let owner = try #require(first.payloads(ManagerAssigned.V1.self).first?.managerId)
            // The other manager is now less loaded, yet the customer keeps their one manager.
            let second = try await harness.deliver(referral("C001"))
            #expect(second.types == [ReferralRouted.V1.eventType])
            #expect(second.payloads(ReferralRouted.V1.self).first?.managerId == owner)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationships") == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationship_history") == 1)
        }
    }

    @Test("D-01 the same referral event delivered twice is handled once")
    func redeliveredReferral() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(harness, [staff("WM001")])
            let request = referral("C001")
            #expect(try await harness.deliver(request, id: "ref-1").count == 2)
            #expect(try await harness.deliver(request, id: "ref-1").isEmpty)
            // The same referral id under another event id is not routed twice either.
            #expect(try await harness.deliver(request, id: "ref-1-again").isEmpty)
            #expect(try await harness.allEmitted().count == 2)
        }
    }

    // MARK: - Load balancing and capacity

    @Test("D-03 the least-loaded manager is chosen; on a tie, whoever was assigned longest ago (not the staff id)")
    func leastLoaded() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(harness, [staff("WM-B")])
            #expect(
                try await harness.deliver(referral("C1")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM-B")
            try await roster(harness, [staff("WM-A")])
            // WM-A has nobody: least loaded.
            #expect(
                try await harness.deliver(referral("C2")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM-A")
            // 1 : 1 — WM-B's last assignment is older, so WM-B, although WM-A sorts first by id.
            #expect(
                try await harness.deliver(referral("C3")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM-B")
            // 1 : 2 — WM-A.
            #expect(
                try await harness.deliver(referral("C4")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM-A")
            // 2 : 2 — WM-B was assigned longer ago (C3 before C4).
            #expect(
                try await harness.deliver(referral("C5")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM-B")
            #expect(try await harness.service.book(staffID: "WM-A").total == 2)
            #expect(try await harness.service.book(staffID: "WM-B").total == 3)
        }
    }

    @Test("D-01 D-03 a manager at capacity is skipped; with nobody eligible → capacity-alert held by the centre head")
    func capacity() async throws {
        try await ServiceHarness<AssignmentService>.run(environment: ["ASSIGNMENT_MANAGER_CAPACITY": "1"]) { harness in
            try await roster(
                harness,
                [
                    staff("WM001"), staff("WM002"), staff("CH001", .centreHead),
                    staff("WM003", status: .onLeave), staff("TL001", .teamLead), staff("WM900", branch: "SH999"),
                ])
            #expect(
                try await harness.deliver(referral("C1")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM001")
            #expect(
                try await harness.deliver(referral("C2")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM002")
            #expect(try await harness.service.book(staffID: "WM001").remainingCapacity == 0)

            let request = referral("C3")
            let out = try await harness.deliver(request)
            #expect(out.types == [CapacityAlert.V1.eventType, ReferralRouted.V1.eventType])
            let alert = try #require(out.payloads(CapacityAlert.V1.self).first)
            #expect(alert.heldBy == "CH001")
            #expect(alert.branchId == "SH001")
            #expect(alert.customerId == "C3")
            #expect(alert.referralId == request.referralId)
            #expect(alert.reason.contains("held by centre head CH001"))
            // Never ownerless (D-01): the centre head holds the customer and receives the walk-in.
            #expect(out.payloads(ReferralRouted.V1.self).first?.managerId == "CH001")
            let held = try #require(try await harness.service.relationship("C3"))
            #expect(held.state == "held")
            #expect(held.managerId == "CH001")
            #expect(held.history.map(\.reason) == ["held"])
            #expect(try await harness.service.book(staffID: "CH001").held.map(\.customerId) == ["C3"])
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationships WHERE state = 'owned'") == 2)

            // An existing customer still goes to their owner, whatever the owner's load (D-01).
            let again = try await harness.deliver(referral("C1"))
            #expect(again.types == [ReferralRouted.V1.eventType])
            #expect(again.payloads(ReferralRouted.V1.self).first?.managerId == "WM001")

            // A manager joins: the held customer gets an owner at once (reason new; nobody had owned them).
            let joined = try await harness.deliver(staff("WM004"))
            #expect(joined.types == [ManagerAssigned.V1.eventType])
            let assigned = try #require(joined.payloads(ManagerAssigned.V1.self).first)
            #expect(assigned.customerId == "C3")
            #expect(assigned.managerId == "WM004")
            #expect(assigned.reason == .new)
            let owned = try #require(try await harness.service.relationship("C3"))
            #expect(owned.state == "owned")
            #expect(owned.history.map(\.reason) == ["held", "new"])
            #expect(owned.history.first?.until != nil)
            #expect(try await harness.service.book(staffID: "CH001").held.isEmpty)
        }
    }

    // MARK: - Leave and the directory

    @Test("D-06 an owner on leave keeps the customer; the covering colleague gets the referral (coveringFor = owner)")
    func onLeaveCovering() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(harness, [staff("WM001")])
            #expect(
                try await harness.deliver(referral("C1")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM001")
            try await roster(
                harness,
                [
                    staff("WM002"),
                    staff("WM001", status: .onLeave, covering: "WM002", effectiveAt: nowInShanghai()),
                ])
            let out = try await harness.deliver(referral("C1"))
            #expect(out.types == [ReferralRouted.V1.eventType])
            let routed = try #require(out.payloads(ReferralRouted.V1.self).first)
            #expect(routed.managerId == "WM002")
            #expect(routed.coveringFor == "WM001")
            let relationship = try #require(try await harness.service.relationship("C1"))
            #expect(relationship.managerId == "WM001")
            #expect(relationship.history.count == 1)
            #expect(try await harness.service.book(staffID: "WM001").status == "on_leave")

            // A new customer is not given to the manager on leave.
            #expect(
                try await harness.deliver(referral("C2")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM002")
        }
    }

    @Test("D-06 out-of-order staff updates: an older effectiveAt never overwrites a newer one")
    func outOfOrderStaffUpdates() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            let now = nowInShanghai()
            try await roster(harness, [staff("WM001", effectiveAt: now), staff("WM002", effectiveAt: now)])
            try await roster(
                harness,
                [staff("WM001", status: .onLeave, covering: "WM002", effectiveAt: now.adding(milliseconds: -3_600_000))]
            )
            let book = try await harness.service.book(staffID: "WM001")
            #expect(book.status == "active")
            #expect(
                try await scalar(
                    harness.client, "SELECT count(*) FROM staff WHERE staff_id = 'WM001' AND covering_staff_id IS NULL")
                    == 1)
            // Still eligible for new customers.
            #expect(
                try await harness.deliver(referral("C1")).payloads(ManagerAssigned.V1.self).first?.managerId == "WM001")

            // A newer update does apply: WM001 leaves, and C1 is handed over to WM002 (D-05).
            let left = try await harness.deliver(staff("WM001", status: .left, effectiveAt: now.adding(milliseconds: 1_000)))
            #expect(left.types == [HandoverStarted.V1.eventType, ManagerAssigned.V1.eventType])
            #expect(left.payloads(ManagerAssigned.V1.self).first?.managerId == "WM002")
            #expect(try await harness.service.book(staffID: "WM001").status == "left")
        }
    }

    // MARK: - Concurrency

    @Test("D-01 8 concurrent referrals for a new customer → one manager-assigned, one owner, 8 routed to it")
    func concurrentReferrals() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(harness, [staff("WM001"), staff("WM002"), staff("WM003")])
            let requests = (0..<8).map { _ in referral("C-RACE", tier: .b) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask {
                        // A fixed event id: if an attempt did commit before failing, the inbox makes the retry a no-op.
                        // A transient unique violation between racing transactions is acceptable; the end state is not.
                        var attempt = 0
                        while true {
                            do {
                                try await harness.deliver(request, id: "race-\(index)")
                                return
                            } catch {
                                attempt += 1
                                if attempt >= 5 { throw error }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let emitted = try await harness.allEmitted()
            let assigned = emitted.payloads(ManagerAssigned.V1.self)
            #expect(assigned.count == 1)
            let owner = try #require(assigned.first?.managerId)
            let routed = emitted.payloads(ReferralRouted.V1.self)
            #expect(routed.count == 8)
            #expect(routed.allSatisfy { $0.managerId == owner })
            #expect(Set(routed.map(\.referralId)) == Set(requests.map(\.referralId)))
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationships") == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationship_history") == 1)
            #expect(
                try await scalar(
                    harness.client,
                    "SELECT count(*) FROM referrals WHERE status = 'routed' AND manager_id = \(owner)") == 8)
            #expect(try await harness.service.relationship("C-RACE")?.managerId == owner)
        }
    }

    // MARK: - Caps, bans, departures, cover (D-03, D-05, D-06, D-07)

    /// Gives `manager` `count` customers of `tier` straight in the database, as if assigned a day ago, each with the
    /// open period of its history.
    func seedBook(
        _ harness: ServiceHarness<AssignmentService>, _ manager: String, prefix: String, count: Int, tier: Tier?,
        branch: String = "SH001"
    ) async throws {
        try await harness.client.query(
            """
            INSERT INTO relationships (customer_id, manager_id, branch_id, tier, service_team, reason, assigned_at)
            SELECT \(prefix) || lpad(g::text, 3, '0'), \(manager), \(branch), \(tier?.rawValue),
                ARRAY[\(manager)]::text[], 'new', now() - interval '1 day'
            FROM generate_series(1, \(count)) g
            """)
        try await harness.client.query(
            """
            INSERT INTO relationship_history (customer_id, manager_id, branch_id, reason, started_at)
            SELECT \(prefix) || lpad(g::text, 3, '0'), \(manager), \(branch), 'new', now() - interval '1 day'
            FROM generate_series(1, \(count)) g
            """)
    }

    func owner(_ out: [IncomingEvent]) -> String? {
        out.payloads(ManagerAssigned.V1.self).first?.managerId
    }

    @Test("D-03 caps in the database: 399 takes the 400th, 400 takes none; 79 high takes the 80th, 80 none")
    func capsInTheDatabase() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(harness, [staff("WM1"), staff("WM2"), staff("CH1", .centreHead)])
            try await seedBook(harness, "WM1", prefix: "P1A", count: 319, tier: .a)
            try await seedBook(harness, "WM1", prefix: "P1B", count: 80, tier: .b)
            try await seedBook(harness, "WM2", prefix: "P2A", count: 320, tier: .a)
            try await seedBook(harness, "WM2", prefix: "P2C", count: 80, tier: .c)
            #expect(try await harness.service.book(staffID: "WM1").remainingCapacity == 1)
            // WM1 at 399 (319 below 1,000,000) takes the 400th; WM2 at 400 takes nobody.
            #expect(owner(try await harness.deliver(referral("X1", tier: .a))) == "WM1")
            let book = try await harness.service.book(staffID: "WM1")
            #expect(book.total == 400)
            #expect(book.remainingCapacity == 0)
            #expect(book.countsBySegment.standard == 320)
            let full = try await harness.deliver(referral("X2", tier: .a))
            #expect(full.types == [CapacityAlert.V1.eventType, ReferralRouted.V1.eventType])
            #expect(try await harness.service.relationship("X2")?.state == "held")

            try await roster(harness, [staff("WM3", branch: "SH002"), staff("WM4", branch: "SH002")])
            try await seedBook(harness, "WM3", prefix: "P3B", count: 79, tier: .b, branch: "SH002")
            try await seedBook(harness, "WM4", prefix: "P4B", count: 80, tier: .b, branch: "SH002")
            // WM3 at 79 from 1,000,000 takes the 80th; then nobody has room for a high customer…
            #expect(owner(try await harness.deliver(referral("Y1", tier: .c, branch: "SH002"))) == "WM3")
            let noHigh = try await harness.deliver(referral("Y2", tier: .b, branch: "SH002"))
            #expect(noHigh.types == [CapacityAlert.V1.eventType])
            #expect(noHigh.payloads(CapacityAlert.V1.self).first?.heldBy == nil)
            #expect(try await harness.service.relationship("Y2")?.state == "held")
            #expect(try await harness.service.relationship("Y2")?.managerId == nil)
            // …while one below 1,000,000 still fits: both have none below it, and WM3 was assigned a moment ago, so
            // WM4, never assigned through Concierge, takes it.
            #expect(owner(try await harness.deliver(referral("Y3", tier: .a, branch: "SH002"))) == "WM4")
            let high = try await harness.service.book(staffID: "WM3")
            #expect(high.countsBySegment.high == 80)
            #expect(high.remainingBySegment.high == 0)
            #expect(high.remainingBySegment.standard == 320)
            #expect(try await harness.service.book(staffID: "WM4").remainingBySegment.standard == 319)
        }
    }

    @Test("D-07 D-09 a manager removed from the post is not eligible for 2 years from effectiveAt, to the millisecond")
    func removalBan() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            let now = nowInShanghai()
            let twoYearsAgo = harness.calendar.adding(months: -24, to: now)
            let hour: Int64 = 3_600_000
            // WM-X was removed 2 years minus an hour ago and is active again: still barred for an hour.
            try await roster(
                harness,
                [
                    staff("WM-X", status: .removed, effectiveAt: twoYearsAgo.adding(milliseconds: hour)),
                    staff("WM-X", effectiveAt: now), staff("WM-Y"),
                ])
            try await seedBook(harness, "WM-Y", prefix: "Y", count: 5, tier: .a)
            #expect(owner(try await harness.deliver(referral("C1"))) == "WM-Y")

            // The ban ends exactly 24 calendar months after the removal took effect.
            let bannedUntil = harness.calendar.adding(months: 24, to: twoYearsAgo.adding(milliseconds: hour))
            let settings = harness.service.settings
            let (before, at) = try await harness.client.withConnection { connection in
                let repository = AssignmentRepository(connection: connection, logger: harness.context.logger)
                return (
                    try await repository.pool(
                        branchID: "SH001", policy: settings.capacity, at: bannedUntil.adding(milliseconds: -1)),
                    try await repository.pool(branchID: "SH001", policy: settings.capacity, at: bannedUntil)
                )
            }
            #expect(before.candidates.map(\.staffID).sorted() == ["WM-Y"])
            #expect(at.candidates.map(\.staffID).sorted() == ["WM-X", "WM-Y"])

            // WM-Z was removed 2 years and an hour ago: eligible again, and least loaded.
            try await roster(
                harness,
                [
                    staff("WM-Z", status: .removed, effectiveAt: twoYearsAgo.adding(milliseconds: -hour)),
                    staff("WM-Z", effectiveAt: now),
                ])
            #expect(owner(try await harness.deliver(referral("C2"))) == "WM-Z")

            // HR's news out of order: the newer "active" came first, the older removal still bars WM-Q.
            try await roster(
                harness,
                [staff("WM-Q", effectiveAt: now), staff("WM-Q", status: .removed, effectiveAt: now.adding(milliseconds: -hour))])
            #expect(try await harness.service.book(staffID: "WM-Q").status == "active")
            #expect(owner(try await harness.deliver(referral("C3"))) == "WM-Z")
        }
    }

    @Test("D-05 D-03 a departing manager with 400 customers: each gets a new owner at once, no cap broken, one month to first contact")
    func departureOf400() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(
                harness,
                [
                    staff("WM-OUT"), staff("WM-R1"), staff("WM-R2"), staff("WM-R3"), staff("CH1", .centreHead),
                    staff("BSS1", .branchSalesSupervisor), staff("RSS1", .regionalSalesSupervisor),
                ])
            try await seedBook(harness, "WM-OUT", prefix: "OA", count: 320, tier: .a)
            try await seedBook(harness, "WM-OUT", prefix: "OB", count: 50, tier: .b)
            try await seedBook(harness, "WM-OUT", prefix: "OC", count: 30, tier: .c)
            try await seedBook(harness, "WM-R1", prefix: "R1A", count: 200, tier: .a)
            try await seedBook(harness, "WM-R1", prefix: "R1B", count: 40, tier: .b)
            try await seedBook(harness, "WM-R2", prefix: "R2A", count: 100, tier: .a)
            try await seedBook(harness, "WM-R2", prefix: "R2C", count: 20, tier: .c)
            #expect(try await harness.service.book(staffID: "WM-OUT").total == 400)

            let effectiveAt = nowInShanghai()
            let started = ContinuousClock.now
            let out = try await harness.deliver(staff("WM-OUT", status: .left, effectiveAt: effectiveAt))
            print("D-05 departure of 400 customers handled in \(ContinuousClock.now - started)")
            #expect(out.count == 800)
            #expect(out.types.filter { $0 == CapacityAlert.V1.eventType }.isEmpty)
            let handovers = out.payloads(HandoverStarted.V1.self)
            let assignments = out.payloads(ManagerAssigned.V1.self)
            #expect(handovers.count == 400)
            #expect(assignments.count == 400)
            let seeded = Set(
                (1...320).map { "OA" + String(format: "%03d", $0) } + (1...50).map { "OB" + String(format: "%03d", $0) }
                    + (1...30).map { "OC" + String(format: "%03d", $0) })
            #expect(Set(assignments.map(\.customerId)) == seeded)
            #expect(Set(handovers.map(\.customerId)) == seeded)
            let due = harness.calendar.adding(months: 1, to: effectiveAt)
            #expect(handovers.allSatisfy { $0.firstContactDueAt.millisecondsSinceEpoch == due.millisecondsSinceEpoch })
            #expect(handovers.allSatisfy { $0.fromManagerId == "WM-OUT" && $0.reason == "left" })
            #expect(assignments.allSatisfy { $0.reason == .handover && $0.previousManagerId == "WM-OUT" })
            #expect(assignments.allSatisfy { $0.managerId != "WM-OUT" })
            let byCustomer = Dictionary(uniqueKeysWithValues: handovers.map { ($0.customerId, $0.toManagerId) })
            #expect(assignments.allSatisfy { byCustomer[$0.customerId] == $0.managerId })
            // Teams by tier (A-16): B with the branch supervisor, C with the regional one as well.
            #expect(assignments.filter { $0.tier == .c }.allSatisfy { $0.serviceTeam == [$0.managerId, "BSS1", "RSS1"] })
            #expect(assignments.filter { $0.tier == .b }.allSatisfy { $0.serviceTeam == [$0.managerId, "BSS1"] })

            // No cap broken, and the least loaded in each segment filled first: the books end level.
            var books: [AssignmentService.BookView] = []
            for manager in ["WM-R1", "WM-R2", "WM-R3"] { books.append(try await harness.service.book(staffID: manager)) }
            #expect(books.allSatisfy { $0.total <= 400 && $0.countsBySegment.standard <= 320 && $0.countsBySegment.high <= 80 })
            #expect(books.map(\.total).reduce(0, +) == 760)
            let standard = books.map(\.countsBySegment.standard)
            let high = books.map(\.countsBySegment.high)
            #expect(standard.max()! - standard.min()! <= 1, "standard \(standard)")
            #expect(high.max()! - high.min()! <= 1, "high \(high)")
            #expect(try await harness.service.book(staffID: "WM-OUT").total == 0)

            let relationship = try #require(try await harness.service.relationship("OC001"))
            #expect(relationship.history.map(\.reason) == ["new", "handover"])
            #expect(relationship.history.first?.until != nil)
            #expect(relationship.handover?.status == "open")
            #expect(relationship.handover?.fromManagerId == "WM-OUT")
            // Delivered again (same event id is the inbox's business; a fresh HR snapshot): nothing left to hand over.
            #expect(try await harness.deliver(staff("WM-OUT", status: .left, effectiveAt: effectiveAt)).isEmpty)
        }
    }

    @Test("D-05 D-01 a departure with too little room: the rest are held by the centre head; a new manager takes them, as a handover with the original deadline")
    func departureWithTooLittleRoom() async throws {
        try await ServiceHarness<AssignmentService>.run(environment: ["ASSIGNMENT_MANAGER_CAPACITY": "3"]) { harness in
            try await roster(harness, [staff("WM-OUT"), staff("WM-R"), staff("CH1", .centreHead)])
            try await seedBook(harness, "WM-OUT", prefix: "T", count: 3, tier: .a)
            try await seedBook(harness, "WM-R", prefix: "R", count: 1, tier: .a)
            let effectiveAt = nowInShanghai().adding(milliseconds: -3_600_000)
            let out = try await harness.deliver(staff("WM-OUT", status: .transferred, effectiveAt: effectiveAt))
            #expect(out.payloads(ManagerAssigned.V1.self).map(\.managerId) == ["WM-R", "WM-R"])
            #expect(out.payloads(HandoverStarted.V1.self).count == 2)
            let alerts = out.payloads(CapacityAlert.V1.self)
            #expect(alerts.count == 1)
            #expect(alerts.first?.heldBy == "CH1")
            #expect(alerts.first?.reason.contains("handover from WM-OUT (D-05) waits") == true)
            let heldID = try #require(alerts.first?.customerId)
            let held = try #require(try await harness.service.relationship(heldID))
            #expect(held.state == "held")
            #expect(held.managerId == "CH1")
            #expect(held.history.map(\.reason) == ["new", "held"])

            let joined = try await harness.deliver(staff("WM-NEW"))
            #expect(joined.types == [HandoverStarted.V1.eventType, ManagerAssigned.V1.eventType])
            let handover = try #require(joined.payloads(HandoverStarted.V1.self).first)
            #expect(handover.customerId == heldID)
            #expect(handover.fromManagerId == "WM-OUT")
            #expect(handover.toManagerId == "WM-NEW")
            #expect(handover.reason == "transferred")
            #expect(
                handover.firstContactDueAt.millisecondsSinceEpoch
                    == harness.calendar.adding(months: 1, to: effectiveAt).millisecondsSinceEpoch)
            let assigned = try #require(joined.payloads(ManagerAssigned.V1.self).first)
            #expect(assigned.reason == .handover)
            #expect(assigned.previousManagerId == "WM-OUT")
            #expect(try await harness.service.relationship(heldID)?.history.map(\.reason) == ["new", "held", "handover"])
        }
    }

    @Test("D-06 leave without a named cover: the team lead covers, else the centre head; a named cover wins; back to active ends it")
    func leaveCover() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            let now = nowInShanghai()
            func at(_ seconds: Int64) -> Timestamp { now.adding(milliseconds: seconds * 1000) }
            try await roster(harness, [staff("WM1", effectiveAt: at(0)), staff("TL1", .teamLead), staff("CH1", .centreHead)])
            #expect(owner(try await harness.deliver(referral("C1"))) == "WM1")

            func routed(_ customer: String) async throws -> ReferralRouted.V1? {
                try await harness.deliver(referral(customer)).payloads(ReferralRouted.V1.self).first
            }
            try await roster(harness, [staff("WM1", status: .onLeave, effectiveAt: at(1))])
            var route = try #require(try await routed("C1"))
            #expect(route.managerId == "TL1")
            #expect(route.coveringFor == "WM1")
            #expect(try await harness.service.relationship("C1")?.coveredBy == "TL1")
            let covering = try await harness.service.book(staffID: "TL1").covering
            #expect(covering.map(\.managerId) == ["WM1"])
            #expect(covering.first?.customers.map(\.customerId) == ["C1"])

            // The team lead is away too: the centre head covers.
            try await roster(harness, [staff("TL1", .teamLead, status: .onLeave, effectiveAt: at(2))])
            route = try #require(try await routed("C1"))
            #expect(route.managerId == "CH1")
            #expect(route.coveringFor == "WM1")

            // HR names a colleague: they cover.
            try await roster(
                harness, [staff("WM2", effectiveAt: at(3)), staff("WM1", status: .onLeave, covering: "WM2", effectiveAt: at(4))])
            route = try #require(try await routed("C1"))
            #expect(route.managerId == "WM2")
            #expect(try await harness.service.book(staffID: "WM2").covering.map(\.managerId) == ["WM1"])

            // Back at work: WM1 serves again, and nobody covers.
            try await roster(harness, [staff("WM1", effectiveAt: at(5))])
            route = try #require(try await routed("C1"))
            #expect(route.managerId == "WM1")
            #expect(route.coveringFor == nil)
            #expect(try await harness.service.book(staffID: "WM2").covering.isEmpty)
            #expect(try await harness.service.relationship("C1")?.history.count == 1)
        }
    }

    @Test("D-01 a held customer's next referral tries again: still nobody → the holder receives it, with a new alert")
    func heldCustomerTriedAgain() async throws {
        try await ServiceHarness<AssignmentService>.run(environment: ["ASSIGNMENT_MANAGER_CAPACITY": "1"]) { harness in
            try await roster(harness, [staff("WM1"), staff("CH1", .centreHead)])
            try await seedBook(harness, "WM1", prefix: "F", count: 1, tier: .a)
            for _ in 0..<2 {
                let out = try await harness.deliver(referral("C9"))
                #expect(out.types == [CapacityAlert.V1.eventType, ReferralRouted.V1.eventType])
                #expect(out.payloads(ReferralRouted.V1.self).first?.managerId == "CH1")
            }
            #expect(try await harness.service.relationship("C9")?.history.map(\.reason) == ["held"])

            // An unknown walk-in in the full branch goes to the centre head as well; nobody to hold.
            let unknown = referral(nil)
            let out = try await harness.deliver(unknown)
            #expect(out.types == [CapacityAlert.V1.eventType, ReferralRouted.V1.eventType])
            let alert = try #require(out.payloads(CapacityAlert.V1.self).first)
            #expect(alert.customerId == nil)
            #expect(alert.referralId == unknown.referralId)
            #expect(alert.heldBy == "CH1")
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationships") == 2)
        }
    }

    @Test("D-05 D-01 a walk-in of an owned customer takes the branch lock shared: while a change of owner holds the branch, its referral waits, then goes to the new owner")
    func routingWaitsForAChangeOfOwner() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await roster(harness, [staff("WM001"), staff("WM002"), staff("CH1", .centreHead)])
            let first = try await harness.deliver(referral("CX"))
            let owner = try #require(first.payloads(ReferralRouted.V1.self).first?.managerId)
            let other = owner == "WM001" ? "WM002" : "WM001"

            // A change of owner in progress: the branch held exclusively, the relationship updated, not committed.
            let routed = try await harness.client.withTransaction(logger: harness.context.logger) { connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext('assignment.branch'), hashtext('SH001'))",
                    logger: harness.context.logger)
                try await connection.query(
                    "UPDATE relationships SET manager_id = \(other), service_team = ARRAY[\(other)] WHERE customer_id = 'CX'",
                    logger: harness.context.logger)
                let walkIn = Task { try await harness.deliver(referral("CX")) }
                try await Task.sleep(for: .milliseconds(500))
                // Still waiting for the branch: it read the old owner before the lock, and must not route by it.
                let routedMeanwhile = try await scalar(
                    harness.client, "SELECT count(*) FROM referrals WHERE status = 'routed'")
                #expect(routedMeanwhile == 1)
                return walkIn
            }
            let out = try await routed.value
            #expect(out.payloads(ReferralRouted.V1.self).first?.managerId == other)

            // With nothing holding the branch, owned customers' referrals are routed side by side.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await harness.deliver(referral("CX")) } }
                try await group.waitForAll()
            }
            #expect(try await scalar(harness.client, "SELECT count(*) FROM referrals WHERE manager_id = \(other)") == 9)
        }
    }
}
