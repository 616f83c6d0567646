import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension ComplaintsService {
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/cases/:caseId") { _, requestContext in
            let rawID = try requestContext.parameters.require("caseId")
            guard let caseID = UUID(uuidString: rawID), let view = try await self.caseDetail(caseID) else {
                throw APIError.notFound("no case \(rawID)")
            }
            return view
        }
        router.get("/cases") { request, _ in
            let query = request.uri.queryParameters
            let status = query.get("status").map { String($0) }
            if let status, !["open", "resolved"].contains(status) {
                throw APIError.badRequest("status must be open or resolved", error: "invalid_parameter")
            }
            let overdue = query.get("overdue").map { $0 == "true" || $0 == "1" } ?? false
            return try await self.cases(branchID: query.get("branchId").map { String($0) }, status: status, overdue: overdue)
        }
    }

    struct CaseSummary: Codable {
        var caseId: String
        var source: String
        var externalRef: String
        var customerId: String?
        var branchId: String?
        var category: String
        var severity: String
        var status: String
        var level: String
        var ownerId: String?
        var receivedAt: Timestamp
        var replyDueAt: Timestamp
        var overdue: Bool
    }

    /// `GET /cases/{caseId}`: the case, its deadline, level and timeline.
    struct CaseDetail: ResponseCodable {
        struct Entry: Codable {
            var action: String
            var actor: String?
            var at: Timestamp
            var note: String?
        }
        var summary: CaseSummary
        var channel: String?
        var problem: String
        var customerNeed: String
        var resolvedOnSpot: Bool
        var resolution: String?
        var resolvedAt: Timestamp?
        var timeline: [Entry]
    }

    struct CaseList: ResponseCodable {
        var cases: [CaseSummary]
    }

    static let summaryColumns = """
        case_id, source, external_ref, customer_id, branch_id, category, severity, status, level, owner_id,
        received_at, reply_due_at
        """

    private func summary(_ row: PostgresRow, now: Date) throws -> CaseSummary {
        let (id, source, ref, customer, branch, category, severity, status, level, owner, received, due) =
            try row.decode(
                (UUID, String, String, String?, String?, String, String, String, String, String?, Date, Date).self)
        return CaseSummary(
            caseId: id.uuidString.lowercased(), source: source, externalRef: ref, customerId: customer,
            branchId: branch, category: category, severity: severity, status: status, level: level, ownerId: owner,
            receivedAt: context.calendar.localized(received), replyDueAt: context.calendar.localized(due),
            overdue: status == "open" && due < now)
    }

    func caseDetail(_ caseID: UUID) async throws -> CaseDetail? {
        let rows = try await context.postgres.query(
            """
            SELECT \(unescaped: Self.summaryColumns), channel, summary, customer_need, resolved_on_spot, resolution,
                resolved_at
            FROM cases WHERE case_id = \(caseID)
            """,
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let columns = row.makeRandomAccess()
        var timeline: [CaseDetail.Entry] = []
        for try await (action, actor, at, note) in try await context.postgres.query(
            "SELECT action, actor, at, note FROM case_timeline WHERE case_id = \(caseID) ORDER BY at, id",
            logger: context.logger
        ).decode((String, String?, Date, String?).self) {
            timeline.append(.init(action: action, actor: actor, at: context.calendar.localized(at), note: note))
        }
        return CaseDetail(
            summary: try summary(row, now: Date()),
            channel: try columns["channel"].decode(String?.self),
            problem: try columns["summary"].decode(String.self),
            customerNeed: try columns["customer_need"].decode(String.self),
            resolvedOnSpot: try columns["resolved_on_spot"].decode(Bool.self),
            resolution: try columns["resolution"].decode(String?.self),
            resolvedAt: try columns["resolved_at"].decode(Date?.self).map(context.calendar.localized),
            timeline: timeline)
    }

    /// `GET /cases?branchId=&status=&overdue=true`: newest first, at most 500.
    func cases(branchID: String?, status: String?, overdue: Bool) async throws -> CaseList {
        let now = Date()
        let rows = try await context.postgres.query(
            """
            SELECT \(unescaped: Self.summaryColumns) FROM cases
            WHERE (\(branchID)::text IS NULL OR branch_id = \(branchID))
                AND (\(status)::text IS NULL OR status = \(status))
                AND (NOT \(overdue) OR (status = 'open' AND reply_due_at < \(now)))
            ORDER BY received_at DESC, case_id
            LIMIT 500
            """,
            logger: context.logger)
        var list: [CaseSummary] = []
        for try await row in rows { list.append(try summary(row, now: now)) }
        return CaseList(cases: list)
    }
}
