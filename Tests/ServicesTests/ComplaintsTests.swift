import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Complaints

@Suite("Complaints service", .serialized, .timeLimit(.minutes(2)))
struct ComplaintsTests {
    func complaint(
        _ complaintID: String, receivedAt: Timestamp, branch: String = "SH001", onSpot: Bool = false,
        resolution: String? = nil
    ) -> ComplaintLodged.V1 {
        ComplaintLodged.V1(
            complaintId: complaintID, branchId: branch, customerId: "C001", visitId: "V001", channel: .lobby,
            category: "waiting_time", summary: "Waited 40 minutes for the VIP room",
            customerNeed: "An apology and a faster service next time", receivedAt: receivedAt, recordedBy: "LM001",
            resolvedOnSpot: onSpot, resolution: resolution)
    }

    func opened(_ out: [IncomingEvent]) throws -> CaseOpened.V1 {
        try #require(out.payloads(CaseOpened.V1.self).first)
    }

    func loadDetail(_ opened: CaseOpened.V1, _ harness: ServiceHarness<ComplaintsService>) async throws
        -> ComplaintsService.CaseDetail?
    {
        try await harness.service.caseDetail(try #require(UUID(uuidString: opened.caseId)))
    }

    // MARK: - Deadlines

    @Test("F-02 a complaint received Thursday 10:00 +08:00 → case-opened due end of Tuesday 2026-12-01")
    func thursdayComplaint() async throws {
        try await ServiceHarness<ComplaintsService>.run { harness in
            let receivedAt = try ts("2026-11-26T10:00:00.000+08:00")
            let out = try await harness.deliver(complaint("K001", receivedAt: receivedAt), id: "lodged-1")
            #expect(out.types == [CaseOpened.V1.eventType])
            #expect(out.first?.causationID == "lodged-1")
            let case_ = try opened(out)
            #expect(case_.replyDueAt == (try ts("2026-12-01T23:59:59.999+08:00")))
            #expect(case_.source == .branch)
            #expect(case_.externalRef == "K001")
            #expect(case_.customerId == "C001")
            #expect(case_.branchId == "SH001")
            #expect(case_.category == "waiting_time")
            #expect(case_.severity == .normal)
            #expect(case_.level == .frontLine)
            #expect(!case_.resolvedOnSpot)
            #expect(case_.receivedAt == receivedAt)

            let detail = try #require(try await loadDetail(case_, harness))
            #expect(detail.summary.status == "open")
            #expect(detail.summary.replyDueAt.rfc3339 == "2026-12-01T23:59:59.999+08:00")
            #expect(detail.channel == "lobby")
            #expect(detail.problem == "Waited 40 minutes for the VIP room")
            #expect(!detail.resolvedOnSpot)
            #expect(detail.timeline.map(\.action) == ["opened"])
            #expect(detail.timeline.first?.actor == "LM001")
            #expect(detail.timeline.first?.at.isSameInstant(as: receivedAt) == true)
            #expect(try await harness.service.caseDetail(UUID()) == nil)
        }
    }

    @Test("F-02 received Saturday → end of Wednesday; Thursday 23:30Z (Friday in Shanghai) → end of Wednesday")
    func weekendAndTimeZone() async throws {
        try await ServiceHarness<ComplaintsService>.run { harness in
            let saturday = try await harness.deliver(
                complaint("K002", receivedAt: try ts("2026-11-28T11:00:00.000+08:00")))
            #expect(try opened(saturday).replyDueAt == (try ts("2026-12-02T23:59:59.999+08:00")))
            // UTC date Thursday 26th, Shanghai date Friday 27th: counting from Thursday would give Tuesday.
            let lateUTC = try await harness.deliver(complaint("K003", receivedAt: try ts("2026-11-26T23:30:00.000Z")))
            let due = try opened(lateUTC).replyDueAt
            #expect(due == (try ts("2026-12-02T23:59:59.999+08:00")))
            #expect(due.rfc3339 == "2026-12-02T23:59:59.999+08:00")
            #expect(
                try await scalar(harness.client, "SELECT count(*) FROM cases WHERE received_date = '2026-11-27'") == 1)
        }
    }

    // MARK: - On the spot

