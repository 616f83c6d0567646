import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Engagement

/// Engagement's full scheduler against a real schema: year plans (E-03, E-05), tier changes (B-03), handovers
/// (D-05), the agenda's daily limits (E-06), the durable overdue timer and escalation (E-04), completion by logged
/// contacts (E-10), lead follow-ups (C-05), appointment confirmations (E-07, E-08), retention (E-09), complaint
/// follow-ups (F-05) and plan renewal (E-03).
@Suite("Engagement scheduler", .serialized, .timeLimit(.minutes(3)))
struct EngagementSchedulerTests {
    typealias Harness = ServiceHarness<EngagementService>

    static let hour: Int64 = 3_600_000
    static let dayMS: Int64 = 86_400_000

    // MARK: - Events

    func assigned(
        _ customerID: String, to managerID: String, tier: Tier?, at: Timestamp, reason: AssignmentReason = .new,
        previous: String? = nil, branch: String = "SH001"
    ) -> ManagerAssigned.V1 {
        ManagerAssigned.V1(
            customerId: customerID, managerId: managerID, branchId: branch, tier: tier, serviceTeam: [managerID],
            reason: reason, previousManagerId: previous, at: at)
    }

    func routed(_ customerID: String, manager: String = "WM001", at: Timestamp, branch: String = "SH001")
        -> ReferralRouted.V1
    {
        let referralID = UUID().uuidString.lowercased()
        return ReferralRouted.V1(
            referralId: referralID, visitId: "V-\(referralID.prefix(8))", customerId: customerID, managerId: manager,
            at: at, branchId: branch, tier: .a, classification: .vip)
    }

    func staff(_ staffID: String, _ role: StaffRole, branch: String = "SH001") throws -> StaffUpdated.V1 {
        StaffUpdated.V1(
            staffId: staffID, branchId: branch, role: role, status: .active,
            effectiveAt: try ts("2026-11-01T09:00:00.000+08:00"))
    }

    func contact(
        _ customerID: String, manager: String = "WM001", _ kind: ContactKind, at: Timestamp, proactive: Bool = true,
        taskID: String? = nil, outcome: String? = nil
    ) -> ContactLogged.V1 {
        ContactLogged.V1(
            activityId: "ACT-\(UUID().uuidString.prefix(8))", customerId: customerID, managerId: manager, kind: kind,
            proactive: proactive, at: at, outcome: outcome, taskId: taskID)
    }

    func teamChange(
        _ customerID: String, manager: String = "WM001", from previous: Tier?, to tier: Tier?, at: Timestamp,
        reason: String = "tier_changed"
    ) -> ServiceTeamChanged.V1 {
        ServiceTeamChanged.V1(
            customerId: customerID, managerId: manager, branchId: "SH001", previousTier: previous, tier: tier,
            previousServiceTeam: [manager], serviceTeam: [manager], reason: reason, at: at)
    }

    // MARK: - Database

    struct TaskRow: Sendable {
        var taskID: String
        var customerID: String?
        var managerID: String
        var kind: String
        var status: String
        var dueAt: Timestamp
        var dueDate: String
        var plannedDate: String?
        var planID: UUID?
        var cadenceRole: String?
        var seq: Int
        var outcome: String?
        var sourceEventID: String
        var overdueAt: Date?
        var escalatedAt: Date?
        var escalatedTo: String?
        var visitID: String?
        var appointmentID: String?
        var caseID: String?
        var branchID: String?
        var ruleID: String
    }

    /// Every task, earliest due first.
    func taskRows(_ harness: Harness) async throws -> [TaskRow] {
        let rows = try await harness.client.query(
            """
            SELECT task_id, customer_id, manager_id, kind, status, due_at, due_date::text, planned_date::text, plan_id,
                cadence_role, seq, outcome, source_event_id, overdue_at, escalated_at, escalated_to, visit_id,
                appointment_id, case_id, branch_id, rule_id
            FROM tasks ORDER BY due_at, customer_id, kind, seq
            """
        ).collect()
        return try rows.map { row in
            let (
                id, customer, manager, kind, status, due, dueDate, planned, plan, role, seq, outcome, source,
                overdue, escalatedAt, escalatedTo, visit, appointment, caseID, branch, rule
            ) = try row.decode(
                (
                    UUID, String?, String, String, String, Date, String, String?, UUID?, String?, Int, String?, String,
                    Date?, Date?, String?, String?, String?, String?, String?, String
                ).self)
            return TaskRow(
                taskID: id.uuidString.lowercased(), customerID: customer, managerID: manager, kind: kind,
                status: status, dueAt: harness.calendar.localized(due), dueDate: dueDate, plannedDate: planned,
                planID: plan, cadenceRole: role, seq: seq, outcome: outcome, sourceEventID: source,
                overdueAt: overdue, escalatedAt: escalatedAt, escalatedTo: escalatedTo, visitID: visit,
                appointmentID: appointment, caseID: caseID, branchID: branch, ruleID: rule)
        }
    }

    struct PlanRow: Sendable, Equatable {
        var planID: UUID
        var customerID: String
        var managerID: String
        var tier: String
        var startsOn: String
        var endsOn: String
        var status: String
        var sourceEventID: String
    }

    func planRows(_ harness: Harness) async throws -> [PlanRow] {
        let rows = try await harness.client.query(
            """
            SELECT plan_id, customer_id, manager_id, tier, starts_on::text, ends_on::text, status, source_event_id
            FROM plans ORDER BY customer_id, created_at, starts_on
            """
        ).collect()
        return try rows.map { row in
            let (id, customer, manager, tier, starts, ends, status, source) = try row.decode(
                (UUID, String, String, String, String, String, String, String).self)
            return PlanRow(
                planID: id, customerID: customer, managerID: manager, tier: tier, startsOn: starts, endsOn: ends,
                status: status, sourceEventID: source)
        }
    }

