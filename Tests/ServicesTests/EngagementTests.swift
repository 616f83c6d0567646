import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Engagement

@Suite("Engagement service", .serialized, .timeLimit(.minutes(2)))
struct EngagementTests {
    func routed(
        _ customerID: String = "C001", manager: String = "WM001", at: Timestamp, covering: String? = nil
    ) -> ReferralRouted.V1 {
        let referralID = UUID().uuidString.lowercased()
        return ReferralRouted.V1(
            referralId: referralID, visitId: "V-\(referralID.prefix(8))", customerId: customerID, managerId: manager,
            coveringFor: covering, at: at, branchId: "SH001", tier: .a, classification: .vip)
    }

    func scheduled(_ out: [IncomingEvent], _ kind: TaskKind) throws -> TaskScheduled.V1 {
        try #require(out.payloads(TaskScheduled.V1.self).first { $0.kind == kind })
    }

    // MARK: - Scheduling

    @Test("C-06 C-05 E-10 referral-routed (Friday) → receive_walkin due +10 min, record_visit end of Friday, follow_up end of Tuesday")
    func fridayReferral() async throws {
        try await ServiceHarness<EngagementService>.run { harness in
            let event = routed(at: try ts("2026-11-27T10:00:00.000+08:00"))
            let out = try await harness.deliver(event, id: "routed-fri")
            #expect(out.types == [TaskScheduled.V1.eventType, TaskScheduled.V1.eventType, TaskScheduled.V1.eventType])
            #expect(out.allSatisfy { $0.causationID == "routed-fri" && $0.subject == "customer/C001" })
            #expect(try scheduled(out, .recordVisit).dueAt == (try ts("2026-11-27T23:59:59.999+08:00")))

            let receive = try scheduled(out, .receiveWalkIn)
            #expect(receive.dueAt == (try ts("2026-11-27T10:10:00.000+08:00")))
            #expect(receive.ruleId == "C-06")
            #expect(receive.sourceEventId == "routed-fri")
            #expect(receive.managerId == "WM001")
            #expect(receive.customerId == "C001")
            #expect(receive.referralId == event.referralId)
            #expect(receive.visitId == event.visitId)

            let followUp = try scheduled(out, .followUp)
            #expect(followUp.dueAt == (try ts("2026-12-01T23:59:59.999+08:00")))
            #expect(followUp.dueAt.rfc3339 == "2026-12-01T23:59:59.999+08:00")
            #expect(followUp.ruleId == "C-05")
            #expect(followUp.sourceEventId == "routed-fri")
            #expect(followUp.managerId == "WM001")
            #expect(receive.taskId != followUp.taskId)

            let tasks = try await harness.service.customerTasks("C001")
            #expect(tasks.open.count == 3)
            #expect(tasks.done.isEmpty)
        }
    }

    @Test("C-05 a Wednesday referral → follow_up due end of Friday; a routed time in Z counts on the Shanghai date")
    func wednesdayReferral() async throws {
        try await ServiceHarness<EngagementService>.run { harness in
            let out = try await harness.deliver(routed(at: try ts("2026-11-25T15:00:00.000+08:00")))
            #expect(try scheduled(out, .followUp).dueAt == (try ts("2026-11-27T23:59:59.999+08:00")))
            #expect(try scheduled(out, .receiveWalkIn).dueAt == (try ts("2026-11-25T15:10:00.000+08:00")))
            // Tuesday 16:30 UTC is Wednesday 00:30 in Shanghai: Wednesday + 2 working days.
            let late = try await harness.deliver(routed("C002", at: try ts("2026-11-24T16:30:00.000Z")))
            #expect(try scheduled(late, .followUp).dueAt == (try ts("2026-11-27T23:59:59.999+08:00")))
            #expect(try scheduled(late, .receiveWalkIn).dueAt == (try ts("2026-11-25T00:40:00.000+08:00")))
        }
    }

    @Test("C-05 the follow-up working days are configurable: 3 after a Friday → end of Wednesday")
    func configurableFollowUp() async throws {
        try await ServiceHarness<EngagementService>.run(environment: ["ENGAGEMENT_FOLLOW_UP_WORKING_DAYS": "3"]) {
            harness in
            let out = try await harness.deliver(routed(at: try ts("2026-11-27T10:00:00.000+08:00")))
            #expect(try scheduled(out, .followUp).dueAt == (try ts("2026-12-02T23:59:59.999+08:00")))
            #expect(try scheduled(out, .receiveWalkIn).dueAt == (try ts("2026-11-27T10:10:00.000+08:00")))
        }
    }

    @Test("C-05 C-06 a redelivered referral-routed creates no new tasks")
    func redelivery() async throws {
        try await ServiceHarness<EngagementService>.run { harness in
            let event = routed(at: try ts("2026-11-27T10:00:00.000+08:00"))
            #expect(try await harness.deliver(event, id: "routed-1").count == 3)
            #expect(try await harness.deliver(event, id: "routed-1").isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks") == 3)
            #expect(try await harness.allEmitted().count == 3)
        }
    }

