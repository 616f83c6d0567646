import Events
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Writes what consumed events said into scoring's fact tables, inside the handler's transaction. Every write is
/// keyed by the event's natural id (visit, sale, activity, task, case, assessment) and commutes with the others, so
/// the order the topics are read in does not change the result.
struct Facts {
    let connection: PostgresConnection
    let logger: Logger
    let calendar: BusinessCalendar

    // MARK: - C-10 counters

    /// Whether this is the first time `naturalID` of `kind` is counted (a republished event counts once).
    func firstTime(_ kind: String, _ naturalID: String) async throws -> Bool {
        try await !connection.query(
            """
            INSERT INTO counted (kind, natural_id) VALUES (\(kind), \(naturalID)) ON CONFLICT DO NOTHING RETURNING 1
            """,
            logger: logger
        ).collect().isEmpty
    }

    /// Adds one to a `branch_daily` column (a fixed name from ``ScoringService/identificationColumn``) and marks the
    /// day changed for publication.
    func count(_ column: String, branchID: String, date: BusinessDate) async throws {
        try await connection.query(
            """
            INSERT INTO branch_daily (branch_id, business_date, \(unescaped: column), version)
            VALUES (\(branchID), \(date.description)::date, 1, 1)
            ON CONFLICT (branch_id, business_date)
            DO UPDATE SET \(unescaped: column) = branch_daily.\(unescaped: column) + 1,
                version = branch_daily.version + 1
            """,
            logger: logger)
    }

    /// A referral routed to a manager: a VIP (or, apart, a potential VIP) received that day (C-10 item 1).
    func received(_ routed: ReferralRouted.V1, branchID: String) async throws {
        guard try await firstTime("referral-routed", routed.referralId) else { return }
        // The day of the walk-in (the referral's request), not of the routing, which may come later.
        let date = calendar.businessDate(of: routed.requestedAt ?? routed.at).description
        let potential = routed.classification == .potential ? 1 : 0
        try await connection.query(
            """
            INSERT INTO manager_daily (branch_id, business_date, manager_id, vips_received, potentials_received)
            VALUES (\(branchID), \(date)::date, \(routed.managerId), \(1 - potential), \(potential))
            ON CONFLICT (branch_id, business_date, manager_id)
            DO UPDATE SET vips_received = manager_daily.vips_received + EXCLUDED.vips_received,
                potentials_received = manager_daily.potentials_received + EXCLUDED.potentials_received
            """,
            logger: logger)
        try await connection.query(
            """
            INSERT INTO branch_daily (branch_id, business_date, version) VALUES (\(branchID), \(date)::date, 1)
            ON CONFLICT (branch_id, business_date) DO UPDATE SET version = branch_daily.version + 1
            """,
            logger: logger)
    }

    // MARK: - Ownership, cases, tasks, contacts

    func owner(_ assigned: ManagerAssigned.V1, eventID: String) async throws {
        try await connection.query(
            """
            INSERT INTO ownership (customer_id, manager_id, branch_id, since, event_id)
            VALUES (\(assigned.customerId), \(assigned.managerId), \(assigned.branchId), \(assigned.at.date), \(eventID))
            ON CONFLICT DO NOTHING
            """,
            logger: logger)
    }

    func caseOpened(_ opened: CaseOpened.V1) async throws {
        let date = calendar.businessDate(of: opened.receivedAt)
        let inserted = try await connection.query(
            """
            INSERT INTO cases (case_id, source, customer_id, branch_id, received_at, received_date)
            VALUES (\(opened.caseId), \(opened.source.rawValue), \(opened.customerId), \(opened.branchId),
                \(opened.receivedAt.date), \(date.description)::date)
            ON CONFLICT (case_id) DO UPDATE SET source = EXCLUDED.source, customer_id = EXCLUDED.customer_id,
                branch_id = EXCLUDED.branch_id, received_at = EXCLUDED.received_at,
                received_date = EXCLUDED.received_date
            WHERE cases.received_at IS NULL
            RETURNING 1
            """,
            logger: logger
        ).collect()
        guard !inserted.isEmpty, let branchID = opened.branchId else { return }
        try await count("complaints_received", branchID: branchID, date: date)
    }

    /// The case left the front line (it never counts as resolved there again).
    func caseEscalated(_ caseID: String) async throws {
        try await connection.query(
            """
            INSERT INTO cases (case_id, escalated) VALUES (\(caseID), true)
            ON CONFLICT (case_id) DO UPDATE SET escalated = true
            """,
            logger: logger)
    }

    /// Resolved at `at`, or open again (`nil`, a reopening).
    func caseResolved(_ caseID: String, at: Timestamp?) async throws {
        try await connection.query(
            """
            INSERT INTO cases (case_id, resolved_at) VALUES (\(caseID), \(at?.date))
            ON CONFLICT (case_id) DO UPDATE SET resolved_at = EXCLUDED.resolved_at
            """,
            logger: logger)
    }

