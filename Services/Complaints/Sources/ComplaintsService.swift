import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Complaints: a case for every complaint from a branch and every call-centre escalation, with a reply deadline
/// at the end of the 3rd working day after receipt (rulebook F-01, F-02).
public struct ComplaintsService: ConciergeService {
    public static let name = "complaints"
    public static let defaultHTTPPort = 8084
    public static let consumedTopics = [Topics.branchComplaints, Topics.callcentreEscalations]
    public static let producedTopics = [Topics.complaintsEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [ComplaintLodged.V1.eventType, EscalationRaised.V1.eventType]

    let settings: ComplaintSettings
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try ComplaintSettings(environment: context.environment)
    }

    /// The reply deadline: the end of the `replyWorkingDays`-th working day after the day of receipt (F-02).
    public static func replyDue(receivedAt: Timestamp, settings: ComplaintSettings, calendar: BusinessCalendar)
        -> Timestamp
    {
        calendar.endOfDay(calendar.workingDay(settings.replyWorkingDays, after: calendar.businessDate(of: receivedAt)))
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
                    actor: escalation.agentId, resolvedOnSpot: false, resolution: nil),
                eventID: event.id, context: context)
        default:
            return
        }
    }

    private func open(_ new: NewCase, eventID: String, context: HandlerContext) async throws {
        let caseID = UUID()
        let now = context.calendar.now()
        let replyDue = Self.replyDue(receivedAt: new.receivedAt, settings: settings, calendar: context.calendar)
        let inserted = try await context.connection.query(
            """
            INSERT INTO cases (case_id, source, external_ref, customer_id, branch_id, channel, category, severity,
                summary, customer_need, received_at, received_date, reply_due_at, status, resolved_on_spot,
                resolution, resolved_at, source_event_id)
            VALUES (\(caseID), \(new.source.rawValue), \(new.externalRef), \(new.customerID), \(new.branchID),
                \(new.channel), \(new.category), \(new.severity.rawValue), \(new.summary), \(new.customerNeed),
                \(new.receivedAt.date), \(context.calendar.businessDate(of: new.receivedAt).description)::date,
                \(replyDue.date), \(new.resolvedOnSpot ? "resolved" : "open"), \(new.resolvedOnSpot),
                \(new.resolution), \(new.resolvedOnSpot ? new.receivedAt.date : nil), \(eventID))
            ON CONFLICT (source, external_ref) DO NOTHING
            RETURNING 1
            """,
            logger: context.logger
        ).collect()
        guard !inserted.isEmpty else {
            context.logger.notice("complaint already has a case; not opening another")
            return
        }
        try await addTimeline(caseID, action: "opened", actor: new.actor, at: new.receivedAt, note: nil, context: context)
        let subject = "case/\(caseID.uuidString.lowercased())"
        try context.outbox.emit(
            CaseOpened.V1(
                caseId: caseID.uuidString.lowercased(), source: new.source, externalRef: new.externalRef,
                customerId: new.customerID, branchId: new.branchID, category: new.category, severity: new.severity,
                replyDueAt: replyDue, ownerId: nil, level: .frontLine, receivedAt: new.receivedAt,
                resolvedOnSpot: new.resolvedOnSpot),
            time: now, subject: subject)
        if new.resolvedOnSpot {
            // Answered on the spot (F-02): opened and resolved at once, and still counted everywhere.
            try await addTimeline(
                caseID, action: "resolved_on_spot", actor: new.actor, at: new.receivedAt, note: new.resolution,
                context: context)
            try context.outbox.emit(
                CaseResolved.V1(
                    caseId: caseID.uuidString.lowercased(), resolution: new.resolution, at: new.receivedAt,
                    onTime: true),
                time: now, subject: subject)
        }
    }

    private func addTimeline(
        _ caseID: UUID, action: String, actor: String?, at: Timestamp, note: String?, context: HandlerContext
    ) async throws {
        try await context.connection.query(
            """
            INSERT INTO case_timeline (case_id, action, actor, at, note)
            VALUES (\(caseID), \(action), \(actor), \(at.date), \(note))
            """,
            logger: context.logger)
    }
}
