import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Complaints: a case for every complaint from a branch and every call-centre escalation (rulebook F-01), answered on
/// the spot or within three working days (F-02), owned by the right person (F-03, F-04), climbing the escalation
/// ladder on durable timers when it is not, and watched for hotspots (A-13).
public struct ComplaintsService: ConciergeService {
    public static let name = "complaints"
    public static let defaultHTTPPort = 8084
    public static let consumedTopics = [
        Topics.branchComplaints, Topics.callcentreEscalations, Topics.staffDirectory, Topics.assignmentEvents,
    ]
    public static let producedTopics = [Topics.complaintsEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [
        ComplaintLodged.V1.eventType, EscalationRaised.V1.eventType, StaffUpdated.V1.eventType,
        ManagerAssigned.V1.eventType, HandoverStarted.V1.eventType,
    ]

    let settings: ComplaintSettings
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try ComplaintSettings(environment: context.environment)
    }

    public func backgroundJobs() -> [any BackgroundJob] {
        [
            PeriodicJob(name: "complaints-ladder", interval: settings.timerInterval, logger: context.logger) {
                try await runTimers(at: context.calendar.now())
            }
        ]
    }

    /// The reply deadline: the end of the `workingDays`-th working day after the day of `start` (F-02).
    public static func replyDue(receivedAt start: Timestamp, workingDays: Int, calendar: BusinessCalendar)
        -> Timestamp
    {
        calendar.endOfDay(calendar.workingDay(workingDays, after: calendar.businessDate(of: start)))
    }

    struct NewCase {
        var source: CaseSource
        var externalRef: String
        var customerID: String?
        var branchID: String?
        var channel: String?
        var category: String
        var severity: Severity
        var summary: String
        var customerNeed: String
        var receivedAt: Timestamp
        var actor: String
        var resolvedOnSpot: Bool
        var resolution: String?
        var firstLineAttempted: Bool?
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        switch event.payload {
        case .complaintLodged(let complaint):
            try await open(
                NewCase(
                    source: .branch, externalRef: complaint.complaintId, customerID: complaint.customerId,
                    branchID: complaint.branchId, channel: complaint.channel.rawValue, category: complaint.category,
                    severity: .normal, summary: complaint.summary, customerNeed: complaint.customerNeed,
                    receivedAt: complaint.receivedAt, actor: complaint.recordedBy,
                    resolvedOnSpot: complaint.resolvedOnSpot, resolution: complaint.resolution),
                eventID: event.id, context: context)
        case .escalationRaised(let escalation):
            try await open(
                NewCase(
                    source: .callCentre, externalRef: escalation.caseRef, customerID: escalation.customerId,
                    branchID: escalation.branchId, channel: "callcentre", category: escalation.category,
                    severity: escalation.severity, summary: escalation.summary,
                    customerNeed: escalation.customerNeed, receivedAt: escalation.receivedAt,
                    actor: escalation.agentId, resolvedOnSpot: false, resolution: nil,
                    firstLineAttempted: escalation.firstLineAttempted),
                eventID: event.id, context: context)
        case .staffUpdated(let staff):
            try await StaffDirectoryCopy.store(staff, on: context.connection, logger: context.logger)
        case .managerAssigned(let assigned):
            try await rememberManager(
                assigned.customerId, assigned.managerId, branch: assigned.branchId, at: assigned.at, context: context)
        case .handoverStarted(let handover):
            try await context.connection.query(
                """
                UPDATE customer_managers SET manager_id = \(handover.toManagerId), at = \(handover.at.date)
                WHERE customer_id = \(handover.customerId) AND at <= \(handover.at.date)
                """,
                logger: context.logger)
        default:
            return
        }
    }

    private func rememberManager(
        _ customerID: String, _ managerID: String, branch: String, at: Timestamp, context: HandlerContext
    ) async throws {
        try await context.connection.query(
            """
            INSERT INTO customer_managers (customer_id, manager_id, branch_id, at)
            VALUES (\(customerID), \(managerID), \(branch), \(at.date))
            ON CONFLICT (customer_id) DO UPDATE SET manager_id = EXCLUDED.manager_id, branch_id = EXCLUDED.branch_id,
                at = EXCLUDED.at
            WHERE customer_managers.at <= EXCLUDED.at
            """,
            logger: context.logger)
    }

