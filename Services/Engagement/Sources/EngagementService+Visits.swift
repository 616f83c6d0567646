import Events
import Foundation
import PostgresNIO
import ServiceKit

/// Walk-ins (C-05, C-06, E-09): the referral's three tasks, and the teller's and lobby manager's reports on the visit
/// — served (the reception is done) or left (a lead to follow up).
///
/// The reports come on `branch.visits`, the referral on `assignment.events`: two topics, so under lag a report can
/// arrive first, possibly at another instance. Such a report is kept (`early_visit_signals`) and applied when the
/// referral arrives. Both sides take the visit's advisory lock for their transaction, so whichever commits second
/// sees the other's rows: a report is never kept after the referral has already looked for reports.
extension EngagementService {
    /// A report on a visit, as it arrived or as it was kept.
    enum VisitReport: Sendable {
        case served(staffID: String, at: Timestamp)
        case left(outcome: VisitOutcome?, at: Timestamp)
    }

    func walkIn(_ routed: ReferralRouted.V1, eventID: String, tasks: TaskStore) async throws {
        try await lockVisit(routed.visitId, tasks: tasks)
        let subject = TaskStore.Subject(
            customerID: routed.customerId, managerID: routed.managerId, sourceEventID: eventID,
            visitID: routed.visitId, referralID: routed.referralId, branchID: routed.branchId)
        try await tasks.schedule(
            WalkInPlan.tasks(referredAt: routed.at, settings: settings, calendar: context.calendar), for: subject)
        // Reports that came before the referral, in the order they happened.
        let kept = try await tasks.connection.query(
            """
            DELETE FROM early_visit_signals WHERE visit_id = \(routed.visitId)
            RETURNING event_id, kind, at, outcome, staff_id
            """,
            logger: tasks.logger
        ).collect()
        var reports: [(eventID: String, at: Date, report: VisitReport)] = []
        for row in kept {
            let (keptID, kind, at, outcome, staffID) = try row.decode((String, String, Date, String?, String?).self)
            let when = context.calendar.localized(at)
            let report: VisitReport =
                kind == "served"
                ? .served(staffID: staffID ?? "", at: when)
                : .left(outcome: outcome.flatMap(VisitOutcome.init(rawValue:)), at: when)
            reports.append((keptID, at, report))
        }
        for (keptID, _, report) in reports.sorted(by: { ($0.at, $0.eventID) < ($1.at, $1.eventID) }) {
            try await apply(report, visitID: routed.visitId, eventID: keptID, tasks: tasks)
        }
        if !reports.isEmpty {
            tasks.logger.debug(
                "applied visit reports that came before the referral",
                metadata: ["visit_id": "\(routed.visitId)", "reports": "\(reports.count)"])
        }
    }

    func visitServed(_ served: VisitServed.V1, eventID: String, tasks: TaskStore) async throws {
        try await lockVisit(served.visitId, tasks: tasks)
        try await applyOrKeep(.served(staffID: served.staffId, at: served.at), visitID: served.visitId, eventID: eventID, tasks: tasks)
    }

    func visitLeft(_ left: VisitLeft.V1, eventID: String, tasks: TaskStore) async throws {
        // Only a declined referral or a customer who left unserved changes the agenda.
        guard left.outcome == .referralDeclined || left.outcome == .leftUnserved else { return }
        try await lockVisit(left.visitId, tasks: tasks)
        try await applyOrKeep(.left(outcome: left.outcome, at: left.at), visitID: left.visitId, eventID: eventID, tasks: tasks)
    }

