import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport

/// One kind of business effect: for each natural key, how often it should exist and how often it does.
struct EffectCheck: Sendable {
    var name: String
    var expected: [String: Int]
    var found: [String: Int]

    var expectedTotal: Int { expected.values.reduce(0, +) }
    /// Effects that exist as expected (never more than expected per key).
    var foundTotal: Int { expected.reduce(0) { $0 + min($1.value, found[$1.key] ?? 0) } }
    var missing: Int { expected.reduce(0) { $0 + max(0, $1.value - (found[$1.key] ?? 0)) } }
    /// Effects beyond the expected count, including effects of keys that should have none.
    var doubled: Int { found.reduce(0) { $0 + max(0, $1.value - (expected[$1.key] ?? 0)) } }

    /// A few offending keys, for the failure message.
    var examples: String {
        let missingKeys = expected.filter { $0.value > (found[$0.key] ?? 0) }.keys.sorted().prefix(3)
        let doubledKeys = found.filter { $0.value > (expected[$0.key] ?? 0) }.keys.sorted().prefix(3)
        return "missing \(Array(missingKeys)), doubled \(Array(doubledKeys))"
    }
}

/// The state of one case's stack against its ledger: every input's effects, none missing, none doubled.
struct Reconciliation: Sendable {
    var checks: [EffectCheck]
    /// Outbox rows not yet published, all schemas together.
    var unsent: Int

    var expected: Int { checks.reduce(0) { $0 + $1.expectedTotal } }
    var found: Int { checks.reduce(0) { $0 + $1.foundTotal } }
    var missing: Int { checks.reduce(0) { $0 + $1.missing } }
    var doubled: Int { checks.reduce(0) { $0 + $1.doubled } }
    var isComplete: Bool { missing == 0 && unsent == 0 }

    var problems: [String] {
        checks.filter { $0.missing > 0 || $0.doubled > 0 }.map {
            "\($0.name): \($0.missing) missing, \($0.doubled) doubled (\($0.examples))"
        }
    }
}

/// Computes a ``Reconciliation`` from the five schemas (admin client).
///
/// What each input must have caused, by natural key:
/// - a walk-in: the visit, its VIP identification and its three intake events (C-05), the visit marked routed, one
///   referral routed and one `referral-routed` (C-03), three walk-in tasks (C-05, C-06), the lobby's and the
///   manager's daily counts (C-10);
/// - a customer who walked in: one owner, one open ownership period, one `manager-assigned` (D-01), the same owner in
///   engagement, complaints and scoring, one active plan with its tier's tasks (E-03, E-05);
/// - a complaint or escalation: one case and one `case-opened` (F-01), each level of the ladder it is due for once,
///   with one `case-escalated` each (F-04), one `case-breached` when its deadline has passed, one `case-due-soon`
///   when its warning time has passed (F-02), a follow-up task when answered on the spot (F-05), the branch's daily
///   count (C-10), and one hotspot per branch and category with five cases or more (A-13);
/// - a contact: scoring's fact and exactly one maintenance task completed by it (E-03, E-10);
/// - every task: one `task-scheduled` and scoring's fact; every open task past its due time one `task-overdue`
///   (E-04);
/// - nothing dead-lettered, every outbox row published.
struct Reconciler: Sendable {
    let stack: ConciergeStack
    let db: PostgresClient
    let calendar: BusinessCalendar
    /// `COMPLAINTS_WARN_PERCENT` of the complaints service.
    let warnPercent: Int
    /// Timer effects whose time is closer than this to the check are neither expected nor counted.
    static let timerMargin: Duration = .seconds(4)