    // MARK: - Opening a case (F-01, F-02, F-03, F-04, F-07)

    private func open(_ new: NewCase, eventID: String, context: HandlerContext) async throws {
        let caseID = UUID()
        let now = context.calendar.now()
        let replyDue = Self.replyDue(
            receivedAt: new.receivedAt, workingDays: settings.replyWorkingDays, calendar: context.calendar)
        let ledger = CaseLedger(connection: context.connection, outbox: context.outbox, logger: context.logger)
        var new = new
        if new.branchID == nil, let customer = new.customerID {
            // A call-centre case without a branch belongs to the customer's home branch, when known.
            new.branchID = try await ledger.connection.query(
                "SELECT branch_id FROM customer_managers WHERE customer_id = \(customer)", logger: ledger.logger
            ).collect().first?.decode(String.self)
        }
        let (owner, informed) = try await owners(for: new, ledger: ledger)
        let inserted = try await context.connection.query(
            """
            INSERT INTO cases (case_id, source, external_ref, customer_id, branch_id, channel, category, severity,
                summary, customer_need, received_at, received_date, reply_due_at, status, resolved_on_spot,
                resolution, resolved_at, source_event_id, owner_id, informed_id, first_line_attempted,
                cycle_started_at)
            VALUES (\(caseID), \(new.source.rawValue), \(new.externalRef), \(new.customerID), \(new.branchID),
                \(new.channel), \(new.category), \(new.severity.rawValue), \(new.summary), \(new.customerNeed),
                \(new.receivedAt.date), \(context.calendar.businessDate(of: new.receivedAt).description)::date,
                \(replyDue.date), \(new.resolvedOnSpot ? "resolved" : "open"), \(new.resolvedOnSpot),
                \(new.resolution), \(new.resolvedOnSpot ? new.receivedAt.date : nil), \(eventID), \(owner),
                \(informed), \(new.firstLineAttempted), \(new.receivedAt.date))
            ON CONFLICT (source, external_ref) DO NOTHING
            RETURNING 1
            """,
            logger: context.logger
        ).collect()
        guard !inserted.isEmpty else {
            context.logger.notice(
                "complaint already has a case; not opening another", metadata: ["case.source": "\(new.source.rawValue)"])
            return
        }
        try await ledger.timeline(caseID, "opened", actor: new.actor, at: new.receivedAt, note: new.channel)
        if owner != nil || informed != nil {
            try await ledger.timeline(
                caseID, "assigned", actor: nil, at: now,
                note: "owner \(owner ?? "none")" + (informed.map { "; informed: \($0)" } ?? ""))
        }
        try context.outbox.emit(
            CaseOpened.V1(
                caseId: caseID.uuidString.lowercased(), source: new.source, externalRef: new.externalRef,
                customerId: new.customerID, branchId: new.branchID, category: new.category, severity: new.severity,
                replyDueAt: replyDue, ownerId: owner, level: .frontLine, receivedAt: new.receivedAt,
                resolvedOnSpot: new.resolvedOnSpot),
            time: now, subject: CaseLedger.subject(caseID))
        if new.resolvedOnSpot {
            // Answered on the spot (F-02): opened and resolved at once, and still counted everywhere.
            try await ledger.timeline(
                caseID, "resolved_on_spot", actor: new.actor, at: new.receivedAt, note: new.resolution)
            try context.outbox.emit(
                CaseResolved.V1(
                    caseId: caseID.uuidString.lowercased(), resolution: new.resolution, at: new.receivedAt,
                    onTime: true, by: new.actor),
                time: now, subject: CaseLedger.subject(caseID))
        } else if new.severity == .critical, settings.criticalToCentreHead {
            try await ledger.escalate(
                caseID, to: .centreHead, reason: "critical severity: the centre head takes it at once (F-04)",
                at: now)
        }
        if let branch = new.branchID {
            try await detectHotspot(branchID: branch, category: new.category, at: new.receivedAt, ledger: ledger, now: now)
        }
    }

