import Events
import Foundation
import PostgresNIO
import ServiceKit

/// The durable timers (E-04, E-09, E-03): overdue tasks, escalations, dormant customers, plans to renew. Every
/// round claims its rows with `FOR UPDATE SKIP LOCKED` and marks them in the same transaction as the events it
/// writes to the outbox, so several instances share the work and each event happens exactly once, across restarts.
extension EngagementService {
    /// What one round did.
    struct SchedulerRound: Equatable {
        var overdue = 0
        var escalated = 0
        var retention = 0
        var renewed = 0
        /// Kept visit reports of visits never referred, purged.
        var signalsPurged = 0
    }

    static let batchSize = 500

    @discardableResult
    func runScheduler(at now: Timestamp) async throws -> SchedulerRound {
        var round = SchedulerRound()
        round.overdue = try await markOverdue(at: now)
        round.escalated = try await escalate(at: now)
        round.retention = try await watchDormancy(at: now)
        round.renewed = try await renewPlans(at: now)
        round.signalsPurged = try await purgeEarlySignals(at: now)
        return round
    }

    /// `task-overdue` once per open task past its due time.
    func markOverdue(at now: Timestamp) async throws -> Int {
        try await context.withOutboxTransaction { connection, outbox in
            let rows = try await connection.query(
                """
                UPDATE tasks SET overdue_at = \(now.date)
                WHERE task_id IN (
                    SELECT task_id FROM tasks
                    WHERE status = 'open' AND overdue_at IS NULL AND due_at < \(now.date)
                    ORDER BY due_at LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED)
                RETURNING task_id, customer_id, manager_id, kind, due_at
                """,
                logger: context.logger)
            var count = 0
            for try await (taskID, customerID, managerID, kind, dueAt) in rows.decode(
                (UUID, String?, String, String, Date).self)
            {
                try outbox.emit(
                    TaskOverdue.V1(
                        taskId: taskID.uuidString.lowercased(), customerId: customerID, managerId: managerID,
                        kind: TaskKind(rawValue: kind) ?? .followUp, dueAt: context.calendar.localized(dueAt), at: now),
                    time: now, subject: TaskStore.subject(customerID: customerID, visitID: nil))
                count += 1
            }
            return count
        }
    }

    /// A task still open `ENGAGEMENT_ESCALATE_AFTER_WORKING_DAYS` working days after its due day goes to the branch's
    /// team lead (else its centre head) as a second `task-overdue` with `escalatedTo`; the task stays with its
    /// manager.
    func escalate(at now: Timestamp) async throws -> Int {
        let calendar = context.calendar
        let latestDue = calendar.latestDay(
            settings.escalateAfterWorkingDays, workingDaysBefore: calendar.businessDate(of: now))
        return try await context.withOutboxTransaction { connection, outbox in
            let candidates = try await connection.query(
                """
                SELECT t.task_id, t.customer_id, t.manager_id, t.kind, t.due_at, s.branch_id
                FROM tasks t LEFT JOIN staff s ON s.staff_id = t.manager_id
                WHERE t.status = 'open' AND t.overdue_at IS NOT NULL AND t.escalated_at IS NULL
                    AND t.due_date <= \(latestDue.description)::date
                    -- Only where someone can take it: the rest waits until the directory names a lead.
                    AND EXISTS (
                        SELECT 1 FROM staff lead WHERE lead.branch_id = s.branch_id AND lead.status = 'active'
                            AND lead.role IN ('team_lead', 'centre_head') AND lead.staff_id <> t.manager_id)
                ORDER BY t.due_date LIMIT \(Self.batchSize) FOR UPDATE OF t SKIP LOCKED
                """,
                logger: context.logger
            ).collect()
            var count = 0
            for row in candidates {
                let (taskID, customerID, managerID, kind, dueAt, branchID) = try row.decode(
                    (UUID, String?, String, String, Date, String?).self)
                guard
                    let lead = try await escalationTarget(
                        branchID: branchID, excluding: managerID, connection: connection)
                else { continue }
                try await connection.query(
                    "UPDATE tasks SET escalated_at = \(now.date), escalated_to = \(lead) WHERE task_id = \(taskID)",
                    logger: context.logger)
                try outbox.emit(
                    TaskOverdue.V1(
                        taskId: taskID.uuidString.lowercased(), customerId: customerID, managerId: managerID,
                        kind: TaskKind(rawValue: kind) ?? .followUp, dueAt: calendar.localized(dueAt), at: now,
                        escalatedTo: lead),
                    time: now, subject: TaskStore.subject(customerID: customerID, visitID: nil))
                count += 1
            }
            return count
        }
    }

