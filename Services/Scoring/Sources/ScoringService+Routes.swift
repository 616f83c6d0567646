import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension ScoringService {
    /// Who may see what (H-01, H-09): a branch's statistics and indicators — its centre head; a customer's score —
    /// the current owner and the centre head of the customer's home branch or of the owner's branch; a scorecard —
    /// its manager and their centre head; an assessment is written by the manager's centre head (G-02), in their own
    /// name. Operations everything.
    public func addRoutes(to router: Router<ConciergeRequestContext>) {
        router.get("/branches/:branchId/daily") { request, requestContext in
            let branchID = try requestContext.parameters.require("branchId")
            try requestContext.caller().authorize(ResourceScope(branches: [branchID]), "branch \(branchID)'s statistics")
            let date = try request.businessDate(calendar: context.calendar)
            return try await self.daily(branchID: branchID, date: date)
        }
        router.get("/branches/:branchId/indicators") { request, requestContext in
            let branchID = try requestContext.parameters.require("branchId")
            try requestContext.caller().authorize(ResourceScope(branches: [branchID]), "branch \(branchID)'s indicators")
            return try await self.centre(branchID: branchID, date: try request.businessDate(calendar: context.calendar))
        }
        router.get("/customers/:customerId/score") { request, requestContext in
            let customerID = try requestContext.parameters.require("customerId")
            try requestContext.caller().authorize(
                try await self.scope(ofCustomer: customerID), "customer \(customerID)'s score")
            let asOf = try request.businessDate(parameter: "asOf", calendar: context.calendar)
            return try await self.customerScore(customerID: customerID, asOf: asOf)
        }
        router.get("/managers/:staffId/scorecard") { request, requestContext in
            let staffID = try requestContext.parameters.require("staffId")
            try requestContext.caller().authorize(
                ResourceScope(staff: [staffID], branches: try await self.branches(ofStaff: staffID)),
                "manager \(staffID)'s scorecard")
            let now = context.calendar.now()
            let month: Month
            if let raw = request.uri.queryParameters.get("month") {
                guard let parsed = Month(String(raw)) else {
                    throw APIError.badRequest(
                        "month must be YYYY-MM in \(BusinessDate.supportedYears.lowerBound)–"
                            + "\(BusinessDate.supportedYears.upperBound), got \(raw)", error: "invalid_parameter")
                }
                month = parsed
            } else {
                month = Month(of: context.calendar.businessDate(of: now))
            }
            return try await self.scorecard(staffID: staffID, month: month, now: now)
        }
        router.post("/managers/:staffId/assessments") { request, requestContext in
            let caller = try requestContext.caller()
            let staffID = try requestContext.parameters.require("staffId")
            try caller.require([.centreHead, .operations], to: "assess a manager (G-02: the centre head assesses)")
            try caller.authorize(
                ResourceScope(branches: try await self.branches(ofStaff: staffID)), "manager \(staffID)'s assessments")
            var body = try await request.decode(as: AssessmentRequest.self, context: requestContext)
            if let named = body.assessedBy, named != caller.staffID {
                throw APIError.forbidden("an assessment is made in the caller's name; assessedBy \(named) is not \(caller.staffID)")
            }
            body.assessedBy = caller.staffID
            let (status, view) = try await self.recordAssessment(staffID: staffID, body)
            return EditedResponse(status: status, response: view)
        }
    }

    /// The branch of a staff member, from scoring's copy of the directory.
    func branches(ofStaff staffID: String) async throws -> [String] {
        var branches: [String] = []
        let rows = try await context.postgres.query(
            "SELECT branch_id FROM staff WHERE staff_id = \(staffID)", logger: context.logger)
        for try await branch in rows.decode(String.self) { branches.append(branch) }
        return branches
    }

    /// The customer's current owner, the owner's branch and the customer's home branch.
    func scope(ofCustomer customerID: String) async throws -> ResourceScope {
        var scope = ResourceScope()
        let owner = try await context.postgres.query(
            """
            SELECT manager_id, branch_id FROM ownership WHERE customer_id = \(customerID)
            ORDER BY since DESC, event_id DESC LIMIT 1
            """,
            logger: context.logger)
        for try await (manager, branch) in owner.decode((String, String).self) {
            scope.staff.insert(manager)
            scope.branches.insert(branch)
        }
        let home = try await context.postgres.query(
            "SELECT home_branch_id FROM customers WHERE customer_id = \(customerID)", logger: context.logger)
        for try await branch in home.decode(String.self) { scope.branches.insert(branch) }
        return scope
    }

    // MARK: - C-10 daily statistics

    /// `GET /branches/{branchId}/daily?date=`: the four C-10 counts for one business day (zeros when nothing
    /// happened).
    struct DailyView: ResponseCodable {
        struct Tellers: Codable {
            var cash: Int
            var nonCash: Int
            var businessOfficer: Int
        }
        var branchId: String
        var date: BusinessDate
        /// C-10 item 1: VIPs received by each manager.
        var vipsReceivedByManager: [String: Int]
        /// Potential VIPs received by each manager (not a C-10 item; shown apart).
        var potentialsReceivedByManager: [String: Int]
        /// C-10 item 2: VIPs identified by the lobby manager and lobby assistants.
        var vipsIdentifiedByLobby: Int
        /// C-10 item 3: VIPs identified at the counters.
        var vipsIdentifiedByTellers: Tellers
        /// VIPs identified by anybody else (role not given).
        var vipsIdentifiedOther: Int
        var potentialVipsIdentified: Int
        /// C-10 item 4: complaints received.
        var complaintsReceived: Int
        /// How many times this day has been announced as `branch-daily-stats` (0: not yet).
        var publications: Int
    }

    func daily(branchID: String, date: BusinessDate) async throws -> DailyView {
        try await context.postgres.withConnection { connection in
            try await self.daily(branchID: branchID, date: date, on: connection)
        }
    }

    func daily(branchID: String, date: BusinessDate, on connection: PostgresConnection) async throws -> DailyView {
        let rows = try await connection.query(
            """
            SELECT vips_identified_lobby, vips_identified_cash, vips_identified_noncash, vips_identified_officer,
                vips_identified_other, potential_identified, complaints_received, publications
            FROM branch_daily WHERE branch_id = \(branchID) AND business_date = \(date.description)::date
            """,
            logger: context.logger
        ).collect()
        var counts = [Int](repeating: 0, count: 8)
        if let row = rows.first {
            for (index, cell) in row.enumerated() { counts[index] = Int(try cell.decode(Int32.self)) }
        }
        var received: [String: Int] = [:]
        var potentials: [String: Int] = [:]
        for try await (manager, vips, potential) in try await connection.query(
            """
            SELECT manager_id, vips_received, potentials_received FROM manager_daily
            WHERE branch_id = \(branchID) AND business_date = \(date.description)::date
            """,
            logger: context.logger
        ).decode((String, Int32, Int32).self) {
            if vips > 0 { received[manager] = Int(vips) }
            if potential > 0 { potentials[manager] = Int(potential) }
        }
        let tellers = DailyView.Tellers(cash: counts[1], nonCash: counts[2], businessOfficer: counts[3])
        return DailyView(
            branchId: branchID, date: date, vipsReceivedByManager: received, potentialsReceivedByManager: potentials,
            vipsIdentifiedByLobby: counts[0], vipsIdentifiedByTellers: tellers, vipsIdentifiedOther: counts[4],
            potentialVipsIdentified: counts[5], complaintsReceived: counts[6], publications: counts[7])
    }

    // MARK: - G-02 assessments

    /// `POST /managers/{staffId}/assessments`: a supervisor scores the six qualitative items of G-02 for a month.
    struct AssessmentRequest: Decodable {
        /// Optional; a retry with the same id is answered with the stored assessment.
        var assessmentId: String?
        var month: String?
        var assessedBy: String?
        /// The six items by name, each 0–100.
        var items: [String: Int]?
        var comment: String?
    }

    struct AssessmentView: ResponseCodable {
        var assessmentId: String
        var staffId: String
        var month: String
        var assessedBy: String
        var items: AssessmentRecorded.V1.Items
        var comment: String?
        var recordedAt: Timestamp
    }

    /// Stores the assessment and announces it (`assessment-recorded`, which scoring also reads back, so a rebuild
    /// from the topics has it) in one transaction.
    func recordAssessment(staffID: String, _ body: AssessmentRequest) async throws -> (HTTPResponse.Status, AssessmentView) {
        var missing: [String] = []
        if body.month == nil { missing.append("month") }
        if body.assessedBy == nil { missing.append("assessedBy") }
        let items = body.items ?? [:]
        missing += AssessmentRecorded.V1.Items.names.filter { items[$0] == nil }.map { "items.\($0)" }
        guard missing.isEmpty, let rawMonth = body.month, let assessedBy = body.assessedBy else {
            throw APIError.unprocessable(
                "missing " + missing.joined(separator: ", "), error: "missing_fields", fields: missing)
        }
        let unknown = items.keys.filter { !AssessmentRecorded.V1.Items.names.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw APIError.unprocessable(
                "unknown items \(unknown.joined(separator: ", ")); the G-02 items are "
                    + AssessmentRecorded.V1.Items.names.joined(separator: ", "),
                error: "invalid_fields", fields: unknown.map { "items.\($0)" })
        }
        guard let month = Month(rawMonth) else {
            throw APIError.unprocessable(
                "month must be YYYY-MM in \(BusinessDate.supportedYears.lowerBound)–"
                    + "\(BusinessDate.supportedYears.upperBound), got \(rawMonth)", error: "invalid_fields", fields: ["month"])
        }
        let now = context.calendar.now()
        guard month <= Month(of: context.calendar.businessDate(of: now)) else {
            throw APIError.unprocessable(
                "\(month) has not started; a month is assessed once it has begun", error: "invalid_fields",
                fields: ["month"])
        }
        guard assessedBy != staffID else {
            throw APIError.unprocessable(
                "a manager cannot assess themselves", error: "invalid_fields", fields: ["assessedBy"])
        }
        let assessment = AssessmentRecorded.V1(
            assessmentId: body.assessmentId ?? UUID().uuidString.lowercased(), staffId: staffID,
            month: month.description, assessedBy: assessedBy,
            items: .init(
                selfDevelopment: items["selfDevelopment"] ?? 0, marketingAbility: items["marketingAbility"] ?? 0,
                learningAbility: items["learningAbility"] ?? 0, targetCompletion: items["targetCompletion"] ?? 0,
                compliance: items["compliance"] ?? 0, serviceQuality: items["serviceQuality"] ?? 0),
            comment: body.comment, at: now)
        do {
            try assessment.validate()
        } catch {
            throw APIError.unprocessable(error.description, error: "invalid_fields", fields: [error.field])
        }
        return try await context.withOutboxTransaction { connection, outbox in
            // The insert decides: of concurrent retries with one id, exactly one inserts and announces.
            let facts = Facts(connection: connection, logger: context.logger, calendar: context.calendar)
            if try await facts.assessment(assessment) {
                try outbox.emit(assessment, subject: "staff/\(staffID)")
                return (.created, Self.view(of: assessment))
            }
            let existing = try await connection.query(
                "SELECT staff_id, month FROM assessments WHERE assessment_id = \(assessment.assessmentId)",
                logger: context.logger
            ).decode((String, String).self).all().first
            guard let existing, existing == (staffID, month.description) else {
                throw APIError.conflict("assessment \(assessment.assessmentId) belongs to another manager or month")
            }
            let stored = try await assessments(
                staffID: staffID, from: month, through: month, id: assessment.assessmentId, on: connection)
            return (.ok, Self.view(of: stored.first, staffID: staffID, month: month) ?? Self.view(of: assessment))
        }
    }

    static func view(of assessment: AssessmentRecorded.V1) -> AssessmentView {
        AssessmentView(
            assessmentId: assessment.assessmentId, staffId: assessment.staffId, month: assessment.month,
            assessedBy: assessment.assessedBy, items: assessment.items, comment: assessment.comment,
            recordedAt: assessment.at)
    }

    static func view(of stored: ScorecardView.Assessment?, staffID: String, month: Month) -> AssessmentView? {
        stored.map {
            AssessmentView(
                assessmentId: $0.assessmentId, staffId: staffID, month: month.description, assessedBy: $0.assessedBy,
                items: $0.items, comment: $0.comment, recordedAt: $0.recordedAt)
        }
    }
}