    func kinds(_ scheduled: [TaskScheduled.V1]) -> [TaskKind: Int] {
        scheduled.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 }
    }

    // MARK: - 1. Year plans

    @Test("E-03 E-05 manager-assigned for a tier-B customer stores a year's plan: 12 services and 2 reviews, task-scheduled for each; redelivery and a second assignment double nothing")
    func yearPlan() async throws {
        try await Harness.run { harness in
            let at = try ts("2026-11-23T10:00:00.000+08:00")
            let out = try await harness.deliver(assigned("CB", to: "WM001", tier: .b, at: at), id: "assigned-b")
            #expect(out.types.allSatisfy { $0 == TaskScheduled.V1.eventType })
            let scheduled = out.payloads(TaskScheduled.V1.self)
            #expect(scheduled.count == 14)
            #expect(kinds(scheduled) == [.maintenanceContact: 10, .maintenanceMeeting: 2, .portfolioReview: 2])
            #expect(
                scheduled.allSatisfy {
                    $0.customerId == "CB" && $0.managerId == "WM001" && $0.sourceEventId == "assigned-b"
                        && $0.branchId == "SH001"
                })
            #expect(scheduled.filter { $0.kind != .portfolioReview }.allSatisfy { $0.ruleId == "E-03" })
            #expect(scheduled.filter { $0.kind == .portfolioReview }.allSatisfy { $0.ruleId == "E-05" })
            // The first service 30 days after the start (Wednesday 23 December); reviews after 6 months (23 May 2027
            // is a Sunday → Monday 24 May) and at the end of the year.
            #expect(scheduled.map(\.dueAt).min() == (try ts("2026-12-23T23:59:59.999+08:00")))
            #expect(
                scheduled.filter { $0.kind == .portfolioReview }.map(\.dueAt).sorted() == [
                    try ts("2027-05-24T23:59:59.999+08:00"), try ts("2027-11-23T23:59:59.999+08:00"),
                ])
            let yearEnd = try ts("2027-11-23T23:59:59.999+08:00")
            #expect(
                scheduled.allSatisfy {
                    harness.calendar.isWorkingDay(harness.calendar.businessDate(of: $0.dueAt)) && $0.dueAt <= yearEnd
                })

            let plans = try await planRows(harness)
            #expect(plans.count == 1)
            let plan = try #require(plans.first)
            #expect(plan.customerID == "CB")
            #expect(plan.managerID == "WM001")
            #expect(plan.tier == "B")
            #expect(plan.status == "active")
            #expect(plan.startsOn == "2026-11-23")
            #expect(plan.endsOn == "2027-11-23")
            #expect(plan.sourceEventID == "assigned-b")

            let rows = try await taskRows(harness)
            #expect(rows.count == 14)
            #expect(Set(rows.map(\.taskID)) == Set(scheduled.map(\.taskId)))
            #expect(rows.allSatisfy { $0.planID == plan.planID && $0.status == "open" })
            let roles = rows.reduce(into: [String: Int]()) { $0[$1.cadenceRole ?? "-", default: 0] += 1 }
            #expect(roles == ["proactive_contact": 4, "meeting": 2, "maintenance": 6, "review": 2])

            // Redelivery, and the same assignment again under a new id: nothing.
            #expect(try await harness.deliver(assigned("CB", to: "WM001", tier: .b, at: at), id: "assigned-b").isEmpty)
            #expect(
                try await harness.deliver(
                    assigned("CB", to: "WM001", tier: .b, at: at.adding(milliseconds: Self.hour)), id: "assigned-b-2"
                ).isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks") == 14)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM plans") == 1)

            // A transfer to another manager moves the open tasks and the plan; no new plan.
            let transferAt = try ts("2026-11-25T11:00:00.000+08:00")
            let moved = try await harness.deliver(
                assigned("CB", to: "WM002", tier: .b, at: transferAt, reason: .transfer, previous: "WM001"),
                id: "transfer-b")
            #expect(moved.types.allSatisfy { $0 == TaskReassigned.V1.eventType })
            let reassigned = moved.payloads(TaskReassigned.V1.self)
            #expect(reassigned.count == 14)
            #expect(Set(reassigned.map(\.taskId)) == Set(scheduled.map(\.taskId)))
            #expect(
                reassigned.allSatisfy {
                    $0.customerId == "CB" && $0.fromManagerId == "WM001" && $0.toManagerId == "WM002"
                        && $0.reason == "transfer"
                })
            let afterTransfer = try await planRows(harness)
            #expect(afterTransfer.count == 1)
            #expect(afterTransfer.first?.planID == plan.planID)
            #expect(afterTransfer.first?.managerID == "WM002")
            #expect(afterTransfer.first?.status == "active")
            #expect(try await taskRows(harness).allSatisfy { $0.managerID == "WM002" })
            #expect(
                try await harness.deliver(
                    assigned("CB", to: "WM002", tier: .b, at: transferAt, reason: .transfer, previous: "WM001"),
                    id: "transfer-b"
                ).isEmpty)
            let all = try await harness.allEmitted()
            #expect(all.payloads(TaskScheduled.V1.self).count == 14)
            #expect(all.payloads(TaskReassigned.V1.self).count == 14)

            // Tier A: 6 services (4 proactive contacts, 2 meetings) and 2 reviews.
            let tierA = try await harness.deliver(assigned("CA", to: "WM001", tier: .a, at: at), id: "assigned-a")
            #expect(
                kinds(tierA.payloads(TaskScheduled.V1.self)) == [
                    .maintenanceContact: 4, .maintenanceMeeting: 2, .portfolioReview: 2,
                ])
            #expect(tierA.count == 8)
            // No tier: no plan, but the relationship is known.
            #expect(try await harness.deliver(assigned("CN", to: "WM001", tier: nil, at: at)).isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM plans WHERE customer_id = 'CN'") == 0)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks WHERE customer_id = 'CN'") == 0)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM customers WHERE customer_id = 'CN'") == 1)
            #expect(
                try await scalar(harness.client, "SELECT count(*) FROM plans WHERE status = 'active'") == 2)
        }
    }

    // MARK: - 2. Tier changes

    @Test("E-03 B-03 a tier change cancels the future part of the old plan and plans the new one; nothing doubled")
    func tierChange() async throws {
        try await Harness.run { harness in
            let now = nowInShanghai()
            // Tier A from 100 days ago: its first service (about 61 days in) is past, the rest is to come.
            try await harness.deliver(
                assigned("CT", to: "WM001", tier: .a, at: now.adding(milliseconds: -100 * Self.dayMS)), id: "a-plan")
            let initialPlans = try await planRows(harness)
            let oldPlan = try #require(initialPlans.first)
            let before = try await taskRows(harness)
            #expect(before.count == 8)
            let pastBefore = before.filter { $0.dueAt < now }
            #expect(pastBefore.count == 1)

            let out = try await harness.deliver(teamChange("CT", from: .a, to: .c, at: now), id: "tier-c")
            #expect(out.types.allSatisfy { $0 == TaskScheduled.V1.eventType })
            let scheduled = out.payloads(TaskScheduled.V1.self)
            #expect(kinds(scheduled) == [.maintenanceContact: 10, .maintenanceMeeting: 2, .portfolioReview: 2])
            #expect(scheduled.allSatisfy { $0.sourceEventId == "tier-c" && $0.managerId == "WM001" })
            let allAhead = scheduled.allSatisfy { $0.dueAt > now }
            #expect(allAhead)

            let plans = try await planRows(harness)
            #expect(plans.count == 2)
            let oldPlanID = oldPlan.planID
            #expect(plans.first { $0.planID == oldPlanID }?.status == "superseded")
            let newPlan = try #require(plans.first { $0.status == "active" })
            #expect(newPlan.tier == "C")
            #expect(newPlan.sourceEventID == "tier-c")
            #expect(newPlan.startsOn == harness.calendar.businessDate(of: now).description)

            let rows = try await taskRows(harness)
            let old = rows.filter { $0.planID == oldPlanID }
            #expect(old.count == 8)
            // The past part stays (open, overdue if not done); the future part is cancelled.
            let oldPast = old.filter { $0.dueAt < now }
            let oldFuture = old.filter { $0.dueAt > now }
            #expect(oldPast.map(\.status) == ["open"])
            #expect(oldFuture.count == 7)
            #expect(oldFuture.allSatisfy { $0.status == "cancelled" && $0.outcome == "plan superseded" })
            let newPlanID = newPlan.planID
            let newOpen = rows.filter { $0.planID == newPlanID && $0.status == "open" }
            #expect(newOpen.count == 14)

            // Redelivered, the same change again under a new id, a change that keeps the tier: nothing.
            #expect(try await harness.deliver(teamChange("CT", from: .a, to: .c, at: now), id: "tier-c").isEmpty)
            #expect(try await harness.deliver(teamChange("CT", from: .a, to: .c, at: now), id: "tier-c-2").isEmpty)
            #expect(
                try await harness.deliver(
                    teamChange("CT", from: .c, to: .c, at: now, reason: "supervisor_changed"), id: "team-only"
                ).isEmpty)
            #expect(try await harness.deliver(teamChange("CT", from: nil, to: .c, at: now), id: "tier-c-3").isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM plans") == 2)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks") == 22)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks WHERE status = 'open'") == 15)

            // A tier cleared: the plan ends, its future tasks are cancelled, no new plan.
            try await harness.deliver(assigned("CX", to: "WM001", tier: .b, at: now.adding(milliseconds: -Self.dayMS)))
            #expect(try await harness.deliver(teamChange("CX", from: .b, to: nil, at: now), id: "tier-none").isEmpty)
            let cx = try await planRows(harness).filter { $0.customerID == "CX" }
            #expect(cx.map(\.status) == ["superseded"])
            #expect(
                try await scalar(
                    harness.client, "SELECT count(*) FROM tasks WHERE customer_id = 'CX' AND status = 'cancelled'")
                    == 14)
        }
    }

    // MARK: - 3. Handovers

    @Test("D-05 handover-started moves the customer's open tasks to the new manager (task-reassigned) and schedules the oral notice (next working day), the written notice (5 working days) and the first contact (the event's deadline); handover-completed completes the first-contact task")
    func handover() async throws {
        try await Harness.run { harness in
            let calendar = harness.calendar
            try await harness.deliver(
                assigned("CH", to: "WM001", tier: .a, at: try ts("2026-11-23T10:00:00.000+08:00")), id: "assigned-ch")
            try await harness.deliver(routed("CH", at: try ts("2026-11-25T10:00:00.000+08:00")))
            try await harness.deliver(
                assigned("CO", to: "WM001", tier: .a, at: try ts("2026-11-23T10:00:00.000+08:00")), id: "assigned-co")
            let before = try await taskRows(harness)
            let chTasks = Set(before.filter { $0.customerID == "CH" }.map(\.taskID))
            #expect(chTasks.count == 11)

            let startedAt = try ts("2026-11-27T10:00:00.000+08:00")  // a Friday
            let started = HandoverStarted.V1(
                handoverId: "H-1", customerId: "CH", fromManagerId: "WM001", toManagerId: "WM002",
                reason: "transferred", effectiveAt: try ts("2026-11-27T09:00:00.000+08:00"),
                firstContactDueAt: try ts("2026-12-27T09:00:00.000+08:00"), at: startedAt)
            let out = try await harness.deliver(started, id: "handover-started")
            #expect(
                out.types == Array(repeating: TaskReassigned.V1.eventType, count: 11)
                    + Array(repeating: TaskScheduled.V1.eventType, count: 3))
            let reassigned = out.payloads(TaskReassigned.V1.self)
            #expect(Set(reassigned.map(\.taskId)) == chTasks)
            #expect(
                reassigned.allSatisfy {
                    $0.customerId == "CH" && $0.fromManagerId == "WM001" && $0.toManagerId == "WM002"
                        && $0.reason == "handover"
                })

            let scheduled = out.payloads(TaskScheduled.V1.self)
            #expect(
                scheduled.allSatisfy {
                    $0.customerId == "CH" && $0.managerId == "WM002" && $0.ruleId == "D-05"
                        && $0.sourceEventId == "handover-started" && $0.branchId == "SH001"
                })
            let oral = try #require(scheduled.first { $0.kind == .handoverNoticeOral })
            let written = try #require(scheduled.first { $0.kind == .handoverNoticeWritten })
            let first = try #require(scheduled.first { $0.kind == .handoverFirstContact })
            let startDay = calendar.businessDate(of: startedAt)
            #expect(oral.dueAt == calendar.endOfDay(calendar.workingDay(1, after: startDay)))
            #expect(oral.dueAt == (try ts("2026-11-30T23:59:59.999+08:00")))
            #expect(written.dueAt == calendar.endOfDay(calendar.workingDay(5, after: startDay)))
            #expect(written.dueAt == (try ts("2026-12-04T23:59:59.999+08:00")))
            // The deadline is the event's, even on a Sunday.
            #expect(first.dueAt == (try ts("2026-12-27T09:00:00.000+08:00")))

            let rows = try await taskRows(harness)
            #expect(rows.filter { $0.customerID == "CH" }.allSatisfy { $0.managerID == "WM002" })
            #expect(rows.filter { $0.customerID == "CH" }.count == 14)
            #expect(rows.filter { $0.customerID == "CO" }.allSatisfy { $0.managerID == "WM001" })
            let plans = try await planRows(harness)
            #expect(plans.first { $0.customerID == "CH" }?.managerID == "WM002")
            #expect(plans.first { $0.customerID == "CO" }?.managerID == "WM001")
            let agenda = try await harness.service.agenda(staffID: "WM002", date: try day("2026-11-30"))
            #expect(agenda.tasks.map(\.kind) == ["handover_notice_oral"])

            // Redelivered: nothing. Assignment's manager-assigned (reason handover) that follows: nothing either.
            #expect(try await harness.deliver(started, id: "handover-started").isEmpty)
            #expect(
                try await harness.deliver(
                    assigned("CH", to: "WM002", tier: .a, at: startedAt, reason: .handover, previous: "WM001")
                ).isEmpty)

            let completed = HandoverCompleted.V1(
                handoverId: "H-1", customerId: "CH", fromManagerId: "WM001", toManagerId: "WM002",
                reason: "transferred", effectiveAt: started.effectiveAt, firstContactDueAt: started.firstContactDueAt,
                at: try ts("2026-12-01T15:05:00.000+08:00"), firstContactAt: try ts("2026-12-01T15:00:00.000+08:00"),
                contactActivityId: "ACT-1", onTime: true)
            let done = try await harness.deliver(completed, id: "handover-completed")
            #expect(done.types == [TaskCompleted.V1.eventType])
            let event = try #require(done.payloads(TaskCompleted.V1.self).first)
            #expect(event.taskId == first.taskId)
            #expect(event.kind == .handoverFirstContact)
            #expect(event.managerId == "WM002")
            #expect(event.customerId == "CH")
            #expect(event.onTime)
            #expect(event.completedAt == (try ts("2026-12-01T15:00:00.000+08:00")))
            #expect(event.outcome?.contains("ACT-1") == true)
            let after = try await taskRows(harness)
            #expect(after.first { $0.taskID == first.taskId }?.status == "done")
            #expect(after.first { $0.taskID == oral.taskId }?.status == "open")
            #expect(after.first { $0.taskID == written.taskId }?.status == "open")
            #expect(try await harness.deliver(completed, id: "handover-completed").isEmpty)
        }
    }

    // MARK: - 4. Daily limits

    @Test("E-03 E-06 the agenda's daily limits: cadence tasks beyond 8 meetings or 20 calls a day move to the next working day with room; walk-in tasks never move")
    func dailyLimits() async throws {
        try await Harness.run(environment: ["ENGAGEMENT_MAX_CALLS_PER_DAY": "2", "ENGAGEMENT_MAX_MEETINGS_PER_DAY": "1"])
        { harness in
            let calendar = harness.calendar
            let at = try ts("2026-11-23T10:00:00.000+08:00")
            var scheduled: [String: [TaskScheduled.V1]] = [:]
            for customer in ["C1", "C2", "C3"] {
                let out = try await harness.deliver(assigned(customer, to: "WM001", tier: .b, at: at))
                scheduled[customer] = out.payloads(TaskScheduled.V1.self)
                #expect(out.count == 14)
            }
            let rows = try await taskRows(harness)
            #expect(rows.count == 42)
            // Every task keeps the day it was planned for.
            let plan = CadencePlan.tasks(tier: .b, from: at, settings: harness.service.settings, calendar: calendar)
            #expect(plan.count == 14)
            for planned in plan {
                let plannedDay = calendar.businessDate(of: planned.dueAt)
                let isCall = planned.kind == .maintenanceContact
                // C1 fills the day; C2 fits the calls (limit 2) but not the meetings (limit 1); C3 fits neither.
                let expected: [String: BusinessDate] = [
                    "C1": plannedDay,
                    "C2": isCall ? plannedDay : calendar.workingDay(1, after: plannedDay),
                    "C3": calendar.workingDay(isCall ? 1 : 2, after: plannedDay),
                ]
                for (customer, dueDay) in expected {
                    let row = rows.first { $0.customerID == customer && $0.kind == planned.kind.rawValue && $0.seq == planned.seq }
                    #expect(row?.plannedDate == plannedDay.description, "\(customer) \(planned.kind) #\(planned.seq)")
                    #expect(row?.dueDate == dueDay.description, "\(customer) \(planned.kind) #\(planned.seq)")
                    #expect(row?.dueAt == calendar.endOfDay(dueDay))
                    let event = scheduled[customer]?.first { $0.taskId == row?.taskID }
                    #expect(event?.dueAt == calendar.endOfDay(dueDay))
                }
            }
            // 10 call slots move one task each, 4 meeting-like slots (2 meetings, 2 reviews) two each.
            #expect(rows.filter { $0.dueDate != $0.plannedDate }.count == 18)
            // No day holds more than the limits.
            let byDay = Dictionary(grouping: rows, by: \.dueDate)
            for (date, tasks) in byDay {
                #expect(tasks.count { $0.kind == "maintenance_contact" } <= 2, "calls on \(date)")
                #expect(
                    tasks.count { $0.kind == "maintenance_meeting" || $0.kind == "portfolio_review" } <= 1,
                    "meetings on \(date)")
            }
            // The first service of all three is planned for Wednesday 23 December; the third moves to Thursday.
            let wednesday = try await harness.service.agenda(staffID: "WM001", date: try day("2026-12-23"))
            #expect(wednesday.tasks.map(\.customerId) == ["C1", "C2"])
            let thursday = try await harness.service.agenda(staffID: "WM001", date: try day("2026-12-24"))
            #expect(thursday.tasks.map(\.customerId) == ["C3"])
            #expect(rows.first { $0.customerID == "C3" && $0.dueDate == "2026-12-24" }?.plannedDate == "2026-12-23")

            // Walk-ins on that Wednesday: three receptions (meetings) and three follow-ups on Friday (calls) stay put.
            for (index, customer) in ["W1", "W2", "W3"].enumerated() {
                let out = try await harness.deliver(
                    routed(customer, at: try ts("2026-12-23T0\(index + 1):00:00.000+08:00")))
                #expect(out.count == 3)
            }
            let walkIns = try await taskRows(harness).filter { $0.customerID?.hasPrefix("W") == true }
            #expect(walkIns.count == 9)
            #expect(walkIns.allSatisfy { $0.dueDate == $0.plannedDate })
            #expect(walkIns.filter { $0.kind == "receive_walkin" }.allSatisfy { $0.dueDate == "2026-12-23" })
            #expect(walkIns.filter { $0.kind == "follow_up" }.allSatisfy { $0.dueDate == "2026-12-25" })
            let busy = try await harness.service.agenda(staffID: "WM001", date: try day("2026-12-23"))
            #expect(busy.tasks.count { $0.kind == "maintenance_contact" } == 2)
            #expect(busy.tasks.count { $0.kind == "receive_walkin" } == 3)
            #expect(busy.tasks.count { $0.kind == "record_visit" } == 3)
            let friday = try await harness.service.agenda(staffID: "WM001", date: try day("2026-12-25"))
            #expect(friday.tasks.count { $0.kind == "follow_up" } == 3)
        }
    }

    // MARK: - 5. Overdue timer and escalation

    @Test("E-04 the overdue timer fires once per task, also when run again and from a second service instance; 2 working days overdue → escalated to the team lead once")
    func overdue() async throws {
        try await Harness.run { harness in
            for entry in [
                try staff("WM001", .wealthManager), try staff("TL001", .teamLead), try staff("CH001", .centreHead),
                try staff("TL900", .teamLead, branch: "SH900"), try staff("WM005", .wealthManager, branch: "SH005"),
                try staff("CH005", .centreHead, branch: "SH005"),
            ] {
                #expect(try await harness.deliver(entry).isEmpty)
            }
            // Monday: receive 10:10, record by Monday's end, follow up by Wednesday's end.
            let monday = try await harness.deliver(routed("C1", at: try ts("2026-11-23T10:00:00.000+08:00")))
            // Wednesday: receive 10:10 (done), record by Wednesday's end, follow up by Friday's end.
            let wednesday = try await harness.deliver(routed("C2", at: try ts("2026-11-25T10:00:00.000+08:00")))
            // A manager whose branch has only a centre head.
            let other = try await harness.deliver(
                routed("C5", manager: "WM005", at: try ts("2026-11-23T10:00:00.000+08:00"), branch: "SH005"))
            let c2Receive = try #require(wednesday.payloads(TaskScheduled.V1.self).first { $0.kind == .receiveWalkIn })
            _ = try await harness.service.complete(
                taskID: try #require(UUID(uuidString: c2Receive.taskId)), outcome: "received")
            func task(_ out: [IncomingEvent], _ kind: TaskKind) throws -> TaskScheduled.V1 {
                try #require(out.payloads(TaskScheduled.V1.self).first { $0.kind == kind })
            }

            let thursday = try ts("2026-11-26T12:00:00.000+08:00")
            let first = try await harness.service.runScheduler(at: thursday)
            #expect(first == .init(overdue: 7, escalated: 4, retention: 0, renewed: 0))
            #expect(try await harness.service.runScheduler(at: thursday) == .init())

            var emitted = try await harness.allEmitted().payloads(TaskOverdue.V1.self)
            let plain = emitted.filter { $0.escalatedTo == nil }
            #expect(plain.count == 7)
            #expect(Set(plain.map(\.taskId)).count == 7)
            let c1Follow = try task(monday, .followUp)
            let c1Receive = try task(monday, .receiveWalkIn)
            let overdueFollow = try #require(plain.first { $0.taskId == c1Follow.taskId })
            #expect(overdueFollow.dueAt == c1Follow.dueAt)
            #expect(overdueFollow.at == thursday)
            #expect(overdueFollow.kind == .followUp)
            #expect(overdueFollow.managerId == "WM001")
            #expect(overdueFollow.customerId == "C1")
            #expect(!plain.contains { $0.taskId == c2Receive.taskId })
            let c2Follow = try task(wednesday, .followUp)
            #expect(!plain.contains { $0.taskId == c2Follow.taskId })
            // Due Monday → escalated on Thursday (Monday + 2 working days = Wednesday ≤ Thursday); due Wednesday (yesterday) not.
            let escalated = emitted.filter { $0.escalatedTo != nil }
            #expect(
                Set(escalated.map(\.taskId)) == Set(
                    [
                        c1Receive.taskId, try task(monday, .recordVisit).taskId, try task(other, .receiveWalkIn).taskId,
                        try task(other, .recordVisit).taskId,
                    ]))
            #expect(escalated.filter { $0.customerId == "C1" }.allSatisfy { $0.escalatedTo == "TL001" })
            #expect(escalated.filter { $0.customerId == "C5" }.allSatisfy { $0.escalatedTo == "CH005" })
            #expect(escalated.allSatisfy { $0.at == thursday })
            #expect(escalated.first { $0.taskId == c1Receive.taskId }?.managerId == "WM001")
            // The task stays with its manager.
            let rows = try await taskRows(harness)
            let receiveRow = try #require(rows.first { $0.taskID == c1Receive.taskId })
            #expect(receiveRow.managerID == "WM001")
            #expect(receiveRow.escalatedTo == "TL001")
            #expect(receiveRow.status == "open")

            // Friday: the tasks due Wednesday are escalated; nothing newly overdue (C2's follow-up is due tonight).
            let friday = try ts("2026-11-27T12:00:00.000+08:00")
            #expect(try await harness.service.runScheduler(at: friday) == .init(overdue: 0, escalated: 3))
            #expect(try await harness.service.runScheduler(at: friday) == .init())
            // Monday: C2's follow-up (due Friday) is overdue but not escalated before Tuesday.
            let nextMonday = try ts("2026-11-30T12:00:00.000+08:00")
            #expect(try await harness.service.runScheduler(at: nextMonday) == .init(overdue: 1, escalated: 0))
            let tuesday = try ts("2026-12-01T12:00:00.000+08:00")
            #expect(try await harness.service.runScheduler(at: tuesday) == .init(overdue: 0, escalated: 1))
            #expect(try await harness.service.runScheduler(at: tuesday) == .init())

            emitted = try await harness.allEmitted().payloads(TaskOverdue.V1.self)
            let openTasks = try await taskRows(harness).filter { $0.status == "open" }
            #expect(openTasks.count == 8)
            for open in openTasks {
                #expect(emitted.count { $0.taskId == open.taskID && $0.escalatedTo == nil } == 1, "\(open.kind)")
                #expect(emitted.count { $0.taskId == open.taskID && $0.escalatedTo != nil } == 1, "\(open.kind)")
            }
            #expect(emitted.count == 16)
        }
    }

    @Test("E-04 two service instances running the timer at once: one task-overdue per task, one escalation per task")
    func overdueTwoInstances() async throws {
        try await Harness.run { harness in
            try await harness.deliver(try staff("WM001", .wealthManager))
            try await harness.deliver(try staff("TL001", .teamLead))
            for index in 0..<30 {
                try await harness.deliver(routed("C\(index)", at: try ts("2026-11-23T10:00:00.000+08:00")))
            }
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks") == 90)
            let second = try EngagementService(context: harness.context)
            let instances = [harness.service, second, harness.service, second]
            let thursday = try ts("2026-11-26T12:00:00.000+08:00")
            let overdue = try await withThrowingTaskGroup(of: Int.self) { group in
                for service in instances { group.addTask { try await service.markOverdue(at: thursday) } }
                return try await group.reduce(0, +)
            }
            #expect(overdue == 90)
            let escalated = try await withThrowingTaskGroup(of: Int.self) { group in
                for service in instances { group.addTask { try await service.escalate(at: thursday) } }
                return try await group.reduce(0, +)
            }
            // Receptions and records were due Monday; the follow-ups (due Wednesday) wait until Friday.
            #expect(escalated == 60)
            let rounds = try await withThrowingTaskGroup(of: EngagementService.SchedulerRound.self) { group in
                for service in instances { group.addTask { try await service.runScheduler(at: thursday) } }
                return try await group.reduce(into: [EngagementService.SchedulerRound]()) { $0.append($1) }
            }
            #expect(rounds.allSatisfy { $0 == .init() })

            let events = try await harness.allEmitted().payloads(TaskOverdue.V1.self)
            let plain = events.filter { $0.escalatedTo == nil }
            let escalations = events.filter { $0.escalatedTo != nil }
            #expect(plain.count == 90)
            #expect(Set(plain.map(\.taskId)).count == 90)
            #expect(escalations.count == 60)
            #expect(Set(escalations.map(\.taskId)).count == 60)
            #expect(escalations.allSatisfy { $0.escalatedTo == "TL001" && $0.kind != .followUp })
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks WHERE overdue_at IS NULL") == 0)
        }
    }

    // MARK: - 6. Completion by logged contacts

    @Test("E-04 E-10 contact-logged completes the named task, else the earliest open task of the same customer, manager and kind (call → proactive contact, meeting → meeting); a message completes a contact; another manager's contact completes nothing")
    func contacts() async throws {
        try await Harness.run { harness in
            let at = try ts("2026-11-23T10:00:00.000+08:00")
            try await harness.deliver(assigned("C1", to: "WM001", tier: .a, at: at))
            try await harness.deliver(assigned("C2", to: "WM001", tier: .a, at: at))
            let walkIn = try await harness.deliver(routed("C1", at: try ts("2026-11-23T09:00:00.000+08:00")))
            let rows = try await taskRows(harness)
            let contacts = rows.filter { $0.customerID == "C1" && $0.kind == "maintenance_contact" }
            let meetings = rows.filter { $0.customerID == "C1" && $0.kind == "maintenance_meeting" }
            #expect(contacts.count == 4)
            #expect(meetings.count == 2)
            // 61 days after 23 November 2026 is Saturday 23 January 2027 → Monday 25 January.
            #expect(contacts.first?.dueAt == (try ts("2027-01-25T23:59:59.999+08:00")))

            func completes(_ event: ContactLogged.V1) async throws -> TaskCompleted.V1? {
                let out = try await harness.deliver(event)
                #expect(out.count <= 1)
                #expect(out.allSatisfy { $0.type == TaskCompleted.V1.eventType })
                return out.payloads(TaskCompleted.V1.self).first
            }
            func completed(_ event: ContactLogged.V1) async throws -> TaskCompleted.V1 {
                let done = try await completes(event)
                return try #require(done)
            }

            let callAt = try ts("2026-12-01T10:00:00.000+08:00")
            let call = try await completed(contact("C1", .call, at: callAt))
            #expect(call.taskId == contacts[0].taskID)
            #expect(call.kind == .maintenanceContact)
            #expect(call.managerId == "WM001")
            #expect(call.customerId == "C1")
            #expect(call.onTime)
            #expect(call.completedAt == callAt)
            #expect(call.outcome?.hasPrefix("call logged (activity ACT-") == true)

            let meeting = try await completed(contact("C1", .meeting, at: callAt, outcome: "met"))
            #expect(meeting.taskId == meetings[0].taskID)
            #expect(meeting.kind == .maintenanceMeeting)
            #expect(meeting.outcome == "met")
            let message = try await completed(contact("C1", .message, at: callAt))
            #expect(message.taskId == contacts[1].taskID)
            let visit = try await completed(contact("C1", .visit, at: callAt))
            #expect(visit.taskId == meetings[1].taskID)

            // The named task, whatever its kind: on time, and late.
            let followUp = try #require(walkIn.payloads(TaskScheduled.V1.self).first { $0.kind == .followUp })
            let named = try await completed(
                contact(
                    "C1", .call, at: try ts("2026-11-24T11:00:00.000+08:00"), taskID: followUp.taskId,
                    outcome: "called back"))
            #expect(named.taskId == followUp.taskId)
            #expect(named.kind == .followUp)
            #expect(named.onTime)
            #expect(named.outcome == "called back")
            let receive = try #require(walkIn.payloads(TaskScheduled.V1.self).first { $0.kind == .receiveWalkIn })
            let late = try await completed(
                contact("C1", .meeting, at: try ts("2026-11-23T11:00:00.000+08:00"), taskID: receive.taskId))
            #expect(late.taskId == receive.taskId)
            #expect(!late.onTime)
            // A named task that is no longer open: the earliest open task of the kind instead.
            let again = try await completed(contact("C1", .call, at: callAt, taskID: followUp.taskId))
            #expect(again.taskId == contacts[2].taskID)

            // Another manager's contact with C1 completes nothing; C2's contact completes C2's task, not C1's.
            #expect(try await completes(contact("C1", manager: "WM002", .call, at: callAt)) == nil)
            #expect(try await completes(contact("C1", manager: "WM002", .meeting, at: callAt)) == nil)
            let other = try await completed(contact("C2", .call, at: callAt))
            #expect(other.customerId == "C2")

            let after = try await taskRows(harness)
            #expect(after.first { $0.taskID == contacts[3].taskID }?.status == "open")
            #expect(after.filter { $0.customerID == "C1" && $0.status == "done" }.count == 7)
            #expect(after.filter { $0.customerID == "C2" && $0.status == "done" }.count == 1)
            #expect(try await harness.allEmitted().payloads(TaskCompleted.V1.self).count == 8)
            // Every contact counts for dormancy.
            #expect(
                try await scalar(
                    harness.client,
                    "SELECT count(*) FROM customers WHERE customer_id = 'C1' AND last_contact_at = \(callAt.date)")
                    == 1)
        }
    }

    @Test("E-03 E-10 a call the customer made (proactive false) does not complete a planned proactive contact")
    func inboundCallIsNotProactive() async throws {
        try await Harness.run { harness in
            try await harness.deliver(assigned("C1", to: "WM001", tier: .a, at: try ts("2026-11-23T10:00:00.000+08:00")))
            let roles = Set(try await taskRows(harness).filter { $0.kind == "maintenance_contact" }.map(\.cadenceRole))
            #expect(roles == ["proactive_contact"])
            let out = try await harness.deliver(
                contact("C1", .call, at: try ts("2026-12-01T10:00:00.000+08:00"), proactive: false))
            #expect(out.payloads(TaskCompleted.V1.self).isEmpty)
            #expect(
                try await scalar(
                    harness.client, "SELECT count(*) FROM tasks WHERE cadence_role = 'proactive_contact' AND status = 'open'")
                    == 4)
            // The manager's own call does.
            let proactive = try await harness.deliver(
                contact("C1", .call, at: try ts("2026-12-02T10:00:00.000+08:00"), proactive: true))
            #expect(proactive.payloads(TaskCompleted.V1.self).map(\.kind) == [.maintenanceContact])
            #expect(
                try await scalar(
                    harness.client, "SELECT count(*) FROM tasks WHERE cadence_role = 'proactive_contact' AND status = 'open'")
                    == 3)
        }
    }

    // MARK: - 7. Visits

    @Test("C-05 a visit that ends with referral_declined or left_unserved → lead_follow_up due the end of the next working day, the reception cancelled; served → nothing; visit-served completes the reception")
    func visits() async throws {
        try await Harness.run { harness in
            let declinedReferral = routed("C1", at: try ts("2026-11-27T10:00:00.000+08:00"))  // Friday
            try await harness.deliver(declinedReferral)
            let declined = try await harness.deliver(
                VisitLeft.V1(
                    visitId: declinedReferral.visitId, at: try ts("2026-11-27T10:20:00.000+08:00"),
                    outcome: .referralDeclined),
                id: "left-declined")
            #expect(declined.types == [TaskScheduled.V1.eventType])
            let lead = try #require(declined.payloads(TaskScheduled.V1.self).first)
            #expect(lead.kind == .leadFollowUp)
            #expect(lead.dueAt == (try ts("2026-11-30T23:59:59.999+08:00")))
            #expect(lead.ruleId == "C-05")
            #expect(lead.managerId == "WM001")
            #expect(lead.customerId == "C1")
            #expect(lead.visitId == declinedReferral.visitId)
            #expect(lead.referralId == declinedReferral.referralId)
            #expect(lead.sourceEventId == "left-declined")
            var rows = try await taskRows(harness)
            let reception = try #require(rows.first { $0.visitID == declinedReferral.visitId && $0.kind == "receive_walkin" })
            #expect(reception.status == "cancelled")
            #expect(reception.outcome == "referral_declined")
            // The lead follow-up replaces the walk-in follow-up; the visit is still to be recorded.
            #expect(rows.first { $0.visitID == declinedReferral.visitId && $0.kind == "follow_up" }?.status == "cancelled")
            #expect(rows.first { $0.visitID == declinedReferral.visitId && $0.kind == "record_visit" }?.status == "open")
            // A second report of the same departure (another event id) adds nothing.
            #expect(
                try await harness.deliver(
                    VisitLeft.V1(
                        visitId: declinedReferral.visitId, at: try ts("2026-11-27T10:21:00.000+08:00"),
                        outcome: .leftUnserved)
                ).isEmpty)
            #expect(try await harness.deliver(
                VisitLeft.V1(
                    visitId: declinedReferral.visitId, at: try ts("2026-11-27T10:20:00.000+08:00"),
                    outcome: .referralDeclined),
                id: "left-declined").isEmpty)

            let unservedReferral = routed("C2", at: try ts("2026-11-25T15:00:00.000+08:00"))  // Wednesday
            try await harness.deliver(unservedReferral)
            let unserved = try await harness.deliver(
                VisitLeft.V1(
                    visitId: unservedReferral.visitId, at: try ts("2026-11-25T15:30:00.000+08:00"),
                    outcome: .leftUnserved))
            let unservedLead = try #require(unserved.payloads(TaskScheduled.V1.self).first)
            #expect(unserved.count == 1)
            #expect(unservedLead.kind == .leadFollowUp)
            #expect(unservedLead.dueAt == (try ts("2026-11-26T23:59:59.999+08:00")))
            #expect(unservedLead.customerId == "C2")

            let servedReferral = routed("C3", at: try ts("2026-11-25T11:00:00.000+08:00"))
            try await harness.deliver(servedReferral)
            let served = try await harness.deliver(
                VisitServed.V1(
                    visitId: servedReferral.visitId, staffId: "WM001", at: try ts("2026-11-25T11:06:00.000+08:00")))
            #expect(served.types == [TaskCompleted.V1.eventType])
            let completed = try #require(served.payloads(TaskCompleted.V1.self).first)
            #expect(completed.kind == .receiveWalkIn)
            #expect(completed.onTime)
            #expect(completed.customerId == "C3")
            #expect(
                try await harness.deliver(
                    VisitLeft.V1(
                        visitId: servedReferral.visitId, at: try ts("2026-11-25T11:30:00.000+08:00"), outcome: .served)
                ).isEmpty)
            #expect(
                try await harness.deliver(
                    VisitLeft.V1(visitId: servedReferral.visitId, at: try ts("2026-11-25T11:31:00.000+08:00"))
                ).isEmpty)
            // Served first, then reported as left unserved: the reception is done, nothing to follow up as a lead.
            #expect(
                try await harness.deliver(
                    VisitLeft.V1(
                        visitId: servedReferral.visitId, at: try ts("2026-11-25T11:32:00.000+08:00"),
                        outcome: .leftUnserved)
                ).isEmpty)
            // A visit engagement knows nothing of.
            #expect(
                try await harness.deliver(
                    VisitLeft.V1(visitId: "V-UNKNOWN", at: try ts("2026-11-25T11:31:00.000+08:00"), outcome: .leftUnserved)
                ).isEmpty)

            rows = try await taskRows(harness)
            #expect(rows.count { $0.kind == "lead_follow_up" } == 2)
            #expect(rows.first { $0.visitID == servedReferral.visitId && $0.kind == "receive_walkin" }?.status == "done")
            #expect(rows.first { $0.visitID == unservedReferral.visitId && $0.kind == "receive_walkin" }?.status == "cancelled")
            #expect(rows.filter { $0.visitID == servedReferral.visitId }.count == 3)
        }
    }

    @Test("C-05 C-06 a visit-served or visit-left that arrives before its referral is kept and applied when the referral-routed arrives, in the order they happened; redelivery applies nothing twice")
    func reportsBeforeReferral() async throws {
        try await Harness.run { harness in
            // Served before engagement heard of the referral (branch.visits ran ahead of assignment.events).
            let servedReferral = routed("C1", at: try ts("2026-11-25T11:00:00.000+08:00"))
            let early = try await harness.deliver(
                VisitServed.V1(
                    visitId: servedReferral.visitId, staffId: "WM001", at: try ts("2026-11-25T11:04:00.000+08:00")),
                id: "served-early")
            #expect(early.isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM early_visit_signals") == 1)
            let served = try await harness.deliver(servedReferral, id: "routed-served")
            #expect(served.payloads(TaskScheduled.V1.self).count == 3)
            let completed = try #require(served.payloads(TaskCompleted.V1.self).first)
            #expect(served.count == 4)
            #expect(completed.kind == .receiveWalkIn)
            #expect(completed.customerId == "C1")
            #expect(completed.onTime)
            #expect(completed.completedAt == (try ts("2026-11-25T11:04:00.000+08:00")))
            // Redelivered: the inbox absorbs it; the kept report is gone.
            #expect(try await harness.deliver(servedReferral, id: "routed-served").isEmpty)
            #expect(
                try await harness.deliver(
                    VisitServed.V1(
                        visitId: servedReferral.visitId, staffId: "WM001", at: try ts("2026-11-25T11:04:00.000+08:00")),
                    id: "served-early"
                ).isEmpty)

            // Declined before the referral arrived: the lead follow-up replaces the reception and the follow-up.
            let declinedReferral = routed("C2", at: try ts("2026-11-27T10:00:00.000+08:00"))  // Friday
            #expect(
                try await harness.deliver(
                    VisitLeft.V1(
                        visitId: declinedReferral.visitId, at: try ts("2026-11-27T10:20:00.000+08:00"),
                        outcome: .referralDeclined),
                    id: "left-early"
                ).isEmpty)
            let declined = try await harness.deliver(declinedReferral)
            let scheduled = declined.payloads(TaskScheduled.V1.self)
            #expect(kinds(scheduled) == [.receiveWalkIn: 1, .recordVisit: 1, .followUp: 1, .leadFollowUp: 1])
            let lead = try #require(scheduled.first { $0.kind == .leadFollowUp })
            #expect(lead.dueAt == (try ts("2026-11-30T23:59:59.999+08:00")))
            #expect(lead.sourceEventId == "left-early")
            #expect(lead.referralId == declinedReferral.referralId)

            // Served, then reported as left unserved, both before the referral: applied in the order they happened
            // (the later report delivered first), so the reception is done and there is no lead.
            let bothReferral = routed("C3", at: try ts("2026-11-25T14:00:00.000+08:00"))
            try await harness.deliver(
                VisitLeft.V1(
                    visitId: bothReferral.visitId, at: try ts("2026-11-25T14:40:00.000+08:00"), outcome: .leftUnserved))
            try await harness.deliver(
                VisitServed.V1(visitId: bothReferral.visitId, staffId: "WM001", at: try ts("2026-11-25T14:05:00.000+08:00")))
            let both = try await harness.deliver(bothReferral)
            #expect(both.payloads(TaskCompleted.V1.self).map(\.kind) == [.receiveWalkIn])
            #expect(!both.payloads(TaskScheduled.V1.self).contains { $0.kind == .leadFollowUp })

            let rows = try await taskRows(harness)
            #expect(rows.first { $0.visitID == servedReferral.visitId && $0.kind == "receive_walkin" }?.status == "done")
            #expect(rows.first { $0.visitID == declinedReferral.visitId && $0.kind == "receive_walkin" }?.status == "cancelled")
            #expect(rows.first { $0.visitID == declinedReferral.visitId && $0.kind == "follow_up" }?.status == "cancelled")
            #expect(rows.first { $0.visitID == bothReferral.visitId && $0.kind == "receive_walkin" }?.status == "done")
            #expect(rows.first { $0.visitID == bothReferral.visitId && $0.kind == "follow_up" }?.status == "open")
            #expect(try await scalar(harness.client, "SELECT count(*) FROM early_visit_signals") == 0)
        }
    }

    @Test("C-05 C-06 a referral and its visit's report handled at the same moment by two instances: every reception completed, none missed")
    func reportsRacingReferrals() async throws {
        try await Harness.run { harness in
            let instances = [harness.service, try EngagementService(context: harness.context)]
            @Sendable func handle<Data: EventData>(_ data: Data, on instance: EngagementService) async throws {
                let envelope = Envelope(id: UUID().uuidString.lowercased(), source: "test", time: harness.calendar.now(), data: data)
                try await HandlerTransaction.run(
                    try EventCatalog.decode(envelope.encode()), handler: instance, client: harness.client,
                    serviceName: EngagementService.name, calendar: harness.calendar,
                    source: RecordSource(topic: Data.topic, partition: 0, offset: 0), logger: harness.context.logger)
            }
            let referrals = try (0..<40).map { routed("C\($0)", at: try ts("2026-11-25T11:00:00.000+08:00")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, referral) in referrals.enumerated() {
                    let served = VisitServed.V1(
                        visitId: referral.visitId, staffId: "WM001", at: try ts("2026-11-25T11:03:00.000+08:00"))
                    group.addTask { try await handle(referral, on: instances[index % 2]) }
                    group.addTask { try await handle(served, on: instances[(index + 1) % 2]) }
                }
                try await group.waitForAll()
            }
            #expect(
                try await scalar(
                    harness.client, "SELECT count(*) FROM tasks WHERE kind = 'receive_walkin' AND status = 'done'") == 40)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM early_visit_signals") == 0)
            #expect(try await harness.allEmitted().payloads(TaskCompleted.V1.self).count == 40)
        }
    }

    @Test("C-05 kept reports of visits never referred are purged after ENGAGEMENT_EARLY_SIGNAL_RETENTION_HOURS")
    func earlyReportsPurged() async throws {
        try await Harness.run(environment: ["ENGAGEMENT_EARLY_SIGNAL_RETENTION_HOURS": "24"]) { harness in
            let now = harness.calendar.now()
            try await harness.deliver(VisitServed.V1(visitId: "V-NEVER-REFERRED", staffId: "WM001", at: now))
            try await harness.deliver(VisitLeft.V1(visitId: "V-NEVER-REFERRED-2", at: now, outcome: .leftUnserved))
            // A departure that changes no agenda (served, or no outcome) is not kept.
            try await harness.deliver(VisitLeft.V1(visitId: "V-NEVER-REFERRED-3", at: now, outcome: .served))
            #expect(try await scalar(harness.client, "SELECT count(*) FROM early_visit_signals") == 2)
            #expect(try await harness.service.purgeEarlySignals(at: now.adding(milliseconds: 23 * Self.hour)) == 0)
            #expect(try await harness.service.runScheduler(at: now.adding(milliseconds: 25 * Self.hour)).signalsPurged == 2)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM early_visit_signals") == 0)
        }
    }

    // MARK: - 8. Appointments

    @Test("E-07 E-08 appointment-booked → a confirmation the working day before and one on the morning of the day; a booking for today skips the one already past")
    func appointments() async throws {
        try await Harness.run { harness in
            let calendar = harness.calendar
            let now = nowInShanghai()
            let today = calendar.businessDate(of: now)
            func booking(_ id: String, at: Timestamp) -> AppointmentBooked.V1 {
                AppointmentBooked.V1(appointmentId: id, customerId: "C1", managerId: "WM001", branchId: "SH001", at: at)
            }

            // An afternoon appointment on the third working day from today.
            let appointmentDay = calendar.workingDay(3, after: today)
            let afternoon = calendar.startOfDay(appointmentDay).adding(milliseconds: 14 * Self.hour + 30 * 60_000)
            let out = try await harness.deliver(booking("AP-1", at: afternoon), id: "booked-1")
            let confirmations = out.payloads(TaskScheduled.V1.self)
            #expect(out.count == 2)
            #expect(confirmations.allSatisfy { $0.kind == .appointmentConfirmation && $0.ruleId == "E-07" })
            #expect(confirmations.allSatisfy { $0.managerId == "WM001" && $0.customerId == "C1" && $0.branchId == "SH001" })
            #expect(
                confirmations.map(\.dueAt) == [
                    calendar.endOfDay(calendar.workingDay(2, after: today)),
                    calendar.startOfDay(appointmentDay).adding(milliseconds: 9 * Self.hour),
                ])
            #expect(confirmations.last?.dueAt.rfc3339.hasSuffix("T09:00:00.000+08:00") == true)
            let rows = try await taskRows(harness)
            #expect(rows.filter { $0.appointmentID == "AP-1" }.map(\.seq).sorted() == [0, 1])
            #expect(try await harness.deliver(booking("AP-1", at: afternoon), id: "booked-1").isEmpty)
            // Re-sent by the CRM under a new event id: the same appointment and time add nothing.
            #expect(try await harness.deliver(booking("AP-1", at: afternoon), id: "booked-1-again").isEmpty)
            // Moved an hour later: the open confirmations are replaced, not doubled.
            let moved = try await harness.deliver(booking("AP-1", at: afternoon.adding(milliseconds: Self.hour)))
            #expect(moved.payloads(TaskScheduled.V1.self).count == 2)
            let afterMove = try await taskRows(harness).filter { $0.appointmentID == "AP-1" }
            #expect(afterMove.count { $0.status == "open" } == 2)
            #expect(afterMove.count { $0.status == "cancelled" } == 2)

            // A Monday appointment: the day before is the Friday.
            var monday = today.adding(days: 3)
            while calendar.weekday(of: monday) != .monday { monday = monday.adding(days: 1) }
            let mondayOut = try await harness.deliver(
                booking("AP-2", at: calendar.startOfDay(monday).adding(milliseconds: 10 * Self.hour)))
            #expect(
                mondayOut.payloads(TaskScheduled.V1.self).map(\.dueAt).first
                    == calendar.endOfDay(monday.adding(days: -3)))

            // An 08:00 appointment: the morning confirmation is due at the appointment itself.
            let early = calendar.startOfDay(calendar.workingDay(4, after: today)).adding(milliseconds: 8 * Self.hour)
            let earlyOut = try await harness.deliver(booking("AP-3", at: early))
            #expect(earlyOut.payloads(TaskScheduled.V1.self).map(\.dueAt).last == early)

            // Today, late in the evening: the day-before confirmation has passed; the morning one only if it is not
            // nine o'clock yet.
            let tonight = calendar.endOfDay(today).adding(milliseconds: -60_000)
            let nine = calendar.startOfDay(today).adding(milliseconds: 9 * Self.hour)
            let todayOut = try await harness.deliver(booking("AP-4", at: tonight))
            let expected = now < nine ? [nine] : []
            #expect(todayOut.payloads(TaskScheduled.V1.self).map(\.dueAt) == expected)
            #expect(todayOut.payloads(TaskScheduled.V1.self).allSatisfy { $0.dueAt > now })
            #expect(
                try await taskRows(harness).filter { $0.appointmentID == "AP-4" }.map(\.seq) == (expected.isEmpty ? [] : [1]))
        }
    }

    // MARK: - 9. Retention

    @Test("E-09 retention: no contact for 90 days → one retention task, not one per round")
    func retention() async throws {
        try await Harness.run { harness in
            let calendar = harness.calendar
            let now = nowInShanghai()
            let hundredDaysAgo = now.adding(milliseconds: -100 * Self.dayMS)
            try await harness.deliver(assigned("CD", to: "WM001", tier: nil, at: hundredDaysAgo))
            try await harness.deliver(assigned("CR", to: "WM001", tier: nil, at: hundredDaysAgo))
            try await harness.deliver(contact("CR", .call, at: now.adding(milliseconds: -10 * Self.dayMS)))
            try await harness.deliver(assigned("CN", to: "WM001", tier: nil, at: now.adding(milliseconds: -80 * Self.dayMS)))

            #expect(try await harness.service.runScheduler(at: now).retention == 1)
            #expect(try await harness.service.runScheduler(at: now) == .init())
            #expect(try await harness.service.runScheduler(at: now.adding(milliseconds: Self.dayMS)).retention == 0)
            var retention = try await taskRows(harness).filter { $0.kind == "retention" }
            #expect(retention.count == 1)
            let dormant = try #require(retention.first)
            #expect(dormant.customerID == "CD")
            #expect(dormant.managerID == "WM001")
            #expect(dormant.ruleID == "E-09")
            #expect(dormant.dueAt == calendar.endOfDay(calendar.workingDay(2, after: calendar.businessDate(of: now))))
            #expect(dormant.sourceEventID == "dormancy/CD/\(calendar.businessDate(of: hundredDaysAgo))")
            #expect(try await harness.allEmitted().payloads(TaskScheduled.V1.self).count { $0.kind == .retention } == 1)

            // Done without a new contact: not raised again for the same quiet spell.
            _ = try await harness.service.complete(
                taskID: try #require(UUID(uuidString: dormant.taskID)), outcome: "called, no answer")
            #expect(try await harness.service.runScheduler(at: now.adding(milliseconds: 2 * Self.dayMS)).retention == 0)
            // A contact tomorrow, then 91 quiet days: raised again, once; the others' quiet spells too.
            try await harness.deliver(contact("CD", .call, at: now.adding(milliseconds: Self.dayMS)))
            let later = now.adding(milliseconds: 92 * Self.dayMS)
            #expect(try await harness.service.runScheduler(at: later).retention == 3)
            #expect(try await harness.service.runScheduler(at: later).retention == 0)
            retention = try await taskRows(harness).filter { $0.kind == "retention" && $0.status == "open" }
            #expect(Set(retention.compactMap(\.customerID)) == ["CD", "CR", "CN"])
            #expect(retention.count == 3)
        }
    }

    @Test("E-09 B-10 retention: a 30% fall in assets between profiles → one retention task, a 29% fall none")
    func assetFall() async throws {
        try await Harness.run { harness in
            let now = nowInShanghai()
            // Assets: 1,000,000.00 → 700,000.00 is a 30% fall; 1,000,000.00 → 710,000.00 (29%) is not.
            try await harness.deliver(assigned("CA1", to: "WM001", tier: nil, at: now))
            try await harness.deliver(assigned("CA2", to: "WM001", tier: nil, at: now))
            func profile(_ customer: String, _ amount: String, asOf: String) throws -> CustomerProfile.V1 {
                CustomerProfile.V1(
                    customerId: customer, homeBranchId: "SH001", aumDailyAvg: try Amount(parsing: amount),
                    asOf: try day(asOf))
            }
            // 29% (and 29.99999%): nothing.
            #expect(try await harness.deliver(try profile("CA2", "1000000.00", asOf: "2026-10-31")).isEmpty)
            #expect(try await harness.deliver(try profile("CA2", "710000.00", asOf: "2026-11-20")).isEmpty)
            #expect(try await harness.deliver(try profile("CA2", "700000.01", asOf: "2026-11-21")).isEmpty)

            // 30%: one retention task for the customer's manager.
            #expect(try await harness.deliver(try profile("CA1", "1000000.00", asOf: "2026-10-31")).isEmpty)
            let fall = try await harness.deliver(try profile("CA1", "700000.00", asOf: "2026-11-20"), id: "profile-fall")
            #expect(fall.types == [TaskScheduled.V1.eventType])
            let raised = fall.payloads(TaskScheduled.V1.self).first
            #expect(raised?.kind == .retention)
            #expect(raised?.customerId == "CA1")
            #expect(raised?.managerId == "WM001")
            #expect(raised?.ruleId == "E-09")
            #expect(raised?.sourceEventId == "profile-fall")
            let today = harness.calendar.businessDate(of: now)
            #expect(raised?.dueAt == harness.calendar.endOfDay(harness.calendar.workingDay(2, after: today)))
            #expect(try await harness.deliver(try profile("CA1", "700000.00", asOf: "2026-11-20"), id: "profile-fall").isEmpty)
            // A further fall while one is open: no second task; an older profile arriving late changes nothing.
            #expect(try await harness.deliver(try profile("CA1", "400000.00", asOf: "2026-11-21")).isEmpty)
            #expect(try await harness.deliver(try profile("CA1", "9000000.00", asOf: "2026-11-01")).isEmpty)
            // A profile of a customer engagement does not know: nothing.
            #expect(try await harness.deliver(try profile("C-UNKNOWN", "1.00", asOf: "2026-11-21")).isEmpty)
            #expect(
                try await scalar(
                    harness.client, "SELECT count(*) FROM tasks WHERE kind = 'retention' AND customer_id LIKE 'CA%'") == 1)
            #expect(
                try await scalar(
                    harness.client,
                    "SELECT count(*) FROM customers WHERE customer_id = 'CA1' AND aum_daily_avg = 400000 AND aum_as_of = '2026-11-21'")
                    == 1)
        }
    }

    // MARK: - 10. Complaints

    @Test("F-05 a resolved complaint case → complaint_follow_up for the customer's manager within 3 working days")
    func complaintFollowUp() async throws {
        try await Harness.run { harness in
            try await harness.deliver(assigned("CC", to: "WM001", tier: nil, at: try ts("2026-11-20T10:00:00.000+08:00")))
            func opened(_ caseID: String, customer: String?) throws -> CaseOpened.V1 {
                CaseOpened.V1(
                    caseId: caseID, source: .branch, externalRef: "EXT-\(caseID)", customerId: customer,
                    branchId: "SH001", category: "service_attitude", severity: .normal,
                    replyDueAt: try ts("2026-11-30T23:59:59.999+08:00"), level: .frontLine,
                    receivedAt: try ts("2026-11-23T10:00:00.000+08:00"), resolvedOnSpot: false)
            }
            #expect(try await harness.deliver(try opened("CASE-1", customer: "CC")).isEmpty)
            let resolved = CaseResolved.V1(
                caseId: "CASE-1", resolution: "apologised; fee refunded", at: try ts("2026-11-27T15:00:00.000+08:00"),
                onTime: true, by: "CH001")
            let out = try await harness.deliver(resolved, id: "resolved-1")
            #expect(out.types == [TaskScheduled.V1.eventType])
            let task = try #require(out.payloads(TaskScheduled.V1.self).first)
            #expect(task.kind == .complaintFollowUp)
            #expect(task.customerId == "CC")
            #expect(task.managerId == "WM001")
            #expect(task.ruleId == "F-05")
            #expect(task.branchId == "SH001")
            // Friday + 3 working days: Wednesday 2 December.
            #expect(task.dueAt == (try ts("2026-12-02T23:59:59.999+08:00")))
            #expect(try await taskRows(harness).first { $0.taskID == task.taskId }?.caseID == "CASE-1")
            #expect(try await harness.deliver(resolved, id: "resolved-1").isEmpty)

            // The customer's manager at the time of resolution.
            try await harness.deliver(
                assigned(
                    "CC", to: "WM002", tier: nil, at: try ts("2026-11-28T10:00:00.000+08:00"), reason: .transfer,
                    previous: "WM001"))
            try await harness.deliver(try opened("CASE-2", customer: "CC"))
            let second = try await harness.deliver(
                CaseResolved.V1(caseId: "CASE-2", at: try ts("2026-12-01T10:00:00.000+08:00"), by: "CH001"))
            #expect(second.payloads(TaskScheduled.V1.self).map(\.managerId) == ["WM002"])
            #expect(second.payloads(TaskScheduled.V1.self).map(\.dueAt) == [try ts("2026-12-04T23:59:59.999+08:00")])

            // A case without a customer, a case never opened, a customer without a manager: nothing.
            try await harness.deliver(try opened("CASE-3", customer: nil))
            #expect(try await harness.deliver(CaseResolved.V1(caseId: "CASE-3", at: try ts("2026-12-01T10:00:00.000+08:00"))).isEmpty)
            #expect(try await harness.deliver(CaseResolved.V1(caseId: "CASE-X", at: try ts("2026-12-01T10:00:00.000+08:00"))).isEmpty)
            try await harness.deliver(try opened("CASE-4", customer: "C-UNKNOWN"))
            #expect(try await harness.deliver(CaseResolved.V1(caseId: "CASE-4", at: try ts("2026-12-01T10:00:00.000+08:00"))).isEmpty)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks WHERE kind = 'complaint_follow_up'") == 2)
        }
    }

    // MARK: - 11. Renewal

    @Test("E-03 a plan whose year is over is renewed once from its end day")
    func renewal() async throws {
        try await Harness.run { harness in
            let calendar = harness.calendar
            let now = nowInShanghai()
            try await harness.deliver(assigned("CP", to: "WM001", tier: .a, at: now), id: "assigned-cp")
            // Handed over since: the renewed plan is the new manager's.
            try await harness.deliver(
                HandoverStarted.V1(
                    handoverId: "H-CP", customerId: "CP", fromManagerId: "WM001", toManagerId: "WM002", reason: "left",
                    effectiveAt: now, firstContactDueAt: calendar.adding(months: 1, to: now), at: now),
                id: "handover-cp")
            let initialPlans = try await planRows(harness)
            let original = try #require(initialPlans.first)
            #expect(original.managerID == "WM002")
            // Its year ended yesterday.
            let yesterday = calendar.businessDate(of: now).adding(days: -1)
            let startsOn = yesterday.adding(days: -365)
            try await harness.client.query(
                """
                UPDATE plans SET starts_on = \(startsOn.description)::date, ends_on = \(yesterday.description)::date
                WHERE plan_id = \(original.planID)
                """)
            let tasksBefore = try await scalar(harness.client, "SELECT count(*) FROM tasks")
            let emittedBefore = try await harness.allEmitted().count

            let second = try EngagementService(context: harness.context)
            let renewed = try await withThrowingTaskGroup(of: Int.self) { group in
                for service in [harness.service, second] {
                    group.addTask { try await service.runScheduler(at: now).renewed }
                }
                return try await group.reduce(0, +)
            }
            #expect(renewed == 1)
            #expect(try await harness.service.runScheduler(at: now).renewed == 0)
            #expect(try await harness.service.runScheduler(at: now.adding(milliseconds: 10 * Self.dayMS)).renewed == 0)

            let plans = try await planRows(harness)
            #expect(plans.count == 2)
            #expect(plans.first { $0.planID == original.planID }?.status == "ended")
            let next = try #require(plans.first { $0.status == "active" })
            #expect(next.planID != original.planID)
            #expect(next.tier == "A")
            #expect(next.managerID == "WM002")
            #expect(next.startsOn == yesterday.description)
            #expect(
                next.endsOn
                    == calendar.businessDate(of: calendar.adding(months: 12, to: calendar.startOfDay(yesterday))).description)
            #expect(next.sourceEventID == "renewal/\(original.planID)")

            let newTasks = try await taskRows(harness).filter { $0.planID == next.planID }
            #expect(newTasks.count == 8)
            #expect(newTasks.allSatisfy { $0.managerID == "WM002" && $0.sourceEventID == next.sourceEventID })
            #expect(try await scalar(harness.client, "SELECT count(*) FROM tasks") == tasksBefore + 8)
            let scheduled = try await harness.allEmitted().dropFirst(emittedBefore).map { $0 }
                .payloads(TaskScheduled.V1.self)
            #expect(scheduled.count == 8)
            #expect(Set(scheduled.map(\.taskId)) == Set(newTasks.map(\.taskID)))
            // The new year's first service: 61 days after the end day, on a working day.
            let firstDay = calendar.workingDay(0, after: yesterday.adding(days: 61))
            #expect(newTasks.map(\.dueAt).min() == calendar.endOfDay(firstDay))
        }
    }

    // MARK: - Robustness

    @Test("E-04 an escalation waits until the directory names a team lead or centre head for the manager's branch")
    func escalationWaitsForTheDirectory() async throws {
        try await Harness.run { harness in
            // Monday's walk-in; the directory knows nothing of WM001 yet.
            try await harness.deliver(routed("C1", at: try ts("2026-11-23T10:00:00.000+08:00")))
            let wednesday = try ts("2026-11-25T12:00:00.000+08:00")
            let before = try await harness.service.runScheduler(at: wednesday)
            #expect(before.overdue == 2)
            #expect(before.escalated == 0)
            #expect(try await taskRows(harness).allSatisfy { $0.escalatedAt == nil })

            // HR's news arrives: the next round escalates Monday's tasks to the team lead, once.
            for entry in [try staff("WM001", .wealthManager), try staff("TL001", .teamLead)] {
                // (What the harness returns here includes the scheduler's events since the last delivery.)
                let out = try await harness.deliver(entry)
                #expect(out.allSatisfy { $0.type == TaskOverdue.V1.eventType })
            }
            let after = try await harness.service.runScheduler(at: wednesday.adding(milliseconds: Self.hour))
            #expect(after.escalated == 2)
            let escalated = try await harness.allEmitted().payloads(TaskOverdue.V1.self).filter { $0.escalatedTo != nil }
            #expect(escalated.count == 2)
            #expect(escalated.allSatisfy { $0.escalatedTo == "TL001" })
            #expect(try await harness.service.runScheduler(at: wednesday.adding(milliseconds: 2 * Self.hour)).escalated == 0)
        }
    }

    @Test("E-10 a contact naming another customer's task does not complete it; the contact counts for its own customer")
    func namedTaskOfAnotherCustomer() async throws {
        try await Harness.run { harness in
            let monday = try ts("2026-11-23T10:00:00.000+08:00")
            let first = try await harness.deliver(assigned("C1", to: "WM001", tier: .a, at: monday))
            try await harness.deliver(assigned("C2", to: "WM001", tier: .a, at: monday))
            let c1Contact = try #require(
                first.payloads(TaskScheduled.V1.self).first { $0.kind == .maintenanceContact })
            // WM001 logs a call with C2 but names C1's task (a slip in the app).
            let out = try await harness.deliver(
                contact("C2", .call, at: monday.adding(milliseconds: Self.hour), taskID: c1Contact.taskId))
            let completed = try #require(out.payloads(TaskCompleted.V1.self).first)
            #expect(out.payloads(TaskCompleted.V1.self).count == 1)
            #expect(completed.customerId == "C2")
            #expect(completed.taskId != c1Contact.taskId)
            #expect(try await taskRows(harness).first { $0.taskID == c1Contact.taskId }?.status == "open")
        }
    }
}
