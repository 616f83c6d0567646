import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Assignment

/// Transfers from marketing managers (D-08, C-09, H-03), notes that survive owners (D-12), tiers and service teams
/// (A-16, B-03) and the first contact after a handover (D-05).
@Suite("Assignment transfers, notes and tiers", .serialized, .timeLimit(.minutes(2)))
struct AssignmentPolicyTests {
    // MARK: - Helpers

    /// The statuses the service answers with (spelled through `APIError`, whose module this file does not import).
    private static let unprocessable = APIError.unprocessable("", error: "").status
    private static let conflict = APIError.conflict("").status
    private static let notFound = APIError.notFound("").status

    /// The contact in every transfer below, and what must never appear unsealed.
    private static let phone = "13812345678"

    /// A directory entry, effective a day ago unless told.
    private func member(
        _ staffID: String, _ role: StaffRole = .wealthManager, branch: String = "SH001", status: StaffStatus = .active,
        effectiveAt: Timestamp? = nil
    ) -> StaffUpdated.V1 {
        StaffUpdated.V1(
            staffId: staffID, branchId: branch, role: role, status: status,
            effectiveAt: effectiveAt ?? nowInShanghai().adding(milliseconds: -86_400_000))
    }

    private func walkIn(_ customerID: String, tier: Tier? = .a, branch: String = "SH001") -> ReferralRequested.V1 {
        let referralID = UUID().uuidString.lowercased()
        return ReferralRequested.V1(
            referralId: referralID, visitId: "V-\(referralID.prefix(8))", branchId: branch, customerId: customerID,
            classification: .vip, tier: tier, requestedAt: nowInShanghai())
    }

    /// Delivers directory entries; none of them may emit anything.
    private func enroll(_ harness: ServiceHarness<AssignmentService>, _ entries: [StaffUpdated.V1]) async throws {
        for entry in entries {
            let out = try await harness.deliver(entry)
            #expect(out.isEmpty, "staff update \(entry.staffId) emitted \(out.types)")
        }
    }

    private func profile(
        _ customerID: String, aum: Int64, asOf: BusinessDate, segmentOverride: String? = nil
    ) -> CustomerProfile.V1 {
        CustomerProfile.V1(
            customerId: customerID, homeBranchId: "SH001", aumDailyAvg: Amount(units: aum), asOf: asOf,
            segmentOverride: segmentOverride)
    }

    private func contact(
        _ customerID: String, by managerID: String, _ kind: ContactKind, at: Timestamp, activityID: String
    ) -> ContactLogged.V1 {
        ContactLogged.V1(
            activityId: activityID, customerId: customerID, managerId: managerID, kind: kind, proactive: true, at: at)
    }

    private func transferRequest(
        id: String? = nil, customer: String? = "C-T1", marketing: String? = "MM001", wealth: String? = "WM001",
        contact: String? = AssignmentPolicyTests.phone, needs: String? = "retirement income, low volatility",
        riskProfile: String? = "C3 balanced", notes: String? = "prefers calls after 18:00; met at the Pudong fair"
    ) -> AssignmentService.TransferRequest {
        AssignmentService.TransferRequest(
            transferId: id, customerId: customer, marketingManagerId: marketing, wealthManagerId: wealth,
            customerFile: .init(contact: contact, needs: needs, riskProfile: riskProfile, notes: notes))
    }

