import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Engagement: the tasks on each relationship manager's agenda — walk-in follow-ups (C-05, C-06), a year's
/// maintenance plan per tier (E-03, E-05), handover tasks (D-05), appointment confirmations (E-07), retention
/// (E-09), complaint follow-ups (F-05) — and the durable overdue timer with escalation (E-04).
public struct EngagementService: ConciergeService {
    public static let name = "engagement"
    public static let defaultHTTPPort = 8083
    public static let consumedTopics = [
        Topics.assignmentEvents, Topics.branchVisits, Topics.crmActivities, Topics.customerProfiles,
        Topics.complaintsEvents, Topics.staffDirectory,
    ]
    public static let producedTopics = [Topics.engagementEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [
        ReferralRouted.V1.eventType, ManagerAssigned.V1.eventType, ServiceTeamChanged.V1.eventType,
        HandoverStarted.V1.eventType, HandoverCompleted.V1.eventType, VisitServed.V1.eventType,
        VisitLeft.V1.eventType, ContactLogged.V1.eventType, AppointmentBooked.V1.eventType,
        CustomerProfile.V1.eventType, CaseOpened.V1.eventType, CaseResolved.V1.eventType, StaffUpdated.V1.eventType,
    ]

    let settings: EngagementSettings
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try EngagementSettings(environment: context.environment)
    }

    public func backgroundJobs() -> [any BackgroundJob] {
        [
            PeriodicJob(name: "engagement-scheduler", interval: settings.schedulerInterval, logger: context.logger) {
                try await runScheduler(at: context.calendar.now())
            }
        ]
    }

    func store(_ connection: PostgresConnection, _ outbox: EventOutbox, logger: Logger) -> TaskStore {
        TaskStore(
            connection: connection, outbox: outbox, settings: settings, calendar: context.calendar, logger: logger,
            now: context.calendar.now())
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        let tasks = store(context.connection, context.outbox, logger: context.logger)
        switch event.payload {
        case .referralRouted(let routed): try await walkIn(routed, eventID: event.id, tasks: tasks)
        case .managerAssigned(let data): try await assigned(data, eventID: event.id, tasks: tasks)
        case .serviceTeamChanged(let changed): try await tierChanged(changed, eventID: event.id, tasks: tasks)
        case .handoverStarted(let handover): try await handoverStarted(handover, eventID: event.id, tasks: tasks)
        case .handoverCompleted(let handover):
            try await tasks.complete(
                .earliest(customerID: handover.customerId, managerID: handover.toManagerId, kinds: [.handoverFirstContact]),
                at: handover.firstContactAt ?? handover.at,
                outcome: "first direct contact\(handover.contactActivityId.map { " (activity \($0))" } ?? "")")
        case .visitServed(let served): try await visitServed(served, eventID: event.id, tasks: tasks)
        case .visitLeft(let left): try await visitLeft(left, eventID: event.id, tasks: tasks)
        case .contactLogged(let contact): try await contactLogged(contact, tasks: tasks)
        case .appointmentBooked(let appointment):
            try await appointmentBooked(appointment, eventID: event.id, tasks: tasks)
        case .customerProfile(let data): try await profile(data, eventID: event.id, tasks: tasks)
        case .caseOpened(let opened):
            try await context.connection.query(
                """
                INSERT INTO complaint_cases (case_id, customer_id, branch_id)
                VALUES (\(opened.caseId), \(opened.customerId), \(opened.branchId))
                ON CONFLICT (case_id) DO NOTHING
                """,
                logger: context.logger)
        case .caseResolved(let resolved): try await caseResolved(resolved, eventID: event.id, tasks: tasks)
        case .staffUpdated(let staff):
            try await StaffDirectoryCopy.store(staff, on: context.connection, logger: context.logger)
        default:
            return
        }
    }

    // MARK: - Contacts and appointments (E-04, E-07, E-10)

    /// A logged contact completes the task it names, or else the earliest open task of the same customer, manager
    /// and kind: a call or message → a proactive contact, a meeting or visit → a meeting.
    private func contactLogged(_ contact: ContactLogged.V1, tasks: TaskStore) async throws {
        try await tasks.connection.query(
            """
            UPDATE customers SET last_contact_at = greatest(coalesce(last_contact_at, \(contact.at.date)), \(contact.at.date))
            WHERE customer_id = \(contact.customerId)
            """,
            logger: tasks.logger)
        let outcome = contact.outcome ?? "\(contact.kind.rawValue) logged (activity \(contact.activityId))"
        if let raw = contact.taskId, let taskID = UUID(uuidString: raw),
            try await tasks.complete(.task(taskID, customerID: contact.customerId), at: contact.at, outcome: outcome)
                != nil
        {
            return
        }
        // A call or message the customer made is not one of the plan's proactive contacts (E-03).
        let kinds: [TaskKind] =
            switch contact.kind {
            case .call, .message: contact.proactive ? [.maintenanceContact] : []
            case .meeting, .visit: [.maintenanceMeeting]
            }
        guard !kinds.isEmpty else { return }
        try await tasks.complete(
            .earliest(customerID: contact.customerId, managerID: contact.managerId, kinds: kinds), at: contact.at,
            outcome: outcome)
    }