    private func escalationTarget(branchID: String?, excluding managerID: String, connection: PostgresConnection)
        async throws -> String?
    {
        guard let branchID else { return nil }
        let rows = try await connection.query(
            """
            SELECT staff_id FROM staff
            WHERE branch_id = \(branchID) AND status = 'active' AND role IN ('team_lead', 'centre_head')
                AND staff_id <> \(managerID)
            ORDER BY role = 'team_lead' DESC, staff_id LIMIT 1
            """,
            logger: context.logger
        ).collect()
        return try rows.first?.decode(String.self)
    }

    /// E-09: a customer with no logged contact for `ENGAGEMENT_DORMANCY_DAYS` (counted from the assignment when none
    /// was ever logged) gets one retention task.
    func watchDormancy(at now: Timestamp) async throws -> Int {
        let cutoff = now.date.addingTimeInterval(-Double(settings.dormancyDays) * 86_400)
        return try await context.withOutboxTransaction { connection, outbox in
            let tasks = TaskStore(
                connection: connection, outbox: outbox, settings: settings, calendar: context.calendar,
                logger: context.logger, now: now)
            let dormant = try await connection.query(
                """
                SELECT c.customer_id, c.manager_id, c.branch_id, coalesce(c.last_contact_at, c.assigned_at)
                FROM customers c
                WHERE coalesce(c.last_contact_at, c.assigned_at) < \(cutoff)
                    AND NOT EXISTS (
                        SELECT 1 FROM tasks t WHERE t.customer_id = c.customer_id AND t.kind = 'retention'
                            AND (t.status = 'open' OR t.created_at >= coalesce(c.last_contact_at, c.assigned_at)))
                ORDER BY c.customer_id LIMIT \(Self.batchSize) FOR UPDATE OF c SKIP LOCKED
                """,
                logger: context.logger
            ).collect()
            var count = 0
            for row in dormant {
                let (customerID, managerID, branchID, since) = try row.decode((String, String, String, Date).self)
                let day = context.calendar.businessDate(of: context.calendar.localized(since))
                try await raiseRetention(
                    customerID: customerID, managerID: managerID, branchID: branchID,
                    sourceEventID: "dormancy/\(customerID)/\(day)",
                    reason: "no logged contact since \(day) (\(settings.dormancyDays) days, E-09)", tasks: tasks)
                count += 1
            }
            return count
        }
    }

    /// A plan whose year is over is followed by the next year's, from its end day.
    func renewPlans(at now: Timestamp) async throws -> Int {
        let today = context.calendar.businessDate(of: now)
        return try await context.withOutboxTransaction { connection, outbox in
            let tasks = TaskStore(
                connection: connection, outbox: outbox, settings: settings, calendar: context.calendar,
                logger: context.logger, now: now)
            let ended = try await connection.query(
                """
                UPDATE plans SET status = 'ended'
                WHERE plan_id IN (
                    SELECT plan_id FROM plans WHERE status = 'active' AND ends_on <= \(today.description)::date
                    ORDER BY ends_on LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED)
                RETURNING plan_id, customer_id, manager_id, tier, ends_on::text
                """,
                logger: context.logger
            ).collect()
            for row in ended {
                let (planID, customerID, managerID, tier, endsOn) = try row.decode(
                    (UUID, String, String, String, String).self)
                guard let tier = Tier(rawValue: tier), let endDay = BusinessDate(endsOn) else { continue }
                let branch = try await connection.query(
                    "SELECT branch_id FROM customers WHERE customer_id = \(customerID)", logger: context.logger
                ).collect().first?.decode(String.self)
                try await plan(
                    customerID: customerID, managerID: managerID, branchID: branch, tier: tier,
                    from: context.calendar.startOfDay(endDay), sourceEventID: "renewal/\(planID)", tasks: tasks)
            }
            return ended.count
        }
    }
}