    /// A transfer that is expected to succeed; a failure is recorded (not thrown) so that the checks after it run.
    private func transferred(
        _ harness: ServiceHarness<AssignmentService>, _ request: AssignmentService.TransferRequest,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> (view: AssignmentService.TransferView, created: Bool)? {
        do {
            return try await harness.service.transfer(request)
        } catch {
            Issue.record(error, "transfer of \(request.customerId ?? "-") failed", sourceLocation: sourceLocation)
            return nil
        }
    }

    private func today(_ harness: ServiceHarness<AssignmentService>) -> BusinessDate {
        harness.calendar.businessDate(of: harness.calendar.now())
    }

    /// `instant` as PostgreSQL gives it back after storing it (the driver's `Date` round trip).
    private func stored(_ instant: Date, _ harness: ServiceHarness<AssignmentService>) async throws -> Date {
        let rows = try await harness.client.query("SELECT \(instant)::timestamptz").collect()
        return try #require(rows.first).decode(Date.self)
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    // MARK: - D-08 transfers

    @Test("D-08 an incomplete customer file is refused with 422 naming each missing field")
    func incompleteCustomerFile() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(harness, [member("MM001", .marketingManager), member("WM001")])

            let incomplete = transferRequest(customer: "C-T1", contact: nil, riskProfile: nil, notes: "  ")
            let error = await #expect(throws: APIError.self) { try await harness.service.transfer(incomplete) }
            #expect(error?.status == Self.unprocessable)
            #expect(error?.error == "incomplete_customer_file")
            #expect(error?.fields == ["customerFile.contact", "customerFile.riskProfile", "customerFile.notes"])
            for field in ["customerFile.contact", "customerFile.riskProfile", "customerFile.notes"] {
                #expect(error?.detail.contains(field) == true, "detail does not name \(field)")
            }
            #expect(error?.detail.contains("customerFile.needs") == false)

            let empty = await #expect(throws: APIError.self) {
                try await harness.service.transfer(AssignmentService.TransferRequest())
            }
            #expect(empty?.status == Self.unprocessable)
            #expect(empty?.error == "incomplete_customer_file")
            #expect(
                empty?.fields == [
                    "customerId", "marketingManagerId", "wealthManagerId", "customerFile.contact",
                    "customerFile.needs", "customerFile.riskProfile", "customerFile.notes",
                ])

            // Nothing was written.
            #expect(try await harness.service.relationship("C-T1") == nil)
            #expect(try await harness.allEmitted().isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM transfers") == 0)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationship_history") == 0)