    private func appointmentBooked(_ appointment: AppointmentBooked.V1, eventID: String, tasks: TaskStore)
        async throws
    {
        let (dayBefore, morning) = TaskTimes.appointmentConfirmations(
            at: appointment.at, settings: settings, calendar: context.calendar)
        // Keyed by the appointment and its time: a re-sent booking adds nothing, a moved one replaces the
        // confirmations still open.
        let key = "appointment/\(appointment.appointmentId)/\(appointment.at.millisecondsSinceEpoch)"
        try await tasks.connection.query(
            """
            UPDATE tasks SET status = 'cancelled', outcome = 'appointment moved'
            WHERE appointment_id = \(appointment.appointmentId) AND kind = 'appointment_confirmation'
                AND status = 'open' AND source_event_id <> \(key)
            """,
            logger: tasks.logger)
        let subject = TaskStore.Subject(
            customerID: appointment.customerId, managerID: appointment.managerId, sourceEventID: key,
            branchID: appointment.branchId, appointmentID: appointment.appointmentId)
        let title = "Confirm the appointment of \(appointment.at.rfc3339) with the customer"
        // A confirmation whose time has already passed when the booking arrives is not planned.
        for (seq, due) in [dayBefore, morning].enumerated()
        where due.millisecondsSinceEpoch > tasks.now.millisecondsSinceEpoch {
            try await tasks.schedule(
                PlannedTask(
                    kind: .appointmentConfirmation, dueAt: due, ruleID: "E-07",
                    title: seq == 0 ? "\(title) (the day before)" : "\(title) (the morning of the day)", seq: seq),
                for: subject)
        }
    }

    // MARK: - Retention (E-09, B-10) and complaints (F-05)

    /// A fall in average daily assets of `ENGAGEMENT_AUM_DROP_PERCENT` or more between two profiles → one retention
    /// task, unless one is open.
    private func profile(_ profile: CustomerProfile.V1, eventID: String, tasks: TaskStore) async throws {
        let known = try await tasks.connection.query(
            """
            SELECT aum_daily_avg::text, manager_id, branch_id FROM customers
            WHERE customer_id = \(profile.customerId)
                AND (aum_as_of IS NULL OR aum_as_of <= \(profile.asOf.description)::date)
            FOR UPDATE
            """,
            logger: tasks.logger
        ).collect()
        guard let row = known.first else { return }
        let (previousText, managerID, branchID) = try row.decode((String?, String, String).self)
        try await tasks.connection.query(
            """
            UPDATE customers SET aum_daily_avg = \(profile.aumDailyAvg.decimalString)::numeric,
                aum_as_of = \(profile.asOf.description)::date
            WHERE customer_id = \(profile.customerId)
            """,
            logger: tasks.logger)
        guard let previousText, let previous = try? Amount(parsing: previousText), previous.minorUnits > 0,
            (previous.minorUnits - profile.aumDailyAvg.minorUnits) * 100
                >= previous.minorUnits * Int64(settings.aumDropPercent)
        else { return }
        try await raiseRetention(
            customerID: profile.customerId, managerID: managerID, branchID: branchID, sourceEventID: eventID,
            reason: "average daily assets fell from \(previous.decimalString) to \(profile.aumDailyAvg.decimalString)",
            tasks: tasks)
    }

    /// One open retention task per customer at most (E-09).
    func raiseRetention(
        customerID: String, managerID: String, branchID: String?, sourceEventID: String, reason: String,
        tasks: TaskStore
    ) async throws {
        let open = try await tasks.connection.query(
            """
            SELECT 1 FROM tasks WHERE customer_id = \(customerID) AND kind = 'retention' AND status = 'open' LIMIT 1
            """,
            logger: tasks.logger
        ).collect()
        guard open.isEmpty else { return }
        try await tasks.schedule(
            PlannedTask(
                kind: .retention,
                dueAt: TaskTimes.endOfWorkingDay(settings.retentionWorkingDays, after: tasks.now, calendar: context.calendar),
                ruleID: "E-09", title: "Retention: \(reason)"),
            for: .init(customerID: customerID, managerID: managerID, sourceEventID: sourceEventID, branchID: branchID))
    }

    private func caseResolved(_ resolved: CaseResolved.V1, eventID: String, tasks: TaskStore) async throws {
        let rows = try await tasks.connection.query(
            """
            SELECT c.customer_id, m.manager_id, coalesce(c.branch_id, m.branch_id)
            FROM complaint_cases c JOIN customers m ON m.customer_id = c.customer_id
            WHERE c.case_id = \(resolved.caseId)
            """,
            logger: tasks.logger
        ).collect()
        guard let row = rows.first else { return }
        let (customerID, managerID, branchID) = try row.decode((String, String, String?).self)
        try await tasks.schedule(
            PlannedTask(
                kind: .complaintFollowUp,
                dueAt: TaskTimes.endOfWorkingDay(
                    settings.complaintFollowUpWorkingDays, after: resolved.at, calendar: context.calendar),
                ruleID: "F-05", title: "Follow up the customer after complaint \(resolved.caseId) was resolved"),
            for: .init(
                customerID: customerID, managerID: managerID, sourceEventID: eventID, branchID: branchID,
                caseID: resolved.caseId))
    }
}
