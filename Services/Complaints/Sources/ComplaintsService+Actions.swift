import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// What staff do with a case over HTTP (F-02, F-03, F-07): acknowledge, reply (stops the reply clock), resolve (only
/// after a reply), reopen (the customer is not satisfied: a new reply deadline). Each action is on the timeline and
/// an event on `complaints.events`.
extension ComplaintsService {
    enum Action: String, CaseIterable {
        case acknowledge, reply, resolve, reopen
    }

    struct ActionRequest: Decodable {
        /// The staffId acting: optional, the caller; if given it must be the caller's own.
        var by: String?
        /// The reply to the customer (`reply`), the resolution (`resolve`), why (`reopen`), a note (`acknowledge`).
        var text: String?
    }

    static let maximumTextLength = 4_000

    func perform(_ action: Action, caseID: UUID, request: ActionRequest, caller: Principal) async throws -> CaseDetail {
        let by = caller.staffID
        if let named = request.by?.trimmingCharacters(in: .whitespacesAndNewlines), !named.isEmpty, named != by {
            throw APIError.forbidden("a case action is taken in the caller's name; by \(named) is not \(by)")
        }
        let text = request.text?.trimmingCharacters(in: .whitespacesAndNewlines)
        var missing: [String] = []
        if (action == .reply || action == .resolve || action == .reopen), text?.isEmpty ?? true { missing.append("text") }
        guard missing.isEmpty else {
            throw APIError.unprocessable(
                "\(action.rawValue) needs " + missing.joined(separator: " and "), error: "missing_field", fields: missing)
        }
        guard (text?.count ?? 0) <= Self.maximumTextLength else {
            throw APIError.unprocessable(
                "text has at most \(Self.maximumTextLength) characters", error: "field_too_long", fields: ["text"])
        }
        try await context.withOutboxTransaction { connection, outbox in
            let ledger = CaseLedger(connection: connection, outbox: outbox, logger: context.logger)
            let rows = try await connection.query(
                """
                SELECT status, reply_due_at, replied_at FROM cases WHERE case_id = \(caseID) FOR UPDATE
                """,
                logger: context.logger
            ).collect()
            guard let row = rows.first else { throw APIError.notFound("no case \(caseID.uuidString.lowercased())") }
            let (status, replyDue, repliedAt) = try row.decode((String, Date, Date?).self)
            let now = context.calendar.now()
            let id = caseID.uuidString.lowercased()
            let subject = CaseLedger.subject(caseID)
            switch action {
            case .acknowledge:
                guard status == "open" else { throw APIError.conflict("case is \(status); only an open case is acknowledged") }
                try await connection.query(
                    """
                    UPDATE cases SET status = 'acknowledged', acknowledged_at = \(now.date) WHERE case_id = \(caseID)
                    """,
                    logger: context.logger)
                try outbox.emit(CaseAcknowledged.V1(caseId: id, by: by, at: now), time: now, subject: subject)
            case .reply:
                guard status == "open" || status == "acknowledged" else {
                    throw APIError.conflict("case is \(status); a reply is given to an open case")
                }
                try await connection.query(
                    """
                    UPDATE cases SET status = 'replied', replied_at = \(now.date), reply = \(text),
                        acknowledged_at = coalesce(acknowledged_at, \(now.date))
                    WHERE case_id = \(caseID)
                    """,
                    logger: context.logger)
                try outbox.emit(
                    CaseReplied.V1(
                        caseId: id, by: by, at: now, replyDueAt: context.calendar.localized(replyDue),
                        onTime: now.date <= replyDue),
                    time: now, subject: subject)
            case .resolve:
                guard status == "replied" else {
                    throw APIError.conflict("case is \(status); reply to the customer before resolving (F-02)")
                }
                try await connection.query(
                    """
                    UPDATE cases SET status = 'resolved', resolution = \(text), resolved_at = \(now.date)
                    WHERE case_id = \(caseID)
                    """,
                    logger: context.logger)
                try outbox.emit(
                    CaseResolved.V1(
                        caseId: id, resolution: text, at: now, onTime: repliedAt.map { $0 <= replyDue }, by: by),
                    time: now, subject: subject)
            case .reopen:
                guard status == "resolved" else {
                    throw APIError.conflict("case is \(status); only a resolved case is reopened")
                }
                let due = Self.replyDue(
                    receivedAt: now, workingDays: settings.reopenReplyWorkingDays, calendar: context.calendar)
                try await connection.query(
                    """
                    UPDATE cases SET status = 'open', reply_due_at = \(due.date), cycle = cycle + 1,
                        cycle_started_at = \(now.date), reopened_count = reopened_count + 1, replied_at = NULL,
                        reply = NULL, resolution = NULL, resolved_at = NULL,
                        acknowledged_at = coalesce(acknowledged_at, \(now.date))
                    WHERE case_id = \(caseID)
                    """,
                    logger: context.logger)
                try outbox.emit(
                    CaseReopened.V1(caseId: id, by: by, at: now, replyDueAt: due), time: now, subject: subject)
            }
            try await ledger.timeline(caseID, action.rawValue, actor: by, at: now, note: text)
        }
        guard let detail = try await caseDetail(caseID) else {
            throw APIError.notFound("no case \(caseID.uuidString.lowercased())")
        }
        return detail
    }
}