            // The same transfer with the file complete goes through: only the file stood in the way.
            let completed = await transferred(harness, transferRequest(customer: "C-T1"))
            #expect(completed?.created == true)
            #expect(completed?.view.wealthManagerId == "WM001")
        }
    }

    @Test(
        "D-08 C-09 a complete transfer moves ownership (manager-assigned reason transfer) and keeps the file; the contact is encrypted at rest and shown masked"
    )
    func completeTransfer() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(
                harness, [member("MM001", .marketingManager), member("WM001"), member("BSS01", .branchSalesSupervisor)])
            // Tier B from the customer's profile (B-03): 1,000,000 ≤ 1,500,000 < 3,000,000.
            #expect(try await harness.deliver(profile("C-T2", aum: 1_500_000, asOf: today(harness))).isEmpty)

            let result = await transferred(harness, transferRequest(id: "T-2", customer: "C-T2"))
            let (view, created) = try #require(result)
            #expect(created)
            #expect(view.transferId == "T-2")
            #expect(view.customerId == "C-T2")
            #expect(view.marketingManagerId == "MM001")
            #expect(view.wealthManagerId == "WM001")
            #expect(view.branchId == "SH001")
            #expect(view.tier == "B")
            #expect(view.serviceTeam == ["WM001", "BSS01"])

            let emitted = try await harness.allEmitted()
            #expect(emitted.types == [ManagerAssigned.V1.eventType])
            let assigned = try #require(emitted.payloads(ManagerAssigned.V1.self).first)
            #expect(assigned.customerId == "C-T2")
            #expect(assigned.managerId == "WM001")
            #expect(assigned.reason == .transfer)
            #expect(assigned.previousManagerId == "MM001")
            #expect(assigned.tier == .b)
            #expect(assigned.serviceTeam == ["WM001", "BSS01"])

            let relationship = try #require(try await harness.service.relationship("C-T2"))
            #expect(relationship.managerId == "WM001")
            #expect(relationship.state == "owned")
            #expect(relationship.tier == "B")
            #expect(relationship.serviceTeam == ["WM001", "BSS01"])
            let file = try #require(relationship.customerFile)
            #expect(file.transferId == "T-2")
            #expect(file.marketingManagerId == "MM001")
            #expect(file.contact == "138****5678")
            #expect(file.needs == "retirement income, low volatility")
            #expect(file.riskProfile == "C3 balanced")
            #expect(file.notes == "prefers calls after 18:00; met at the Pudong fair")
            let current = try #require(relationship.history.last)
            #expect(relationship.history.count == 1)
            #expect(current.managerId == "WM001")
            #expect(current.reason == "transfer")
            #expect(current.until == nil)
            #expect(current.notes.map(\.authorId) == ["MM001"])
            #expect(current.notes.map(\.text) == ["prefers calls after 18:00; met at the Pudong fair"])

            // H-03: the contact is stored sealed — not in the clear anywhere in the row — and opens to the number.
            let rows = try await harness.client.query(
                "SELECT contact_key_id, contact_sealed FROM transfers WHERE transfer_id = 'T-2'"
            ).collect()
            let (keyID, sealedData) = try #require(rows.first).decode((String, Data).self)
            let sealed = [UInt8](sealedData)
            #expect(!sealed.isEmpty)
            #expect(!contains(sealed, Array(Self.phone.utf8)))
            #expect(!contains(sealed, Array("12345678".utf8)))
            #expect(
                try await scalar(harness.client, "SELECT count(*) FROM transfers t WHERE t::text LIKE '%12345678%'")
                    == 0)
            #expect(
                try harness.service.cipher.open(
                    .init(keyID: keyID, bytes: sealed), context: AssignmentService.contactContext("T-2"))
                    == Self.phone)

            // No event carries it either (the outbox holds the encoded events as they are published).
            var payloads = 0
            for try await payload in try await harness.client.query("SELECT payload FROM outbox").decode(Data.self) {
                payloads += 1
                #expect(!contains([UInt8](payload), Array("12345678".utf8)), "an emitted event carries the contact")
            }
            #expect(payloads == 1)
        }
    }

    @Test(
        "D-08 a retried transfer with the same transferId is answered, not repeated; the same id for another customer is a conflict"
    )
    func retriedTransfer() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(harness, [member("MM001", .marketingManager), member("WM001"), member("WM002")])
            let request = transferRequest(id: "T-3", customer: "C-T3")
            let first = try #require(await transferred(harness, request))
            #expect(first.created)
            let again = try #require(await transferred(harness, request))
            #expect(!again.created)
            #expect(again.view.transferId == first.view.transferId)
            #expect(again.view.customerId == first.view.customerId)
            #expect(again.view.marketingManagerId == first.view.marketingManagerId)
            #expect(again.view.wealthManagerId == first.view.wealthManagerId)
            #expect(again.view.branchId == first.view.branchId)
            #expect(again.view.tier == first.view.tier)
            #expect(again.view.serviceTeam == first.view.serviceTeam)
            #expect(
                again.view.transferredAt.millisecondsSinceEpoch == first.view.transferredAt.millisecondsSinceEpoch)

            #expect(try await harness.allEmitted().payloads(ManagerAssigned.V1.self).count == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM transfers") == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationship_history") == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationship_notes") == 1)

            // The same id for another customer, or for another wealth manager: a conflict, and nothing changes.
            let otherCustomer = await #expect(throws: APIError.self) {
                try await harness.service.transfer(transferRequest(id: "T-3", customer: "C-T3-OTHER"))
            }
            #expect(otherCustomer?.status == Self.conflict)
            let otherManager = await #expect(throws: APIError.self) {
                try await harness.service.transfer(transferRequest(id: "T-3", customer: "C-T3", wealth: "WM002"))
            }
            #expect(otherManager?.status == Self.conflict)
            #expect(try await harness.service.relationship("C-T3-OTHER") == nil)
            #expect(try await harness.service.relationship("C-T3")?.managerId == "WM001")
            #expect(try await harness.allEmitted().payloads(ManagerAssigned.V1.self).count == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM transfers") == 1)
        }
    }

    @Test("D-08 concurrent retries of one transfer (same transferId) are all answered: one created, no conflict")
    func concurrentRetries() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(harness, [member("MM001", .marketingManager), member("WM001")])
            let request = transferRequest(id: "T-RACE", customer: "C-RACE")
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            return try await harness.service.transfer(request).created ? "created" : "answered"
                        } catch let error as APIError {
                            return "\(error.error): \(error.detail)"
                        } catch {
                            return "failed: \(error)"
                        }
                    }
                }
                var outcomes: [String] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.count { $0 == "created" } == 1)
            #expect(
                outcomes.allSatisfy { $0 == "created" || $0 == "answered" }, "a retry was refused: \(outcomes)")
            #expect(try await harness.allEmitted().payloads(ManagerAssigned.V1.self).count == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM transfers") == 1)
        }
    }

    @Test(
        "D-01 D-08 a customer who already has an exclusive manager cannot be transferred to another (409); not a marketing manager or not an eligible wealth manager → 422 naming the field; a wealth manager at capacity → 409"
    )
    func refusedTransfers() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(
                harness,
                [
                    member("MM001", .marketingManager), member("WM001"), member("WM002"),
                    member("WM-LEAVE", status: .onLeave), member("BSS01", .branchSalesSupervisor),
                ])
            let owned = try await harness.deliver(walkIn("C-OWNED"))
            #expect(owned.payloads(ManagerAssigned.V1.self).first?.managerId == "WM001")

            // D-01: one exclusive manager; another transfer would make a second.
            for wealth in ["WM002", "WM001"] {
                let error = await #expect(throws: APIError.self) {
                    try await harness.service.transfer(transferRequest(customer: "C-OWNED", wealth: wealth))
                }
                #expect(error?.status == Self.conflict, "transfer of an owned customer to \(wealth)")
            }
            let relationship = try #require(try await harness.service.relationship("C-OWNED"))
            #expect(relationship.managerId == "WM001")
            #expect(relationship.history.count == 1)
            #expect(relationship.customerFile == nil)

            // Who hands over must be a marketing manager.
            for marketing in ["WM002", "MM-NONE"] {
                let error = await #expect(throws: APIError.self) {
                    try await harness.service.transfer(transferRequest(customer: "C-NEW", marketing: marketing))
                }
                #expect(error?.status == Self.unprocessable, "marketing manager \(marketing)")
                #expect(error?.error == "not_a_marketing_manager")
                #expect(error?.fields == ["marketingManagerId"])
            }
            // Who receives must be a wealth manager …
            for wealth in ["BSS01", "WM-NONE"] {
                let error = await #expect(throws: APIError.self) {
                    try await harness.service.transfer(transferRequest(customer: "C-NEW", wealth: wealth))
                }
                #expect(error?.status == Self.unprocessable, "wealth manager \(wealth)")
                #expect(error?.error == "not_a_wealth_manager")
                #expect(error?.fields == ["wealthManagerId"])
            }
            // … who can take customers now.
            let onLeave = await #expect(throws: APIError.self) {
                try await harness.service.transfer(transferRequest(customer: "C-NEW", wealth: "WM-LEAVE"))
            }
            #expect(onLeave?.status == Self.unprocessable)
            #expect(onLeave?.error == "manager_not_eligible")
            #expect(onLeave?.fields == ["wealthManagerId"])

            #expect(try await harness.service.relationship("C-NEW") == nil)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM transfers") == 0)
            #expect(try await harness.allEmitted().payloads(ManagerAssigned.V1.self).count == 1)

            // The refusals were about the people: a proper transfer of the same customer goes through.
            let accepted = await transferred(harness, transferRequest(customer: "C-NEW", wealth: "WM002"))
            #expect(accepted?.created == true)
            #expect(accepted?.view.wealthManagerId == "WM002")
        }

        try await ServiceHarness<AssignmentService>.run(environment: ["ASSIGNMENT_MANAGER_CAPACITY": "1"]) { harness in
            try await enroll(harness, [member("MM001", .marketingManager), member("WM001"), member("WM002")])
            let full = try await harness.deliver(walkIn("C-FULL"))
            #expect(full.payloads(ManagerAssigned.V1.self).first?.managerId == "WM001")

            let error = await #expect(throws: APIError.self) {
                try await harness.service.transfer(transferRequest(customer: "C-NEW", wealth: "WM001"))
            }
            #expect(error?.status == Self.conflict)
            #expect(error?.detail.contains("capacity") == true)
            #expect(try await harness.service.relationship("C-NEW") == nil)
            #expect(try await harness.service.book(staffID: "WM001").total == 1)

            // WM002 has room under the same cap.
            let accepted = await transferred(harness, transferRequest(customer: "C-NEW", wealth: "WM002"))
            #expect(accepted?.created == true)
            #expect(accepted?.view.wealthManagerId == "WM002")
        }
    }

    // MARK: - D-12 notes

    func manager(_ staffID: String) -> Principal {
        Principal(staffID: staffID, role: .manager, branchID: "B001")
    }

    @Test("D-12 notes survive owners: the first owner's notes stay in their period after a departure hands the customer over")
    func notesSurviveOwners() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(harness, [member("WM001")])
            let first = try await harness.deliver(walkIn("C-N"))
            #expect(first.payloads(ManagerAssigned.V1.self).first?.managerId == "WM001")

            let note = try await harness.service.addNote(
                customerID: "C-N",
                AssignmentService.NoteRequest(authorId: "WM001", text: "  wants the pension plan reviewed in spring  "),
                caller: manager("WM001"))
            #expect(note.customerId == "C-N")
            #expect(note.authorId == "WM001")
            #expect(note.text == "wants the pension plan reviewed in spring")

            try await enroll(harness, [member("WM002")])
            let departure = try await harness.deliver(member("WM001", status: .left, effectiveAt: nowInShanghai()))
            let handedOver = try #require(departure.payloads(ManagerAssigned.V1.self).first)
            #expect(handedOver.managerId == "WM002")
            #expect(handedOver.reason == .handover)
            #expect(handedOver.previousManagerId == "WM001")

            let relationship = try #require(try await harness.service.relationship("C-N"))
            #expect(relationship.managerId == "WM002")
            let periods = relationship.history
            try #require(periods.count == 2)
            #expect(periods[0].managerId == "WM001")
            #expect(periods[0].until != nil)
            #expect(periods[0].notes.map(\.authorId) == ["WM001"])
            #expect(periods[0].notes.map(\.text) == ["wants the pension plan reviewed in spring"])
            #expect(periods[1].managerId == "WM002")
            #expect(periods[1].reason == "handover")
            #expect(periods[1].previousManagerId == "WM001")
            #expect(periods[1].until == nil)
            #expect(periods[1].notes.isEmpty)

            // A note written now belongs to the new owner's period; the old one stays where it was.
            // The author is the caller; the body need not name them.
            _ = try await harness.service.addNote(
                customerID: "C-N", AssignmentService.NoteRequest(text: "introduced myself by phone"),
                caller: manager("WM002"))
            let after = try #require(try await harness.service.relationship("C-N"))
            #expect(after.history.map { $0.notes.map(\.text) } == [
                ["wants the pension plan reviewed in spring"], ["introduced myself by phone"],
            ])
            #expect(after.history.last?.notes.map(\.authorId) == ["WM002"])

            let unknown = await #expect(throws: APIError.self) {
                try await harness.service.addNote(
                    customerID: "C-NONE", AssignmentService.NoteRequest(authorId: "WM002", text: "hello"),
                    caller: manager("WM002"))
            }
            #expect(unknown?.status == Self.notFound)
            #expect(unknown?.error == "not_found")
            let blank = await #expect(throws: APIError.self) {
                try await harness.service.addNote(
                    customerID: "C-N", AssignmentService.NoteRequest(authorId: "WM002", text: " \n "),
                    caller: manager("WM002"))
            }
            #expect(blank?.status == Self.unprocessable)
            #expect(blank?.fields == ["text"])
            let impersonated = await #expect(throws: APIError.self) {
                try await harness.service.addNote(
                    customerID: "C-N", AssignmentService.NoteRequest(authorId: "WM001", text: "written as someone else"),
                    caller: manager("WM002"))
            }
            #expect(impersonated?.status == APIError.forbidden("").status)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM relationship_notes") == 2)
        }
    }

    // MARK: - A-16 B-03 tiers and service teams

    @Test(
        "A-16 B-03 a new profile changes the tier and with it the service team (service-team-changed); assets below the VIP threshold change nothing; a segmentOverride wins"
    )
    func profilesChangeTiers() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(
                harness,
                [member("WM001"), member("BSS01", .branchSalesSupervisor), member("RSS01", .regionalSalesSupervisor)])
            let assigned = try await harness.deliver(walkIn("C-TIER", tier: .a))
            #expect(assigned.payloads(ManagerAssigned.V1.self).first?.serviceTeam == ["WM001"])
            let today = today(harness)

            // 3,200,000 ≥ 3,000,000: tier C, "1+1+1".
            let toC = try await harness.deliver(profile("C-TIER", aum: 3_200_000, asOf: today))
            #expect(toC.types == [ServiceTeamChanged.V1.eventType])
            let changed = try #require(toC.payloads(ServiceTeamChanged.V1.self).first)
            #expect(changed.customerId == "C-TIER")
            #expect(changed.managerId == "WM001")
            #expect(changed.branchId == "SH001")
            #expect(changed.previousTier == .a)
            #expect(changed.tier == .c)
            #expect(changed.previousServiceTeam == ["WM001"])
            #expect(changed.serviceTeam == ["WM001", "BSS01", "RSS01"])
            #expect(changed.reason == "tier_changed")
            let relationship = try #require(try await harness.service.relationship("C-TIER"))
            #expect(relationship.tier == "C")
            #expect(relationship.serviceTeam == ["WM001", "BSS01", "RSS01"])
            #expect(relationship.managerId == "WM001")
            #expect(relationship.history.count == 1)

            // An older snapshot never overwrites a newer one, whatever it says.
            let yesterday = today.adding(days: -1)
            #expect(try await harness.deliver(profile("C-TIER", aum: 100_000, asOf: yesterday)).isEmpty)
            #expect(try await harness.deliver(profile("C-TIER", aum: 1_500_000, asOf: yesterday)).isEmpty)
            #expect(try await harness.service.relationship("C-TIER")?.tier == "C")

            // Assets below the VIP threshold (300,000) say nothing about the tier.
            #expect(try await harness.deliver(profile("C-TIER", aum: 200_000, asOf: today.adding(days: 1))).isEmpty)
            let unchanged = try #require(try await harness.service.relationship("C-TIER"))
            #expect(unchanged.tier == "C")
            #expect(unchanged.serviceTeam == ["WM001", "BSS01", "RSS01"])

            // A segment set by hand wins over the assets.
            let overridden = profile("C-TIER", aum: 200_000, asOf: today.adding(days: 2), segmentOverride: "B")
            let toB = try await harness.deliver(overridden, id: "profile-override-b")
            #expect(toB.types == [ServiceTeamChanged.V1.eventType])
            let changedB = try #require(toB.payloads(ServiceTeamChanged.V1.self).first)
            #expect(changedB.previousTier == .c)
            #expect(changedB.tier == .b)
            #expect(changedB.previousServiceTeam == ["WM001", "BSS01", "RSS01"])
            #expect(changedB.serviceTeam == ["WM001", "BSS01"])
            #expect(changedB.reason == "tier_changed")
            #expect(try await harness.service.relationship("C-TIER")?.tier == "B")
            #expect(try await harness.service.relationship("C-TIER")?.serviceTeam == ["WM001", "BSS01"])

            // Redelivering the same event id is a no-op — even where its data would now change the tier.
            #expect(try await harness.deliver(overridden, id: "profile-override-b").isEmpty)
            let later = profile("C-TIER", aum: 3_200_000, asOf: today.adding(days: 3))
            #expect(try await harness.deliver(later, id: "profile-override-b").isEmpty)
            #expect(try await harness.service.relationship("C-TIER")?.tier == "B")
            // The same snapshot under its own id does apply.
            let applied = try await harness.deliver(later, id: "profile-later-c")
            #expect(applied.payloads(ServiceTeamChanged.V1.self).map(\.tier) == [.c])
        }
    }

    @Test("A-16 a supervisor leaving updates the teams of tier B and C customers")
    func supervisorLeaves() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(
                harness,
                [member("WM001"), member("BSS01", .branchSalesSupervisor), member("RSS01", .regionalSalesSupervisor)])
            for (customer, tier) in [("C-A", Tier.a), ("C-B", .b), ("C-C", .c)] {
                #expect(try await harness.deliver(walkIn(customer, tier: tier)).count == 2)
            }
            #expect(try await harness.service.relationship("C-B")?.serviceTeam == ["WM001", "BSS01"])
            // A second supervisor joins: BSS01 still serves (the first active by id), nothing changes.
            try await enroll(harness, [member("BSS02", .branchSalesSupervisor)])

            let out = try await harness.deliver(
                member("BSS01", .branchSalesSupervisor, status: .left, effectiveAt: nowInShanghai()))
            #expect(out.types == [ServiceTeamChanged.V1.eventType, ServiceTeamChanged.V1.eventType])
            let changes = out.payloads(ServiceTeamChanged.V1.self)
            #expect(changes.map(\.customerId) == ["C-B", "C-C"])
            #expect(changes.allSatisfy { $0.reason == "supervisor_changed" && $0.managerId == "WM001" })
            #expect(changes.allSatisfy { $0.previousTier == $0.tier })
            #expect(changes.map(\.previousServiceTeam) == [["WM001", "BSS01"], ["WM001", "BSS01", "RSS01"]])
            #expect(changes.map(\.serviceTeam) == [["WM001", "BSS02"], ["WM001", "BSS02", "RSS01"]])

            #expect(try await harness.service.relationship("C-A")?.serviceTeam == ["WM001"])
            #expect(try await harness.service.relationship("C-B")?.serviceTeam == ["WM001", "BSS02"])
            #expect(try await harness.service.relationship("C-C")?.serviceTeam == ["WM001", "BSS02", "RSS01"])
        }
    }

    // MARK: - D-05 first contact after a handover

    @Test(
        "D-05 a handover completes on the new owner's first direct contact; a message does not count; onTime says whether the month was kept"
    )
    func handoverCompletesOnFirstContact() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(harness, [member("WM001")])
            for customer in ["C-H1", "C-H2"] {
                #expect(
                    try await harness.deliver(walkIn(customer)).payloads(ManagerAssigned.V1.self).first?.managerId
                        == "WM001")
            }
            try await enroll(harness, [member("WM002")])

            // A whole second, so that this test is about the flow (sub-second precision is the next test's).
            let now = nowInShanghai()
            let effectiveAt = Timestamp(
                millisecondsSinceEpoch: now.millisecondsSinceEpoch / 1000 * 1000,
                utcOffsetSeconds: Timestamp.shanghaiUTCOffsetSeconds)
            let due = harness.calendar.adding(months: 1, to: effectiveAt)
            let departure = try await harness.deliver(member("WM001", status: .transferred, effectiveAt: effectiveAt))
            #expect(departure.payloads(ManagerAssigned.V1.self).map(\.managerId) == ["WM002", "WM002"])
            let started = departure.payloads(HandoverStarted.V1.self)
            #expect(started.map(\.customerId).sorted() == ["C-H1", "C-H2"])
            let handover = try #require(started.first { $0.customerId == "C-H1" })
            #expect(handover.fromManagerId == "WM001")
            #expect(handover.toManagerId == "WM002")
            #expect(handover.reason == "transferred")
            #expect(handover.effectiveAt.millisecondsSinceEpoch == effectiveAt.millisecondsSinceEpoch)
            #expect(handover.firstContactDueAt.millisecondsSinceEpoch == due.millisecondsSinceEpoch)
            #expect(try await harness.service.relationship("C-H1")?.handover?.status == "open")

            // A message is not a direct contact; the old owner's call is not the new owner's.
            let contactAt = nowInShanghai()
            #expect(
                try await harness.deliver(contact("C-H1", by: "WM002", .message, at: contactAt, activityID: "A-MSG"))
                    .isEmpty)
            #expect(
                try await harness.deliver(contact("C-H1", by: "WM001", .call, at: contactAt, activityID: "A-OLD"))
                    .isEmpty)

            let out = try await harness.deliver(contact("C-H1", by: "WM002", .call, at: contactAt, activityID: "A-CALL"))
            #expect(out.types == [HandoverCompleted.V1.eventType])
            let completed = try #require(out.payloads(HandoverCompleted.V1.self).first)
            #expect(completed.handoverId == handover.handoverId)
            #expect(completed.customerId == "C-H1")
            #expect(completed.fromManagerId == "WM001")
            #expect(completed.toManagerId == "WM002")
            #expect(completed.reason == "transferred")
            #expect(completed.contactActivityId == "A-CALL")
            #expect(completed.onTime == true)
            #expect(completed.firstContactAt?.millisecondsSinceEpoch == contactAt.millisecondsSinceEpoch)
            #expect(completed.firstContactDueAt.millisecondsSinceEpoch == due.millisecondsSinceEpoch)
            let view = try #require(try await harness.service.relationship("C-H1")?.handover)
            #expect(view.handoverId == handover.handoverId)
            #expect(view.status == "completed")
            #expect(view.completedAt?.millisecondsSinceEpoch == contactAt.millisecondsSinceEpoch)

            // Only the first contact completes it.
            #expect(
                try await harness.deliver(contact("C-H1", by: "WM002", .call, at: nowInShanghai(), activityID: "A-2"))
                    .isEmpty)

            // A first contact after the month: completed, but late.
            let late = due.adding(milliseconds: 60_000)
            let lateOut = try await harness.deliver(contact("C-H2", by: "WM002", .meeting, at: late, activityID: "A-LATE"))
            let lateCompleted = try #require(lateOut.payloads(HandoverCompleted.V1.self).first)
            #expect(lateCompleted.customerId == "C-H2")
            #expect(lateCompleted.onTime == false)
            #expect(try await harness.service.relationship("C-H2")?.handover?.status == "completed")
        }
    }

    @Test(
        "D-05 the one-month deadline is exact to the millisecond: the departure's effectiveAt is kept as HR sent it, and a first contact exactly at the deadline is on time"
    )
    func deadlineIsExactToTheMillisecond() async throws {
        try await ServiceHarness<AssignmentService>.run { harness in
            try await enroll(harness, [member("WM001")])
            for customer in ["C-P1", "C-P2"] { #expect(try await harness.deliver(walkIn(customer)).count == 2) }
            try await enroll(harness, [member("WM002")])

            // A hard case, chosen so that the outcome does not depend on the clock: an effectiveAt whose stored form
            // reads back a hair below its millisecond (truncating it would lose one), and whose deadline also reads
            // back below the deadline's own `Date` (PostgreSQL keeps microseconds; a `Date` is binary floating point).
            var chosen: Timestamp?
            let now = nowInShanghai()
            for offset in 0..<2_000 {
                let candidate = now.adding(milliseconds: Int64(-offset))
                let storedEffective = try await stored(candidate.date, harness)
                guard Timestamp(date: storedEffective).millisecondsSinceEpoch != candidate.millisecondsSinceEpoch
                else { continue }
                let deadline = harness.calendar.adding(months: 1, to: candidate)
                guard try await stored(deadline.date, harness) < deadline.date else { continue }
                chosen = candidate
                break
            }
            let effectiveAt = try #require(chosen)
            let due = harness.calendar.adding(months: 1, to: effectiveAt)

            let departure = try await harness.deliver(member("WM001", status: .transferred, effectiveAt: effectiveAt))
            let started = departure.payloads(HandoverStarted.V1.self)
            #expect(started.count == 2)
            let handover = try #require(started.first { $0.customerId == "C-P1" })
            #expect(handover.effectiveAt.millisecondsSinceEpoch == effectiveAt.millisecondsSinceEpoch)
            #expect(handover.firstContactDueAt.millisecondsSinceEpoch == due.millisecondsSinceEpoch)
            let view = try #require(try await harness.service.relationship("C-P1")?.handover)
            #expect(view.effectiveAt.millisecondsSinceEpoch == effectiveAt.millisecondsSinceEpoch)
            #expect(view.firstContactDueAt.millisecondsSinceEpoch == due.millisecondsSinceEpoch)

            // "Within one month": a first contact at the deadline itself keeps it; a millisecond later does not.
            let atDeadline = try await harness.deliver(contact("C-P1", by: "WM002", .call, at: due, activityID: "A-DUE"))
            let onTheDot = try #require(atDeadline.payloads(HandoverCompleted.V1.self).first)
            #expect(onTheDot.onTime == true)
            #expect(onTheDot.firstContactDueAt.millisecondsSinceEpoch == due.millisecondsSinceEpoch)
            let afterDeadline = try await harness.deliver(
                contact("C-P2", by: "WM002", .call, at: due.adding(milliseconds: 1), activityID: "A-AFTER"))
            #expect(afterDeadline.payloads(HandoverCompleted.V1.self).first?.onTime == false)
        }
    }
}
