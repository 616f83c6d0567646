import Events
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The tasks table inside one transaction: scheduling (with the agenda's daily limits), moving, completing,
/// cancelling — each announced through the outbox.
struct TaskStore {
    let connection: PostgresConnection
    let outbox: EventOutbox
    let settings: EngagementSettings
    let calendar: BusinessCalendar
    let logger: Logger
    let now: Timestamp

    /// Whom and what a task is about, beyond its plan.
    struct Subject {
        var customerID: String?
        var managerID: String
        var sourceEventID: String
        var visitID: String? = nil
        var referralID: String? = nil
        var branchID: String? = nil
        var planID: UUID? = nil
        var appointmentID: String? = nil
        var caseID: String? = nil
    }

    /// The agenda's two limited kinds of work (E-06, E-07): face-to-face meetings and calls.
    enum Load: String {
        case meeting, call

        init?(_ kind: TaskKind) {
            switch kind {
            case .maintenanceMeeting, .portfolioReview, .receiveWalkIn: self = .meeting
            case .maintenanceContact, .followUp, .leadFollowUp, .retention, .handoverNoticeOral,
                .handoverFirstContact, .appointmentConfirmation, .complaintFollowUp:
                self = .call
            case .recordVisit, .handoverNoticeWritten: return nil
            }
        }

        static func kinds(_ load: Load) -> [String] {
            TaskKind.allCases.filter { Load($0) == load }.map(\.rawValue)
        }
    }

    /// Stores the task unless this event already created it (idempotent on the event, kind and `seq`) and
    /// announces `task-scheduled`. A cadence task planned for a day whose meetings or calls are full moves to the
    /// next working day with room (E-03, E-06); other tasks keep their deadline.
    /// - Returns: the new task's id, or `nil` when it existed already.
    @discardableResult
    func schedule(_ planned: PlannedTask, for subject: Subject) async throws -> UUID? {
        var dueAt = planned.dueAt
        let plannedDate = calendar.businessDate(of: planned.dueAt)
        if planned.cadenceRole != nil, let load = Load(planned.kind) {
            let date = try await dayWithRoom(for: subject.managerID, load: load, from: plannedDate)
            if date != plannedDate { dueAt = calendar.endOfDay(date) }
        }
        let taskID = UUID()
        let inserted = try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, manager_id, kind, due_at, due_date, rule_id, title,
                source_event_id, seq, visit_id, referral_id, branch_id, plan_id, cadence_role, planned_date,
                appointment_id, case_id)
            VALUES (\(taskID), \(subject.customerID), \(subject.managerID), \(planned.kind.rawValue), \(dueAt.date),
                \(calendar.businessDate(of: dueAt).description)::date, \(planned.ruleID), \(planned.title),
                \(subject.sourceEventID), \(planned.seq), \(subject.visitID), \(subject.referralID),
                \(subject.branchID), \(subject.planID), \(planned.cadenceRole?.rawValue),
                \(plannedDate.description)::date, \(subject.appointmentID), \(subject.caseID))
            ON CONFLICT (source_event_id, kind, seq) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect()
        guard !inserted.isEmpty else { return nil }
        try announce(taskID, planned, dueAt: dueAt, for: subject)
        return taskID
    }

    /// Stores several tasks of one subject, as ``schedule(_:for:)`` does one by one, in one statement when none is
    /// a cadence task (a walk-in's three, for example); cadence tasks need the agenda's room, day by day, so a plan
    /// with any goes one by one.
    /// - Returns: per planned task, its new id, or `nil` when it existed already.
    @discardableResult
    func schedule(_ planned: [PlannedTask], for subject: Subject) async throws -> [UUID?] {
        guard planned.count > 1, planned.allSatisfy({ $0.cadenceRole == nil }) else {
            var ids: [UUID?] = []
            for task in planned { ids.append(try await schedule(task, for: subject)) }
            return ids
        }
        let taskIDs = planned.map { _ in UUID() }
        let dueDates = planned.map { calendar.businessDate(of: $0.dueAt).description }
        let rows = try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, manager_id, kind, due_at, due_date, rule_id, title,
                source_event_id, seq, visit_id, referral_id, branch_id, plan_id, cadence_role, planned_date,
                appointment_id, case_id)
            SELECT t.id, \(subject.customerID), \(subject.managerID), t.kind, t.due_at, t.due_date, t.rule, t.title,
                \(subject.sourceEventID), t.seq, \(subject.visitID), \(subject.referralID), \(subject.branchID),
                \(subject.planID), NULL, t.due_date, \(subject.appointmentID), \(subject.caseID)
            FROM unnest(\(taskIDs)::uuid[], \(planned.map(\.kind.rawValue))::text[],
                \(planned.map(\.dueAt.date))::timestamptz[], \(dueDates)::text[]::date[],
                \(planned.map(\.ruleID))::text[], \(planned.map(\.title))::text[], \(planned.map(\.seq))::int[])
                WITH ORDINALITY AS t(id, kind, due_at, due_date, rule, title, seq, o)
            ORDER BY t.o
            ON CONFLICT (source_event_id, kind, seq) DO NOTHING
            RETURNING task_id
            """,
            logger: logger)
        var inserted = Set<UUID>()
        for try await taskID in rows.decode(UUID.self) { inserted.insert(taskID) }
        return try zip(taskIDs, planned).map { taskID, task in
            guard inserted.contains(taskID) else { return nil }
            try announce(taskID, task, dueAt: task.dueAt, for: subject)
            return taskID
        }
    }

    /// Announces a new task (`task-scheduled`).
    private func announce(_ taskID: UUID, _ planned: PlannedTask, dueAt: Timestamp, for subject: Subject) throws {
        try outbox.emit(
            TaskScheduled.V1(
                taskId: taskID.uuidString.lowercased(), customerId: subject.customerID, managerId: subject.managerID,
                kind: planned.kind, dueAt: calendar.localized(dueAt), ruleId: planned.ruleID,
                sourceEventId: subject.sourceEventID, visitId: subject.visitID, referralId: subject.referralID,
                branchId: subject.branchID, title: planned.title),
            time: now, subject: Self.subject(customerID: subject.customerID, visitID: subject.visitID))
    }

    /// The first working day from `date` on which the manager has fewer open tasks of `load` than the limit; after
    /// 60 working days without room, `date` itself (the agenda is overbooked either way).
    private func dayWithRoom(for managerID: String, load: Load, from date: BusinessDate) async throws -> BusinessDate {
        // One planner at a time per manager, so that two instances cannot both take the last place of a day.
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtext('engagement.agenda'), hashtext(\(managerID)))", logger: logger)
        let limit = load == .meeting ? settings.maxMeetingsPerDay : settings.maxCallsPerDay
        var day = calendar.workingDay(0, after: date)
        for _ in 0..<60 {
            let rows = try await connection.query(
                """
                SELECT count(*) FROM tasks
                WHERE manager_id = \(managerID) AND due_date = \(day.description)::date AND status = 'open'
                    AND kind = ANY(\(Load.kinds(load)))
                """,
                logger: logger
            ).collect()
            if try rows[0].decode(Int.self) < limit { return day }
            day = calendar.workingDay(1, after: day)
        }
        logger.warning("agenda full for 60 working days", metadata: ["staff.id": "\(managerID)"])
        return date
    }

    /// Moves the customer's open tasks from `from` to `to` (D-05) and announces each with `task-reassigned`.
    func reassign(customerID: String, from: String, to: String, reason: String) async throws {
        guard from != to else { return }
        let rows = try await connection.query(
            """
            UPDATE tasks SET manager_id = \(to)
            WHERE customer_id = \(customerID) AND manager_id = \(from) AND status = 'open'
            RETURNING task_id
            """,
            logger: logger)
        for try await taskID in rows.decode(UUID.self) {
            try outbox.emit(
                TaskReassigned.V1(
                    taskId: taskID.uuidString.lowercased(), customerId: customerID, fromManagerId: from,
                    toManagerId: to, reason: reason, at: now),
                time: now, subject: "customer/\(customerID)")
        }
    }

    /// A completed task, as stored.
    struct Completed {
        var taskID: UUID
        var customerID: String?
        var managerID: String
        var kind: TaskKind
        var dueAt: Date
    }

    /// Marks one open task done and announces `task-completed`; `nil` when no open task matched.
    @discardableResult
    func complete(_ condition: Condition, at completedAt: Timestamp, outcome: String?) async throws -> Completed? {
        let match: PostgresQuery =
            switch condition {
            case .task(let id, nil):
                "SELECT task_id FROM tasks WHERE task_id = \(id) AND status = 'open' FOR UPDATE"
            case .task(let id, let customerID?):
                """
                SELECT task_id FROM tasks
                WHERE task_id = \(id) AND status = 'open' AND customer_id = \(customerID) FOR UPDATE
                """
            case .earliest(let customerID, let managerID, let kinds):
                """
                SELECT task_id FROM tasks
                WHERE customer_id = \(customerID) AND manager_id = \(managerID) AND status = 'open'
                    AND kind = ANY(\(kinds.map(\.rawValue)))
                ORDER BY due_at, task_id LIMIT 1 FOR UPDATE
                """
            case .visit(let visitID, let kind):
                """
                SELECT task_id FROM tasks WHERE visit_id = \(visitID) AND kind = \(kind.rawValue) AND status = 'open'
                ORDER BY due_at LIMIT 1 FOR UPDATE
                """
            }
        guard let taskID = try await connection.query(match, logger: logger).collect().first?.decode(UUID.self)
        else { return nil }
        let rows = try await connection.query(
            """
            UPDATE tasks SET status = 'done', completed_at = \(completedAt.date), outcome = \(outcome)
            WHERE task_id = \(taskID)
            RETURNING customer_id, manager_id, kind, due_at
            """,
            logger: logger
        ).collect()
        let (customerID, managerID, kind, dueAt) = try rows[0].decode((String?, String, String, Date).self)
        let done = Completed(
            taskID: taskID, customerID: customerID, managerID: managerID, kind: TaskKind(rawValue: kind) ?? .followUp,
            dueAt: dueAt)
        try outbox.emit(
            TaskCompleted.V1(
                taskId: taskID.uuidString.lowercased(), customerId: customerID, managerId: managerID, kind: done.kind,
                completedAt: calendar.localized(completedAt), outcome: outcome,
                onTime: completedAt.millisecondsSinceEpoch <= Timestamp(nearest: dueAt).millisecondsSinceEpoch),
            time: now, subject: Self.subject(customerID: customerID, visitID: nil))
        return done
    }

    enum Condition {
        /// That task (when `customerID` is given, only if it is that customer's).
        case task(UUID, customerID: String? = nil)
        /// The earliest open task of the customer and manager among `kinds` (E-04, E-10).
        case earliest(customerID: String, managerID: String, kinds: [TaskKind])
        /// The visit's open task of `kind`.
        case visit(String, TaskKind)
    }

    static func subject(customerID: String?, visitID: String?) -> String? {
        customerID.map { "customer/\($0)" } ?? visitID.map { "visit/\($0)" }
    }
}