    /// Applies the report if the visit's walk-in tasks exist, else keeps it for the referral.
    private func applyOrKeep(_ report: VisitReport, visitID: String, eventID: String, tasks: TaskStore) async throws {
        let known = try await !tasks.connection.query(
            "SELECT 1 FROM tasks WHERE visit_id = \(visitID) AND kind = 'receive_walkin' LIMIT 1",
            logger: tasks.logger
        ).collect().isEmpty
        if known {
            try await apply(report, visitID: visitID, eventID: eventID, tasks: tasks)
            return
        }
        let (kind, at, outcome, staffID): (String, Timestamp, String?, String?) =
            switch report {
            case .served(let staffID, let at): ("served", at, nil, staffID)
            case .left(let outcome, let at): ("left", at, outcome?.rawValue, nil)
            }
        try await tasks.connection.query(
            """
            INSERT INTO early_visit_signals (visit_id, event_id, kind, at, outcome, staff_id)
            VALUES (\(visitID), \(eventID), \(kind), \(at.date), \(outcome), \(staffID))
            ON CONFLICT DO NOTHING
            """,
            logger: tasks.logger)
    }

    private func apply(_ report: VisitReport, visitID: String, eventID: String, tasks: TaskStore) async throws {
        switch report {
        case .served(_, let at):
            try await tasks.complete(.visit(visitID, .receiveWalkIn), at: at, outcome: "served")
        case .left(let outcome, let at):
            try await leadFollowUp(visitID: visitID, outcome: outcome, at: at, eventID: eventID, tasks: tasks)
        }
    }

    /// A referred customer who declined or left unserved becomes a lead to follow up by the end of the next working
    /// day; the reception that will not happen and the walk-in follow-up are cancelled.
    private func leadFollowUp(
        visitID: String, outcome: VisitOutcome?, at: Timestamp, eventID: String, tasks: TaskStore
    ) async throws {
        let rows = try await tasks.connection.query(
            """
            SELECT customer_id, manager_id, referral_id, branch_id FROM tasks
            WHERE visit_id = \(visitID) AND kind = 'receive_walkin'
            ORDER BY created_at LIMIT 1
            """,
            logger: tasks.logger
        ).collect()
        guard let row = rows.first else { return }
        let (customerID, managerID, referralID, branchID) = try row.decode((String?, String, String?, String?).self)
        // Only while the reception is still open: a customer already served, or a second report of the same
        // departure, changes nothing. The lead follow-up replaces the walk-in follow-up.
        func cancel(_ kind: TaskKind) async throws -> Bool {
            try await !tasks.connection.query(
                """
                UPDATE tasks SET status = 'cancelled', outcome = \(outcome?.rawValue)
                WHERE visit_id = \(visitID) AND kind = \(kind.rawValue) AND status = 'open'
                RETURNING 1
                """,
                logger: tasks.logger
            ).collect().isEmpty
        }
        guard try await cancel(.receiveWalkIn) else { return }
        _ = try await cancel(.followUp)
        let due = TaskTimes.endOfWorkingDay(settings.leadFollowUpWorkingDays, after: at, calendar: context.calendar)
        let reason = outcome == .referralDeclined ? "declined the referral" : "left without being served"
        try await tasks.schedule(
            PlannedTask(
                kind: .leadFollowUp, dueAt: due, ruleID: "C-05", title: "Follow up a lead who \(reason)"),
            for: .init(
                customerID: customerID, managerID: managerID, sourceEventID: eventID, visitID: visitID,
                referralID: referralID, branchID: branchID))
    }

    /// The visit's transaction-scoped advisory lock: a referral and a report on the same visit, handled at once by
    /// two instances, take turns.
    private func lockVisit(_ visitID: String, tasks: TaskStore) async throws {
        try await tasks.connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(\("engagement.visit/" + visitID), 0))",
            logger: tasks.logger)
    }

    /// Deletes kept reports of visits never referred, `ENGAGEMENT_EARLY_SIGNAL_RETENTION_HOURS` after they came.
    func purgeEarlySignals(at now: Timestamp) async throws -> Int {
        let cutoff = now.date.addingTimeInterval(-Double(settings.earlySignalRetentionHours) * 3_600)
        return try await context.withOutboxTransaction { connection, _ in
            try await connection.query(
                """
                DELETE FROM early_visit_signals WHERE ctid IN (
                    SELECT ctid FROM early_visit_signals WHERE received_at < \(cutoff)
                    LIMIT \(Self.batchSize))
                RETURNING 1
                """,
                logger: context.logger
            ).collect().count
        }
    }
}
