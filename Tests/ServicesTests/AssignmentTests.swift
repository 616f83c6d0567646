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
            #expect(out.types == [CapacityAlert.V1.eventType])
            let alert = try #require(out.payloads(CapacityAlert.V1.self).first)
            #expect(alert.heldBy == "CH001")
            #expect(alert.branchId == "SH001")
            #expect(alert.customerId == "C3")
            #expect(alert.referralId == request.referralId)
            #expect(try await harness.service.relationship("C3") == nil)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationships") == 2)
            #expect(
                try await scalar(
                    harness.client, "SELECT count(*) FROM referrals WHERE status = 'unassigned' AND customer_id = 'C3'")
                    == 1)

            // An existing customer still goes to their owner, whatever the owner's load (D-01).
            let again = try await harness.deliver(referral("C1"))
            #expect(again.types == [ReferralRouted.V1.eventType])
            #expect(again.payloads(ReferralRouted.V1.self).first?.managerId == "WM001")
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
            try await roster(harness, [staff("WM001", effectiveAt: now)])
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

            // A newer update does apply.
            try await roster(harness, [staff("WM001", status: .left, effectiveAt: now.adding(milliseconds: 1_000))])
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
}