    func reconcile(_ ledger: Ledger) async throws -> Reconciliation {
        let (i, a, e, c, s) = (
            stack.schema("intake"), stack.schema("assignment"), stack.schema("engagement"),
            stack.schema("complaints"), stack.schema("scoring")
        )
        let now = calendar.now()
        let horizon = now.adding(.zero - Self.timerMargin)
        let future = now.adding(Self.timerMargin)
        let walkedIn = ledger.walkedIn
        let customers = Dictionary(ledger.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var checks: [EffectCheck] = []
        func check(_ name: String, expected: [String: Int], _ sql: String) async throws {
            checks.append(EffectCheck(name: name, expected: expected, found: try await Database.tally(sql, db: db)))
        }
        func once(_ keys: some Sequence<String>) -> [String: Int] {
            Dictionary(keys.map { ($0, 1) }, uniquingKeysWith: +)
        }
        func data(_ field: String) -> String { "(convert_from(payload, 'UTF8')::jsonb -> 'data' ->> '\(field)')" }

        // MARK: Walk-ins (intake, assignment, engagement)

        let visits = ledger.walkIns.map(\.visitID)
        try await check("visits recorded (C-05)", expected: once(visits), "SELECT visit_id, count(*) FROM \(i).visits GROUP BY 1")
        try await check(
            "VIP identifications (C-05)", expected: once(visits),
            "SELECT visit_id, count(*) FROM \(i).identifications WHERE classification = 'vip' GROUP BY 1")
        let intakeTypes = [VisitRouted.V1.eventType, CustomerIdentified.V1.eventType, ReferralRequested.V1.eventType]
        try await check(
            "intake events per visit", expected: once(visits.flatMap { visit in intakeTypes.map { "\(visit) \($0)" } }),
            """
            SELECT \(data("visitId")) || ' ' || event_type, count(*) FROM \(i).outbox
            WHERE event_type IN (\(intakeTypes.map { "'\($0)'" }.joined(separator: ", "))) GROUP BY 1
            """)
        try await check(
            "visits marked routed (C-03)", expected: once(visits),
            "SELECT visit_id, count(*) FROM \(i).visits WHERE status = 'referral_routed' GROUP BY 1")
        try await check(
            "referrals routed (C-03)", expected: once(visits),
            "SELECT visit_id, count(*) FROM \(a).referrals WHERE status = 'routed' GROUP BY 1")
        try await check(
            "referral-routed events", expected: once(visits),
            """
            SELECT \(data("visitId")), count(*) FROM \(a).outbox
            WHERE event_type = '\(ReferralRouted.V1.eventType)' GROUP BY 1
            """)
        let walkInKinds = [TaskKind.receiveWalkIn, .recordVisit, .followUp].map(\.rawValue)
        try await check(
            "walk-in tasks (C-05, C-06)",
            expected: once(visits.flatMap { visit in walkInKinds.map { "\(visit) \($0)" } }),
            """
            SELECT visit_id || ' ' || kind, count(*) FROM \(e).tasks
            WHERE kind IN (\(walkInKinds.map { "'\($0)'" }.joined(separator: ", "))) GROUP BY 1
            """)

        // MARK: Owners (D-01) and plans (E-03, E-05)

        try await check(
            "one owner per customer (D-01)", expected: once(walkedIn),
            "SELECT customer_id, count(*) FROM \(a).relationships WHERE state = 'owned' GROUP BY 1")
        try await check(
            "one open ownership period (D-01)", expected: once(walkedIn),
            "SELECT customer_id, count(*) FROM \(a).relationship_history WHERE ended_at IS NULL GROUP BY 1")
        try await check(
            "manager-assigned events (D-01)", expected: once(walkedIn),
            """
            SELECT \(data("customerId")), count(*) FROM \(a).outbox
            WHERE event_type = '\(ManagerAssigned.V1.eventType)' GROUP BY 1
            """)
        for (service, table) in [("engagement", "\(e).customers"), ("complaints", "\(c).customer_managers"), ("scoring", "\(s).ownership")] {
            try await check(
                "the owner as \(service) knows it", expected: once(walkedIn),
                """
                SELECT x.customer_id, count(*) FROM \(table) x
                JOIN \(a).relationships r ON r.customer_id = x.customer_id AND r.manager_id = x.manager_id GROUP BY 1
                """)
        }
        try await check(
            "one active plan (E-03)", expected: once(walkedIn),
            "SELECT customer_id, count(*) FROM \(e).plans WHERE status = 'active' GROUP BY 1")
        // E-03: 4 proactive contacts, 2 meetings and, for B and C, 6 more services; E-05: a review every 6 months.
        let planTasks = Dictionary(
            walkedIn.map { ($0, (customers[$0]?.tier == .a ? 6 : 12) + 2) }, uniquingKeysWith: { first, _ in first })
        try await check(
            "plan tasks (E-03, E-05)", expected: planTasks,
            "SELECT p.customer_id, count(*) FROM \(e).tasks t JOIN \(e).plans p ON p.plan_id = t.plan_id GROUP BY 1")

        // MARK: Every task

        let taskIDs = try await Database.tally("SELECT task_id::text, 1 FROM \(e).tasks", db: db)
        try await check(
            "task-scheduled events", expected: taskIDs,
            """
            SELECT \(data("taskId")), count(*) FROM \(e).outbox
            WHERE event_type = '\(TaskScheduled.V1.eventType)' GROUP BY 1
            """)
        try await check("scoring's task facts", expected: taskIDs, "SELECT task_id, count(*) FROM \(s).tasks GROUP BY 1")
        let overdue = try await Database.tally(
            """
            SELECT task_id::text, 1 FROM \(e).tasks
            WHERE due_at < '\(horizon.rfc3339)'::timestamptz AND (status = 'open' OR overdue_at IS NOT NULL)
            """, db: db)
        try await check(
            "task-overdue once per task past due (E-04)", expected: overdue,
            """
            SELECT \(data("taskId")), count(*) FROM \(e).outbox o
            WHERE event_type = '\(TaskOverdue.V1.eventType)' AND \(data("escalatedTo")) IS NULL
                AND NOT EXISTS (SELECT 1 FROM \(e).tasks t WHERE t.task_id::text = \(data("taskId"))
                    AND t.due_at >= '\(horizon.rfc3339)'::timestamptz)
            GROUP BY 1
            """)

        // MARK: Contacts (E-03, E-10)

        let activities = ledger.contacts.map(\.activityID)
        try await check("contacts recorded (E-10)", expected: once(activities), "SELECT activity_id, count(*) FROM \(s).contacts GROUP BY 1")
        try await check(
            "a maintenance task completed per contact (E-03)", expected: once(activities),
            """
            SELECT substring(outcome from '\\(activity ([^)]+)\\)'), count(*) FROM \(e).tasks
            WHERE status = 'done' AND kind = '\(TaskKind.maintenanceContact.rawValue)' GROUP BY 1
            """)

        // MARK: Complaints (F-01…F-05, A-13)

        let refs = ledger.complaints.map(\.ref)
        let caseRef = "(SELECT x.external_ref FROM \(c).cases x WHERE x.case_id::text = \(data("caseId")))"
        try await check("cases opened (F-01)", expected: once(refs), "SELECT external_ref, count(*) FROM \(c).cases GROUP BY 1")
        try await check(
            "case-opened events (F-01)", expected: once(refs),
            """
            SELECT \(data("externalRef")), count(*) FROM \(c).outbox
            WHERE event_type = '\(CaseOpened.V1.eventType)' GROUP BY 1
            """)
        let ladders = ledger.complaints.map { ($0.ref, levels(of: $0, at: now)) }
        let rungs = once(ladders.flatMap { ref, levels in levels.map { "\(ref) \($0.rawValue)" } })
        try await check(
            "escalations, each level once (F-04)", expected: rungs,
            "SELECT x.external_ref || ' ' || e.level, count(*) FROM \(c).case_escalations e JOIN \(c).cases x USING (case_id) GROUP BY 1")
        try await check(
            "case-escalated events (F-04)", expected: rungs,
            """
            SELECT \(caseRef) || ' ' || \(data("toLevel")), count(*) FROM \(c).outbox
            WHERE event_type = '\(CaseEscalated.V1.eventType)' GROUP BY 1
            """)
        let breached = ledger.complaints.filter { !$0.resolvedOnSpot && replyDue($0) < horizon }.map(\.ref)
        try await check(
            "case-breached once (F-02)", expected: once(breached),
            "SELECT \(caseRef), count(*) FROM \(c).outbox WHERE event_type = '\(CaseBreached.V1.eventType)' GROUP BY 1")
        // A warning whose time (or whose deadline) is within the margin of now may or may not have happened yet.
        let open = ledger.complaints.filter { !$0.resolvedOnSpot }
        let warned = open.filter { warnAt($0) < horizon && future < replyDue($0) }.map(\.ref)
        let undecided = open.filter {
            !(warnAt($0) < horizon || future < warnAt($0)) || !(replyDue($0) < horizon || future < replyDue($0))
        }.map { "'\($0.ref)'" }
        try await check(
            "case-due-soon once (F-02)", expected: once(warned),
            """
            SELECT \(caseRef), count(*) FROM \(c).outbox WHERE event_type = '\(CaseDueSoon.V1.eventType)'
                AND \(caseRef) <> ALL(ARRAY[\(undecided.joined(separator: ", "))]::text[])
            GROUP BY 1
            """)
        let onSpot = ledger.complaints.filter(\.resolvedOnSpot).map(\.ref)
        try await check(
            "complaint follow-ups (F-05)", expected: once(onSpot),
            """
            SELECT x.external_ref, count(*) FROM \(e).tasks t JOIN \(c).cases x ON x.case_id::text = t.case_id
            WHERE t.kind = '\(TaskKind.complaintFollowUp.rawValue)' GROUP BY 1
            """)
        let groups = Dictionary(grouping: ledger.complaints) { "\($0.branch) \($0.category)" }
        try await check(
            "hotspots (A-13)", expected: once(groups.filter { $0.value.count >= 5 }.keys),
            "SELECT branch_id || ' ' || category, count(*) FROM \(c).hotspots GROUP BY 1")

        // MARK: Daily statistics (C-10)

        var daily: [String: Int] = [:]
        for visit in ledger.walkIns {
            let day = calendar.businessDate(of: visit.arrivedAt)
            daily["\(visit.branch) \(day) identified by the lobby", default: 0] += 1
            daily["\(visit.branch) \(day) received by managers", default: 0] += 1
        }
        for complaint in ledger.complaints {
            daily["\(complaint.branch) \(calendar.businessDate(of: complaint.receivedAt)) complaints", default: 0] += 1
        }
        try await check(
            "daily statistics (C-10)", expected: daily,
            """
            SELECT branch_id || ' ' || business_date::text || ' identified by the lobby', vips_identified_lobby::bigint
                FROM \(s).branch_daily WHERE vips_identified_lobby > 0
            UNION ALL SELECT branch_id || ' ' || business_date::text || ' complaints', complaints_received::bigint
                FROM \(s).branch_daily WHERE complaints_received > 0
            UNION ALL SELECT branch_id || ' ' || business_date::text || ' received by managers', sum(vips_received)::bigint
                FROM \(s).manager_daily GROUP BY branch_id, business_date HAVING sum(vips_received) > 0
            """)

        // MARK: Nothing dead-lettered, everything published

        try await check(
            "dead letters (none expected)", expected: [:],
            ConciergeStack.serviceNames.map {
                "SELECT '\($0) ' || event_id, count(*) FROM \(stack.schema($0)).inbox WHERE outcome = 'dead_lettered' GROUP BY 1"
            }.joined(separator: " UNION ALL "))
        let unsent = try await Database.value(
            "SELECT "
                + ConciergeStack.serviceNames.map {
                    "(SELECT count(*) FROM \(stack.schema($0)).outbox WHERE sent_at IS NULL)"
                }.joined(separator: " + "), db: db, as: Int.self)
        return Reconciliation(checks: checks, unsent: unsent)
    }

    // MARK: - The complaint timers, as the rulebook and the service's defaults put them

    /// F-02: the end of the third working day after the day of receipt.
    func replyDue(_ complaint: Ledger.Complaint) -> Timestamp {
        calendar.endOfDay(calendar.workingDay(3, after: calendar.businessDate(of: complaint.receivedAt)))
    }

    /// `COMPLAINTS_WARN_PERCENT` of the reply time after receipt.
    func warnAt(_ complaint: Ledger.Complaint) -> Timestamp {
        let received = complaint.receivedAt.millisecondsSinceEpoch
        let span = Double(replyDue(complaint).millisecondsSinceEpoch - received)
        return Timestamp(millisecondsSinceEpoch: received + Int64(span * Double(warnPercent) / 100))
    }

    /// The rungs an open case has climbed by `now` (F-04; the defaults: the centre head when not acknowledged by the
    /// end of working day 1 after receipt or at once when critical, the sub-branch VIP group at the breach, the branch
    /// VIP service 2 and head office 7 working days after the deadline's day); every rung below the top one is
    /// passed too. A case answered on the spot climbs nothing.
    func levels(of complaint: Ledger.Complaint, at now: Timestamp) -> [CaseLevel] {
        guard !complaint.resolvedOnSpot else { return [] }
        let ladder: [CaseLevel] = [.frontLine, .centreHead, .subbranchVIPGroup, .branchVIPService, .headOfficeService]
        let today = calendar.businessDate(of: now)
        let received = calendar.businessDate(of: complaint.receivedAt)
        let due = replyDue(complaint)
        let dueDay = calendar.businessDate(of: due)
        var top = 0
        if complaint.critical || received <= calendar.latestDay(1, workingDaysBefore: today.adding(days: -1)) {
            top = 1
        }
        if due < now {
            top = 2
            if dueDay <= calendar.latestDay(2, workingDaysBefore: today) { top = 3 }
            if dueDay <= calendar.latestDay(7, workingDaysBefore: today) { top = 4 }
        }
        return Array(ladder[1..<(top + 1)])
    }
}