    /// A reassignment may have been read first (same customer key, but a task without a customer is keyed
    /// differently); the reassignment's manager then stands.
    func taskScheduled(_ task: TaskScheduled.V1) async throws {
        try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, manager_id, kind, due_at, due_date)
            VALUES (\(task.taskId), \(task.customerId), \(task.managerId), \(task.kind.rawValue), \(task.dueAt.date),
                \(calendar.businessDate(of: task.dueAt).description)::date)
            ON CONFLICT (task_id) DO UPDATE SET customer_id = COALESCE(tasks.customer_id, EXCLUDED.customer_id),
                manager_id = CASE WHEN tasks.reassigned_at IS NULL THEN EXCLUDED.manager_id ELSE tasks.manager_id END,
                kind = EXCLUDED.kind, due_at = EXCLUDED.due_at, due_date = EXCLUDED.due_date
            """,
            logger: logger)
    }

    func taskReassigned(_ task: TaskReassigned.V1) async throws {
        try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, manager_id, reassigned_at)
            VALUES (\(task.taskId), \(task.customerId), \(task.toManagerId), \(task.at.date))
            ON CONFLICT (task_id) DO UPDATE SET manager_id = EXCLUDED.manager_id,
                reassigned_at = EXCLUDED.reassigned_at
            WHERE tasks.reassigned_at IS NULL OR tasks.reassigned_at <= EXCLUDED.reassigned_at
            """,
            logger: logger)
    }

    func taskCompleted(_ task: TaskCompleted.V1) async throws {
        try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, completed_at, completed_on_time)
            VALUES (\(task.taskId), \(task.customerId), \(task.completedAt.date), \(task.onTime))
            ON CONFLICT (task_id) DO UPDATE SET completed_at = EXCLUDED.completed_at,
                completed_on_time = EXCLUDED.completed_on_time
            """,
            logger: logger)
    }

    func contact(_ contact: ContactLogged.V1) async throws {
        try await connection.query(
            """
            INSERT INTO contacts (activity_id, customer_id, manager_id, kind, proactive, contacted_at, contact_date)
            VALUES (\(contact.activityId), \(contact.customerId), \(contact.managerId), \(contact.kind.rawValue),
                \(contact.proactive), \(contact.at.date), \(calendar.businessDate(of: contact.at).description)::date)
            ON CONFLICT (activity_id) DO NOTHING
            """,
            logger: logger)
    }

    // MARK: - Profiles, sales, assessments

    /// What the profile of its date said about derivatives experience (H-04 item 7 is judged as of a sale's date).
    func profileHistory(_ profile: CustomerProfile.V1) async throws {
        try await connection.query(
            """
            INSERT INTO profile_history (customer_id, as_of, derivatives_experience)
            VALUES (\(profile.customerId), \(profile.asOf.description)::date, \(profile.derivativesExperience))
            ON CONFLICT (customer_id, as_of) DO UPDATE SET derivatives_experience = EXCLUDED.derivatives_experience
            """,
            logger: logger)
    }

    /// - Returns: whether the sale is new.
    func sale(_ sale: ProductSold.V1) async throws -> Bool {
        let inserted = try await connection.query(
            """
            INSERT INTO sales (sale_id, customer_id, manager_id, product_type, amount, deposit_profit, wealth_profit,
                fee_income, sold_at, sold_date, risk_assessed_at, risk_signed_in_person, risk_level)
            VALUES (\(sale.saleId), \(sale.customerId), \(sale.managerId), \(sale.productType.rawValue),
                \(sale.amount.decimalString)::numeric, \((sale.depositProfit ?? .zero).decimalString)::numeric,
                \((sale.wealthProfit ?? .zero).decimalString)::numeric,
                \((sale.feeIncome ?? .zero).decimalString)::numeric, \(sale.at.date),
                \(calendar.businessDate(of: sale.at).description)::date, \(sale.riskAssessment?.assessedAt?.date),
                \(sale.riskAssessment?.signedInPerson), \(sale.riskAssessment?.level))
            ON CONFLICT (sale_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect()
        return !inserted.isEmpty
    }

    /// - Returns: whether the assessment is new.
    @discardableResult
    func assessment(_ assessment: AssessmentRecorded.V1) async throws -> Bool {
        let items = assessment.items
        return try await !connection.query(
            """
            INSERT INTO assessments (assessment_id, staff_id, month, assessed_by, self_development, marketing_ability,
                learning_ability, target_completion, compliance, service_quality, comment, recorded_at)
            VALUES (\(assessment.assessmentId), \(assessment.staffId), \(assessment.month), \(assessment.assessedBy),
                \(items.selfDevelopment), \(items.marketingAbility), \(items.learningAbility),
                \(items.targetCompletion), \(items.compliance), \(items.serviceQuality), \(assessment.comment),
                \(assessment.at.date))
            ON CONFLICT (assessment_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect().isEmpty
    }
}

extension AsyncSequence {
    /// Every element, in order (for result sets known to be small).
    func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