    @Test("F-02 resolvedOnSpot → case-opened (resolvedOnSpot) + case-resolved; status resolved, still listed")
    func resolvedOnSpot() async throws {
        try await ServiceHarness<ComplaintsService>.run { harness in
            let receivedAt = try ts("2026-11-24T14:00:00.000+08:00")
            let out = try await harness.deliver(
                complaint("K010", receivedAt: receivedAt, onSpot: true, resolution: "Explained the queue; apologised"))
            #expect(out.types == [CaseOpened.V1.eventType, CaseResolved.V1.eventType])
            let case_ = try opened(out)
            #expect(case_.resolvedOnSpot)
            let resolved = try #require(out.payloads(CaseResolved.V1.self).first)
            #expect(resolved.caseId == case_.caseId)
            #expect(resolved.resolution == "Explained the queue; apologised")
            #expect(resolved.onTime == true)

            let detail = try #require(try await loadDetail(case_, harness))
            #expect(detail.summary.status == "resolved")
            #expect(!detail.summary.overdue)
            #expect(detail.resolvedOnSpot)
            #expect(detail.resolution == "Explained the queue; apologised")
            #expect(detail.resolvedAt?.isSameInstant(as: receivedAt) == true)
            #expect(detail.timeline.map(\.action) == ["opened", "resolved_on_spot"])

            #expect(
                try await harness.service.cases(.init(branchID: "SH001", status: nil, overdue: false)).cases.map(\.caseId) == [
                    case_.caseId
                ])
            #expect(try await harness.service.cases(.init(branchID: nil, status: "resolved", overdue: false)).cases.count == 1)
            #expect(try await harness.service.cases(.init(branchID: nil, status: "open", overdue: false)).cases.isEmpty)
        }
    }

    // MARK: - Channels and duplicates

    @Test("F-01 the same complaintId under a new event id opens no second case")
    func duplicateComplaint() async throws {
        try await ServiceHarness<ComplaintsService>.run { harness in
            let receivedAt = try ts("2026-11-26T10:00:00.000+08:00")
            #expect(try await harness.deliver(complaint("K020", receivedAt: receivedAt), id: "lodged-a").count == 1)
            #expect(try await harness.deliver(complaint("K020", receivedAt: receivedAt), id: "lodged-b").isEmpty)
            #expect(try await harness.deliver(complaint("K020", receivedAt: receivedAt), id: "lodged-a").isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM cases") == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM case_timeline") == 1)
        }
    }

    @Test("F-01 F-02 escalation-raised → a case with source callcentre, its severity and the same deadline rule")
    func escalation() async throws {
        try await ServiceHarness<ComplaintsService>.run { harness in
            let out = try await harness.deliver(
                EscalationRaised.V1(
                    caseRef: "CC-2026-0042", customerId: "C001", branchId: "SH001", category: "mis-selling",
                    severity: .high, summary: "Customer says a fund was sold as a deposit",
                    customerNeed: "Refund of the loss", receivedAt: try ts("2026-11-26T10:00:00.000+08:00"),
                    agentId: "AG-17", firstLineAttempted: true))
            #expect(out.types == [CaseOpened.V1.eventType])
            let case_ = try opened(out)
            #expect(case_.source == .callCentre)
            #expect(case_.severity == .high)
            #expect(case_.externalRef == "CC-2026-0042")
            #expect(case_.branchId == "SH001")
            #expect(case_.replyDueAt == (try ts("2026-12-01T23:59:59.999+08:00")))
            let detail = try #require(try await loadDetail(case_, harness))
            #expect(detail.summary.source == "callcentre")
            #expect(detail.summary.severity == "high")
            #expect(detail.channel == "callcentre")
            #expect(detail.timeline.first?.actor == "AG-17")

            // A branch complaint that happens to carry the same reference is another case.
            let branch = try await harness.deliver(
                complaint("CC-2026-0042", receivedAt: try ts("2026-11-26T11:00:00.000+08:00")))
            #expect(branch.types == [CaseOpened.V1.eventType])
        }
    }

    // MARK: - Lists

    @Test(
        "F-02 cases(branchID:status:overdue:) filters by branch and status; an old open case is overdue"
    )
    func listFilters() async throws {
        try await ServiceHarness<ComplaintsService>.run { harness in
            let old = try opened(
                try await harness.deliver(complaint("K-OLD", receivedAt: try ts("2026-01-05T10:00:00.000+08:00"))))
            let fresh = try opened(try await harness.deliver(complaint("K-NEW", receivedAt: nowInShanghai())))
            let oldResolved = try opened(
                try await harness.deliver(
                    complaint("K-OLD-SPOT", receivedAt: try ts("2026-01-06T10:00:00.000+08:00"), onSpot: true)))
            let elsewhere = try opened(
                try await harness.deliver(
                    complaint("K-SH2", receivedAt: try ts("2026-01-07T10:00:00.000+08:00"), branch: "SH002")))

            let all = try await harness.service.cases(.init(branchID: nil, status: nil, overdue: false)).cases
            // Newest first.
            #expect(all.map(\.caseId) == [fresh.caseId, elsewhere.caseId, oldResolved.caseId, old.caseId])

            let overdue = try await harness.service.cases(.init(branchID: "SH001", status: nil, overdue: true)).cases
            #expect(overdue.map(\.caseId) == [old.caseId])
            #expect(overdue.first?.overdue == true)
            #expect(overdue.first?.replyDueAt == (try ts("2026-01-08T23:59:59.999+08:00")))

            let open = try await harness.service.cases(.init(branchID: "SH001", status: "open", overdue: false)).cases
            #expect(open.map(\.caseId) == [fresh.caseId, old.caseId])
            #expect(open.first?.overdue == false)

            let resolved = try await harness.service.cases(.init(branchID: "SH001", status: "resolved", overdue: false)).cases
            #expect(resolved.map(\.caseId) == [oldResolved.caseId])
            #expect(resolved.first?.overdue == false)

            let everyOverdue = try await harness.service.cases(.init(branchID: nil, status: "open", overdue: true)).cases
            #expect(Set(everyOverdue.map(\.caseId)) == [old.caseId, elsewhere.caseId])
            #expect(try await harness.service.cases(.init(branchID: "SH404", status: nil, overdue: false)).cases.isEmpty)
        }
    }
}
