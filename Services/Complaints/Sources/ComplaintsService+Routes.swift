import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension ComplaintsService {
    /// Who may see what (H-01, H-09): a case — its owner, whoever is informed of it, and the centre head of its
    /// branch or of its owner's branch (a call-centre case has no branch of its own); the case list — a manager's
    /// own cases, a centre head's branch; the daily report — a centre head's branch. Operations everything. An action
    /// is taken in the caller's name.
    public func addRoutes(to router: Router<ConciergeRequestContext>) {
        router.get("/cases/:caseId") { _, requestContext in
            let rawID = try requestContext.parameters.require("caseId")
            guard let caseID = UUID(uuidString: rawID), let scope = try await self.scope(ofCase: caseID),
                let view = try await self.caseDetail(caseID)
            else {
                throw APIError.notFound("no case \(rawID)")
            }
            try requestContext.caller().authorize(scope, "case \(rawID)")
            return view
        }
        router.get("/cases") { request, requestContext in
            var filter = try CaseFilter(request)
            try filter.restrict(to: try requestContext.caller())
            return try await self.cases(filter)
        }
        for action in Action.allCases {
            router.post("/cases/:caseId/\(action.rawValue)") { request, requestContext in
                let caller = try requestContext.caller()
                let rawID = try requestContext.parameters.require("caseId")
                guard let caseID = UUID(uuidString: rawID), let scope = try await self.scope(ofCase: caseID) else {
                    throw APIError.notFound("no case \(rawID)")
                }
                try caller.authorize(scope, "case \(rawID)")
                let body = try await request.decode(as: ActionRequest.self, context: requestContext)
                return try await self.perform(action, caseID: caseID, request: body, caller: caller)
            }
        }
        router.get("/reports/daily") { request, requestContext in
            let requested = request.uri.queryParameters.get("branchId").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
            let branchID = try requestContext.caller().branchFilter(requested: requested, "the daily complaints report")
            return try await self.dailyReport(
                branchID: branchID, date: try request.businessDate(calendar: context.calendar))
        }
    }

    /// The owner, the informed, the case's branch and the owner's branch; `nil` when there is no such case.
    func scope(ofCase caseID: UUID) async throws -> ResourceScope? {
        let rows = try await context.postgres.query(
            """
            SELECT c.owner_id, c.informed_id, c.branch_id, s.branch_id
            FROM cases c LEFT JOIN staff s ON s.staff_id = c.owner_id
            WHERE c.case_id = \(caseID)
            """,
            logger: context.logger)
        for try await (owner, informed, branch, ownerBranch) in rows.decode((String?, String?, String?, String?).self) {
            return ResourceScope(staff: [owner, informed].compactMap { $0 }, branches: [branch, ownerBranch].compactMap { $0 })
        }
        return nil
    }

    /// `GET /cases` filters; every one optional.
    struct CaseFilter {
        static let statuses = ["open", "acknowledged", "replied", "resolved"]
        var branchID: String?
        var status: String?
        var level: String?
        var source: String?
        var category: String?
        var ownerID: String?
        var customerID: String?
        var overdue = false
        var breached = false
        /// Set for a centre head: only cases of this branch or owned by its staff.
        var visibleBranchID: String?

        /// Narrows the filter to what `caller` may see: a manager their own cases (asking for another owner's is
        /// refused), a centre head their branch (asking for another branch is refused).
        mutating func restrict(to caller: Principal) throws(APIError) {
            switch caller.role {
            case .operations:
                return
            case .manager:
                if let ownerID, ownerID != caller.staffID {
                    throw APIError.forbidden("manager \(caller.staffID) may only list their own cases")
                }
                ownerID = caller.staffID
            case .centreHead:
                visibleBranchID = try caller.branchFilter(requested: branchID, "the cases")
                if branchID != nil { branchID = visibleBranchID }
            }
        }

        init(branchID: String? = nil, status: String? = nil, overdue: Bool = false) {
            self.branchID = branchID
            self.status = status
            self.overdue = overdue
        }

        init(_ request: Request) throws {
            let query = request.uri.queryParameters
            func value(_ name: String) -> String? { query.get(name).map { String($0) }.flatMap { $0.isEmpty ? nil : $0 } }
            branchID = value("branchId")
            status = value("status")
            level = value("level")
            source = value("source")
            category = value("category")
            ownerID = value("ownerId")
            customerID = value("customerId")
            overdue = ["true", "1"].contains(value("overdue") ?? "")
            breached = ["true", "1"].contains(value("breached") ?? "")
            if let status, !Self.statuses.contains(status) {
                throw APIError.badRequest(
                    "status must be one of \(Self.statuses.joined(separator: ", "))", error: "invalid_parameter")
            }
            if let level, CaseLevel(rawValue: level) == nil {
                throw APIError.badRequest(
                    "level must be one of \(CaseLevel.allCases.map(\.rawValue).joined(separator: ", "))",
                    error: "invalid_parameter")
            }
            if let source, CaseSource(rawValue: source) == nil {
                throw APIError.badRequest("source must be branch or callcentre", error: "invalid_parameter")
            }
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
        /// Who is informed besides the owner (a branch complaint's centre head, F-03).
        var informedId: String?
        var breached: Bool
        var reopenedCount: Int
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
        var acknowledgedAt: Timestamp?
        var repliedAt: Timestamp?
        /// What the customer was told (F-02).
        var reply: String?
        var timeline: [Entry]
    }

    struct CaseList: ResponseCodable {
        var cases: [CaseSummary]
    }

    static let summaryColumns = """
        case_id, source, external_ref, customer_id, branch_id, category, severity, status, level, owner_id,
        received_at, reply_due_at, informed_id, ever_breached, reopened_count
        """

    private func summary(_ row: PostgresRow, now: Date) throws -> CaseSummary {
        let (id, source, ref, customer, branch, category, severity, status, level, owner, received, due) =
            try row.decode(
                (UUID, String, String, String?, String?, String, String, String, String, String?, Date, Date).self)
        let columns = row.makeRandomAccess()
        return CaseSummary(
            caseId: id.uuidString.lowercased(), source: source, externalRef: ref, customerId: customer,
            branchId: branch, category: category, severity: severity, status: status, level: level, ownerId: owner,
            receivedAt: context.calendar.localized(received), replyDueAt: context.calendar.localized(due),
            overdue: (status == "open" || status == "acknowledged") && due < now,
            informedId: try columns["informed_id"].decode(String?.self),
            breached: try columns["ever_breached"].decode(Bool.self),
            reopenedCount: try columns["reopened_count"].decode(Int.self))
    }

    func caseDetail(_ caseID: UUID) async throws -> CaseDetail? {
        let rows = try await context.postgres.query(
            """
            SELECT \(unescaped: Self.summaryColumns), channel, summary, customer_need, resolved_on_spot, resolution,
                resolved_at, acknowledged_at, replied_at, reply
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
            acknowledgedAt: try columns["acknowledged_at"].decode(Date?.self).map(context.calendar.localized),
            repliedAt: try columns["replied_at"].decode(Date?.self).map(context.calendar.localized),
            reply: try columns["reply"].decode(String?.self),
            timeline: timeline)
    }

    /// `GET /cases?branchId=&status=&level=&source=&category=&ownerId=&customerId=&overdue=true&breached=true`:
    /// newest first, at most 500.
    func cases(_ filter: CaseFilter) async throws -> CaseList {
        let now = Date()
        let rows = try await context.postgres.query(
            """
            SELECT \(unescaped: Self.summaryColumns) FROM cases
            WHERE (\(filter.branchID)::text IS NULL OR branch_id = \(filter.branchID))
                AND (\(filter.visibleBranchID)::text IS NULL OR branch_id = \(filter.visibleBranchID)
                    OR owner_id IN (SELECT staff_id FROM staff WHERE branch_id = \(filter.visibleBranchID)))
                AND (\(filter.status)::text IS NULL OR status = \(filter.status))
                AND (\(filter.level)::text IS NULL OR level = \(filter.level))
                AND (\(filter.source)::text IS NULL OR source = \(filter.source))
                AND (\(filter.category)::text IS NULL OR category = \(filter.category))
                AND (\(filter.ownerID)::text IS NULL OR owner_id = \(filter.ownerID))
                AND (\(filter.customerID)::text IS NULL OR customer_id = \(filter.customerID))
                AND (NOT \(filter.overdue) OR (status IN ('open', 'acknowledged') AND reply_due_at < \(now)))
                AND (NOT \(filter.breached) OR ever_breached)
            ORDER BY received_at DESC, case_id
            LIMIT 500
            """,
            logger: context.logger)
        var list: [CaseSummary] = []
        for try await row in rows { list.append(try summary(row, now: now)) }
        return CaseList(cases: list)
    }

    /// `GET /reports/daily?branchId=&date=` (C-10, G-07, F-07): the cases received that day (at the branch, or
    /// everywhere without `branchId`), by channel, category and current status; how many were answered on the spot
    /// and how many missed a deadline; the call centre's first-line resolution rate against its target.
    struct DailyReport: ResponseCodable {
        struct FirstLine: Codable {
            /// Call-centre cases received that day.
            var cases: Int
            /// Of them, resolved without leaving the front line.
            var resolvedAtFrontLine: Int
            /// `resolvedAtFrontLine / cases` in percent, `nil` without cases.
            var ratePercent: Double?
            var targetPercent: Int
        }
        var branchId: String?
        var date: BusinessDate
        var total: Int
        var byChannel: [String: Int]
        var byCategory: [String: Int]
        var byStatus: [String: Int]
        var resolvedOnSpot: Int
        var breached: Int
        var escalated: Int
        var firstLine: FirstLine
    }

    func dailyReport(branchID: String?, date: BusinessDate) async throws -> DailyReport {
        var report = DailyReport(
            branchId: branchID, date: date, total: 0, byChannel: [:], byCategory: [:], byStatus: [:],
            resolvedOnSpot: 0, breached: 0, escalated: 0,
            firstLine: .init(cases: 0, resolvedAtFrontLine: 0, targetPercent: settings.firstLineTargetPercent))
        for try await (channel, category, status, onSpot, breached, level, source) in try await context.postgres.query(
            """
            SELECT coalesce(channel, source), category, status, resolved_on_spot, ever_breached, level, source
            FROM cases
            WHERE received_date = \(date.description)::date AND (\(branchID)::text IS NULL OR branch_id = \(branchID))
            """,
            logger: context.logger
        ).decode((String, String, String, Bool, Bool, String, String).self) {
            report.total += 1
            report.byChannel[channel, default: 0] += 1
            report.byCategory[category, default: 0] += 1
            report.byStatus[status, default: 0] += 1
            if onSpot { report.resolvedOnSpot += 1 }
            if breached { report.breached += 1 }
            if level != CaseLevel.frontLine.rawValue { report.escalated += 1 }
            if source == CaseSource.callCentre.rawValue {
                report.firstLine.cases += 1
                if status == "resolved", level == CaseLevel.frontLine.rawValue { report.firstLine.resolvedAtFrontLine += 1 }
            }
        }
        if report.firstLine.cases > 0 {
            report.firstLine.ratePercent =
                (Double(report.firstLine.resolvedAtFrontLine) * 1000 / Double(report.firstLine.cases)).rounded() / 10
        }
        return report
    }
}