    // MARK: - Agenda

    @Test("C-06 agenda(staffID:date:) lists that day's tasks of that manager in due order")
    func agenda() async throws {
        try await ServiceHarness<EngagementService>.run { harness in
            try await harness.deliver(routed("C001", at: try ts("2026-11-25T11:00:00.000+08:00")))
            try await harness.deliver(routed("C002", at: try ts("2026-11-25T09:30:00.000+08:00")))
            try await harness.deliver(routed("C003", at: try ts("2026-11-25T10:15:00.000+08:00")))
            try await harness.deliver(routed("C004", manager: "WM002", at: try ts("2026-11-25T09:00:00.000+08:00")))

            let wednesday = try await harness.service.agenda(staffID: "WM001", date: try day("2026-11-25"))
            // The receptions in due order, then the three visits to record by the end of the day.
            #expect(wednesday.tasks.map(\.customerId) == ["C002", "C003", "C001", "C001", "C002", "C003"])
            #expect(wednesday.tasks.prefix(3).allSatisfy { $0.kind == "receive_walkin" && $0.status == "open" })
            #expect(wednesday.tasks.suffix(3).allSatisfy { $0.kind == "record_visit" && $0.status == "open" })
            #expect(
                wednesday.tasks.map(\.dueAt.rfc3339) == [
                    "2026-11-25T09:40:00.000+08:00", "2026-11-25T10:25:00.000+08:00", "2026-11-25T11:10:00.000+08:00",
                    "2026-11-25T23:59:59.999+08:00", "2026-11-25T23:59:59.999+08:00", "2026-11-25T23:59:59.999+08:00",
                ])

            let friday = try await harness.service.agenda(staffID: "WM001", date: try day("2026-11-27"))
            #expect(friday.tasks.count == 3)
            #expect(friday.tasks.allSatisfy { $0.kind == "follow_up" && $0.ruleId == "C-05" })

            #expect(try await harness.service.agenda(staffID: "WM001", date: try day("2026-11-26")).tasks.isEmpty)
            #expect(try await harness.service.agenda(staffID: "WM002", date: try day("2026-11-25")).tasks.count == 2)
        }
    }

    // MARK: - Completion

    @Test("C-06 complete(taskID:outcome:) → done + task-completed (onTime); again → 409; unknown → 404")
    func complete() async throws {
        try await ServiceHarness<EngagementService>.run { harness in
            let out = try await harness.deliver(routed(at: nowInShanghai()))
            let receive = try scheduled(out, .receiveWalkIn)
            let taskID = try #require(UUID(uuidString: receive.taskId))

            let done = try await harness.service.complete(taskID: taskID, outcome: "received; portfolio review booked")
            #expect(done.status == "done")
            #expect(done.outcome == "received; portfolio review booked")
            #expect(done.completedAt != nil)
            #expect(!done.overdue)

            let completed = try await harness.allEmitted().payloads(TaskCompleted.V1.self)
            #expect(completed.count == 1)
            let event = try #require(completed.first)
            #expect(event.taskId == receive.taskId)
            #expect(event.kind == .receiveWalkIn)
            #expect(event.managerId == "WM001")
            #expect(event.customerId == "C001")
            #expect(event.onTime)
            #expect(event.outcome == "received; portfolio review booked")

            let conflict = await #expect(throws: APIError.self) {
                try await harness.service.complete(taskID: taskID, outcome: "twice")
            }
            #expect(conflict?.error == "conflict")
            #expect(conflict?.status == APIError.conflict("").status)
            let missing = await #expect(throws: APIError.self) {
                try await harness.service.complete(taskID: UUID(), outcome: nil)
            }
            #expect(missing?.error == "not_found")
            #expect(missing?.status == APIError.notFound("").status)
            // Neither failure emitted anything or changed the task.
            #expect(try await harness.allEmitted().payloads(TaskCompleted.V1.self).count == 1)
            #expect(try await harness.service.customerTasks("C001").done.map(\.taskId) == [receive.taskId])
        }
    }

    @Test("C-06 completing a task after its due time → task-completed with onTime false; open past-due is overdue")
    func completeLate() async throws {
        try await ServiceHarness<EngagementService>.run { harness in
            let out = try await harness.deliver(routed(at: nowInShanghai().adding(milliseconds: -3_600_000)))
            let receive = try scheduled(out, .receiveWalkIn)
            let open = try await harness.service.customerTasks("C001").open
            #expect(open.first { $0.taskId == receive.taskId }?.overdue == true)
            #expect(open.first { $0.kind == "follow_up" }?.overdue == false)

            _ = try await harness.service.complete(taskID: try #require(UUID(uuidString: receive.taskId)), outcome: nil)
            let completed = try #require(try await harness.allEmitted().payloads(TaskCompleted.V1.self).first)
            #expect(!completed.onTime)
        }
    }
}
