import Events
import Foundation
import PostgresNIO
import ServiceKit

/// Owners and their plans: a year's maintenance plan per tier (E-03, E-05), kept when the owner changes (the tasks
/// move, D-05), replaced when the tier changes, renewed each year.
extension EngagementService {
    /// A new exclusive manager: the customer's open tasks move to them; a customer with a tier and no active plan
    /// gets a year's plan from the assignment.
    func assigned(_ assigned: ManagerAssigned.V1, eventID: String, tasks: TaskStore) async throws {
        let previous = try await tasks.connection.query(
            "SELECT manager_id FROM customers WHERE customer_id = \(assigned.customerId) FOR UPDATE",
            logger: tasks.logger
        ).collect().first?.decode(String.self)
        try await tasks.connection.query(
            """
            INSERT INTO customers (customer_id, manager_id, branch_id, tier, assigned_at)
            VALUES (\(assigned.customerId), \(assigned.managerId), \(assigned.branchId), \(assigned.tier?.rawValue),
                \(assigned.at.date))
            ON CONFLICT (customer_id) DO UPDATE SET manager_id = EXCLUDED.manager_id, branch_id = EXCLUDED.branch_id,
                tier = EXCLUDED.tier, assigned_at = EXCLUDED.assigned_at
            """,
            logger: tasks.logger)
        if let previous, previous != assigned.managerId {
            try await moveTo(
                assigned.managerId, customerID: assigned.customerId, from: previous, reason: assigned.reason.rawValue,
                tasks: tasks)
        }
        guard let tier = assigned.tier, try await activePlan(of: assigned.customerId, tasks: tasks) == nil else { return }
        try await plan(
            customerID: assigned.customerId, managerID: assigned.managerId, branchID: assigned.branchId, tier: tier,
            from: assigned.at, sourceEventID: eventID, tasks: tasks)
    }

    /// A tier change (E-03, B-03): the future part of the old plan is cancelled and a new year planned from now;
    /// a customer without a tier keeps no plan.
    func tierChanged(_ changed: ServiceTeamChanged.V1, eventID: String, tasks: TaskStore) async throws {
        try await tasks.connection.query(
            "UPDATE customers SET tier = \(changed.tier?.rawValue) WHERE customer_id = \(changed.customerId)",
            logger: tasks.logger)
        guard changed.tier != changed.previousTier else { return }
        let current = try await activePlan(of: changed.customerId, tasks: tasks)
        if let current {
            guard current.tier != changed.tier else { return }
            try await endPlan(current.planID, status: "superseded", after: changed.at, tasks: tasks)
        }
        guard let tier = changed.tier else { return }
        try await plan(
            customerID: changed.customerId, managerID: changed.managerId, branchID: changed.branchId, tier: tier,
            from: changed.at, sourceEventID: eventID, tasks: tasks)
    }

    /// D-05: the open tasks move to the new manager, who gets the oral notice (next working day), the written
    /// notice (within 5 working days) and the first direct contact (by the deadline in the event).
    func handoverStarted(_ handover: HandoverStarted.V1, eventID: String, tasks: TaskStore) async throws {
        try await moveTo(
            handover.toManagerId, customerID: handover.customerId, from: handover.fromManagerId, reason: "handover",
            tasks: tasks)
        let branch = try await tasks.connection.query(
            """
            UPDATE customers SET manager_id = \(handover.toManagerId) WHERE customer_id = \(handover.customerId)
            RETURNING branch_id
            """,
            logger: tasks.logger
        ).collect().first?.decode(String.self)
        let calendar = context.calendar
        let subject = TaskStore.Subject(
            customerID: handover.customerId, managerID: handover.toManagerId, sourceEventID: eventID, branchID: branch)
        let why = "\(handover.fromManagerId) \(handover.reason)"
        for task in [
            PlannedTask(
                kind: .handoverNoticeOral,
                dueAt: TaskTimes.endOfWorkingDay(settings.handoverOralWorkingDays, after: handover.at, calendar: calendar),
                ruleID: "D-05", title: "Tell the customer in person or by phone that you are their new manager (\(why))"),
            PlannedTask(
                kind: .handoverNoticeWritten,
                dueAt: TaskTimes.endOfWorkingDay(
                    settings.handoverWrittenWorkingDays, after: handover.at, calendar: calendar),
                ruleID: "D-05", title: "Send the customer the written notice of the change of manager"),
            PlannedTask(
                kind: .handoverFirstContact, dueAt: calendar.localized(handover.firstContactDueAt), ruleID: "D-05",
                title: "First direct contact with the customer as their new manager"),
        ] {
            try await tasks.schedule(task, for: subject)
        }
    }

    /// Moves the customer's open tasks and their active plan to `managerID`.
    private func moveTo(_ managerID: String, customerID: String, from previous: String, reason: String, tasks: TaskStore)
        async throws
    {
        try await tasks.reassign(customerID: customerID, from: previous, to: managerID, reason: reason)
        try await tasks.connection.query(
            "UPDATE plans SET manager_id = \(managerID) WHERE customer_id = \(customerID) AND status = 'active'",
            logger: tasks.logger)
    }

    struct ActivePlan {
        var planID: UUID
        var tier: Tier?
    }

    func activePlan(of customerID: String, tasks: TaskStore) async throws -> ActivePlan? {
        let rows = try await tasks.connection.query(
            "SELECT plan_id, tier FROM plans WHERE customer_id = \(customerID) AND status = 'active' FOR UPDATE",
            logger: tasks.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (planID, tier) = try row.decode((UUID, String).self)
        return ActivePlan(planID: planID, tier: Tier(rawValue: tier))
    }

    /// Ends a plan; its open tasks due after `cutoff` are cancelled (the earlier ones stay, overdue if not done).
    func endPlan(_ planID: UUID, status: String, after cutoff: Timestamp, tasks: TaskStore) async throws {
        try await tasks.connection.query(
            "UPDATE plans SET status = \(status) WHERE plan_id = \(planID)", logger: tasks.logger)
        try await tasks.connection.query(
            """
            UPDATE tasks SET status = 'cancelled', outcome = \("plan \(status)")
            WHERE plan_id = \(planID) AND status = 'open' AND due_at > \(cutoff.date)
            """,
            logger: tasks.logger)
    }

    /// A year's plan from `start`: stored, and every task scheduled (with the agenda's limits).
    func plan(
        customerID: String, managerID: String, branchID: String?, tier: Tier, from start: Timestamp,
        sourceEventID: String, tasks: TaskStore
    ) async throws {
        let calendar = context.calendar
        let startDay = calendar.businessDate(of: start)
        let endDay = calendar.businessDate(of: calendar.adding(months: 12, to: start))
        let planID = UUID()
        let created = try await tasks.connection.query(
            """
            INSERT INTO plans (plan_id, customer_id, manager_id, tier, starts_on, ends_on, status, source_event_id)
            VALUES (\(planID), \(customerID), \(managerID), \(tier.rawValue), \(startDay.description)::date,
                \(endDay.description)::date, 'active', \(sourceEventID))
            ON CONFLICT DO NOTHING
            RETURNING 1
            """,
            logger: tasks.logger
        ).collect()
        guard !created.isEmpty else { return }
        let subject = TaskStore.Subject(
            customerID: customerID, managerID: managerID, sourceEventID: sourceEventID, branchID: branchID,
            planID: planID)
        for task in CadencePlan.tasks(tier: tier, from: start, settings: settings, calendar: calendar) {
            try await tasks.schedule(task, for: subject)
        }
    }
}