    /// F-03: a branch complaint belongs to the branch's lobby manager, with the centre head informed. F-04: a
    /// call-centre escalation for a known customer belongs to their exclusive manager, else to the centre head of the
    /// customer's (or the escalation's) branch.
    private func owners(for new: NewCase, ledger: CaseLedger) async throws -> (owner: String?, informed: String?) {
        switch new.source {
        case .branch:
            guard let branch = new.branchID else { return (nil, nil) }
            return (
                try await ledger.firstActive(.lobbyManager, branchID: branch),
                try await ledger.firstActive(.centreHead, branchID: branch)
            )
        case .callCentre:
            let branch = new.branchID
            if let customer = new.customerID,
                let row = try await ledger.connection.query(
                    "SELECT manager_id, branch_id FROM customer_managers WHERE customer_id = \(customer)",
                    logger: ledger.logger
                ).collect().first
            {
                let (manager, home) = try row.decode((String, String).self)
                return (manager, try await ledger.firstActive(.centreHead, branchID: branch ?? home))
            }
            guard let branch else { return (nil, nil) }
            return (try await ledger.firstActive(.centreHead, branchID: branch), nil)
        }
    }

    /// A.13: `COMPLAINTS_HOTSPOT_CASES` cases of one category at one branch within `COMPLAINTS_HOTSPOT_DAYS` →
    /// `hotspot-detected`, once while the window lasts.
    private func detectHotspot(
        branchID: String, category: String, at receivedAt: Timestamp, ledger: CaseLedger, now: Timestamp
    ) async throws {
        let connection = ledger.connection
        // One detector per branch and category at a time, across instances.
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtext('complaints.hotspot'), hashtext(\(branchID + "/" + category)))",
            logger: ledger.logger)
        // The windows that hold the new case end at it or at a later case within the window's length (a complaint
        // can be recorded after later ones: an opinion book is read after business, F-03); the earliest full one that
        // does not overlap a hotspot already announced counts.
        let length = Double(settings.hotspotDays) * 86_400
        let ends = try await connection.query(
            """
            SELECT e.received_at FROM cases e
            WHERE e.branch_id = \(branchID) AND e.category = \(category) AND e.received_at >= \(receivedAt.date)
                AND e.received_at < \(receivedAt.date.addingTimeInterval(length))
                AND (SELECT count(*) FROM cases c WHERE c.branch_id = e.branch_id AND c.category = e.category
                    AND c.received_at > e.received_at - make_interval(days => \(settings.hotspotDays)::int)
                    AND c.received_at <= e.received_at) >= \(settings.hotspotCases)
                -- Not overlapping a hotspot already announced for the branch and category.
                AND NOT EXISTS (SELECT 1 FROM hotspots h WHERE h.branch_id = e.branch_id AND h.category = e.category
                    AND h.detected_at > e.received_at - make_interval(days => \(settings.hotspotDays)::int)
                    AND h.window_start < e.received_at)
            ORDER BY e.received_at LIMIT 1
            """,
            logger: ledger.logger
        ).collect()
        guard let windowEnd = try ends.first?.decode(Date.self) else { return }
        let windowStart = windowEnd.addingTimeInterval(-length)
        var caseIDs: [String] = []
        for try await id in try await connection.query(
            """
            SELECT case_id FROM cases
            WHERE branch_id = \(branchID) AND category = \(category) AND received_at > \(windowStart)
                AND received_at <= \(windowEnd)
            ORDER BY received_at, case_id
            """,
            logger: ledger.logger
        ).decode(UUID.self) {
            caseIDs.append(id.uuidString.lowercased())
        }
        guard caseIDs.count >= settings.hotspotCases else { return }
        let hotspotID = UUID()
        try await connection.query(
            """
            INSERT INTO hotspots (hotspot_id, branch_id, category, window_start, detected_at, case_count)
            VALUES (\(hotspotID), \(branchID), \(category), \(windowStart), \(windowEnd), \(caseIDs.count))
            """,
            logger: ledger.logger)
        try ledger.outbox.emit(
            HotspotDetected.V1(
                hotspotId: hotspotID.uuidString.lowercased(), branchId: branchID, category: category,
                caseCount: caseIDs.count, caseIds: caseIDs,
                windowStart: context.calendar.localized(Timestamp(nearest: windowStart)),
                at: context.calendar.localized(windowEnd)),
            time: now, subject: "branch/\(branchID)")
    }
}
