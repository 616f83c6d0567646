import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// A calendar month in the business time zone, `YYYY-MM`, in the years Concierge accepts
/// (`BusinessDate.supportedYears`).
struct Month: Hashable, Sendable, CustomStringConvertible, Comparable {
    let year: Int
    let month: Int

    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 7, parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1]), BusinessDate.supportedYears.contains(year), (1...12).contains(month)
        else { return nil }
        self.year = year
        self.month = month
    }

    init(of date: BusinessDate) {
        year = date.year
        month = date.month
    }

    var first: BusinessDate { BusinessDate(validYear: year, month: month, day: 1) }
    var last: BusinessDate { next.first.adding(days: -1) }
    var next: Month { month == 12 ? Month(year: year + 1, month: 1) : Month(year: year, month: month + 1) }
    var january: Month { Month(year: year, month: 1) }

    init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    var description: String { String(format: "%04d-%02d", year, month) }

    static func < (lhs: Month, rhs: Month) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }
}

/// `GET /managers/{staffId}/scorecard?month=`: a manager's month (G-01, G-02, G-06, E-03, E-06, H-04).
extension ScoringService {
    struct ScorecardView: ResponseCodable, Equatable {
        struct Period: Codable, Equatable {
            var from: BusinessDate
            var to: BusinessDate
            /// Working days of the month up to today (all of them once the month is over).
            var workingDays: Int
            /// The month is over.
            var closed: Bool
        }

        /// G-01: simulated profit and its three parts, from the sales credited to the manager in the month.
        struct Profit: Codable, Equatable {
            var depositProfit: Amount
            var wealthProfit: Amount
            var feeIncome: Amount
            var total: Amount
            var sales: Int
        }

        struct Counts: Codable, Equatable {
            var contacts: Double?
            var proactive: Double?
            var meetings: Double?
        }

        /// E-03 / G-06: contacts logged by the manager; proactive contacts are proactive calls and messages,
        /// meetings are meetings and visits (as engagement counts them).
        struct Activity: Codable, Equatable {
            var contacts: Int
            var proactiveContacts: Int
            var meetings: Int
            /// Per working day of the period (absent with no working day yet).
            var perWorkingDay: Counts
            var norm: Counts
            var normMet: [String: Bool]
        }

        struct CadenceCustomer: Codable, Equatable {
            var customerId: String
            var tier: Tier?
            var services: Int
            var proactive: Int
            var meetings: Int
            /// What the year's target calls for by the end of the month: ⌊target × month ÷ 12⌋ each.
            var expected: Counts?
            var onTrack: Bool?
        }

        /// E-03: the 6-4-2 / 12-4-2 progress of each customer in the manager's book at the end of the period.
        struct Cadence: Codable, Equatable {
            var year: Int
            var customers: Int
            var onTrack: Int
            var withoutTier: Int
            var onTrackPercent: Double?
            var items: [CadenceCustomer]
        }

        struct Tasks: Codable, Equatable {
            /// Tasks due in the month and now the manager's.
            var due: Int
            var doneOnTime: Int
            var doneLate: Int
            var open: Int
            var overdue: Int
            var onTimePercent: Double?
        }

        struct WalkIns: Codable, Equatable {
            var vips: Int
            var potentials: Int
        }

        struct Compliance: Codable, Equatable {
            var breaches: Int
            var byCheck: [String: Int]
        }

        struct Assessment: Codable, Equatable {
            var assessmentId: String
            var assessedBy: String
            var recordedAt: Timestamp
            var items: AssessmentRecorded.V1.Items
            var comment: String?
        }

        struct Component: Codable, Equatable {
            var name: String
            /// 0–100; absent when there is nothing to score it from.
            var score: Double?
            var weight: Double
        }

        /// G-02: the year to date, composite of the profit score and the six qualitative items.
        struct Annual: Codable, Equatable {
            var year: Int
            var throughMonth: String
            var simulatedProfit: Amount
            var peers: Int
            var components: [Component]
            /// The weighted mean of the components that have a score.
            var composite: Double?
            /// Every weighted component has a score.
            var complete: Bool
            var missing: [String]
        }

        var staffId: String
        var month: String
        var branchId: String?
        var role: String?
        var period: Period
        var simulatedProfit: Profit
        var activity: Activity
        var cadence: Cadence
        var tasks: Tasks
        var walkIns: WalkIns
        var complaintsAboutCustomers: Int
        var compliance: Compliance
        var assessment: Assessment?
        var annual: Annual
    }

    func scorecard(staffID: String, month: Month, now: Timestamp) async throws -> ScorecardView {
        let calendar = context.calendar
        let today = calendar.businessDate(of: now)
        let end = min(month.last, today)
        let workingDays = end < month.first ? 0 : (0...Int(end.dayNumber - month.first.dayNumber)).count {
            calendar.isWorkingDay(month.first.adding(days: $0))
        }
        let (from, to) = (month.first.description, month.last.description)
        let staff = try await context.postgres.query(
            "SELECT branch_id, role FROM staff WHERE staff_id = \(staffID)", logger: context.logger
        ).collect().first.map { try $0.decode((String, String).self) }

        let profit = try await self.profit(manager: staffID, from: month.first, to: month.last)
        let activity = try await context.postgres.query(
            """
            SELECT count(*), count(*) FILTER (WHERE proactive AND kind IN ('call', 'message')),
                count(*) FILTER (WHERE kind IN ('meeting', 'visit'))
            FROM contacts WHERE manager_id = \(staffID) AND contact_date BETWEEN \(from)::date AND \(to)::date
            """,
            logger: context.logger
        ).collect().first!.decode((Int64, Int64, Int64).self)
        let tasks = try await context.postgres.query(
            """
            SELECT count(*),
                count(*) FILTER (WHERE completed_at IS NOT NULL
                    AND COALESCE(completed_on_time, completed_at <= due_at)),
                count(*) FILTER (WHERE completed_at IS NOT NULL
                    AND NOT COALESCE(completed_on_time, completed_at <= due_at)),
                count(*) FILTER (WHERE completed_at IS NULL),
                count(*) FILTER (WHERE completed_at IS NULL AND due_at < \(now.date))
            FROM tasks WHERE manager_id = \(staffID) AND due_date BETWEEN \(from)::date AND \(to)::date
            """,
            logger: context.logger
        ).collect().first!.decode((Int64, Int64, Int64, Int64, Int64).self)
        let walkIns = try await context.postgres.query(
            """
            SELECT COALESCE(SUM(vips_received), 0), COALESCE(SUM(potentials_received), 0) FROM manager_daily
            WHERE manager_id = \(staffID) AND business_date BETWEEN \(from)::date AND \(to)::date
            """,
            logger: context.logger
        ).collect().first!.decode((Int64, Int64).self)
        // A complaint is about the manager's customer when the manager owned the customer when it was received.
        let complaints = try await context.postgres.query(
            """
            SELECT count(*) FROM cases c
            WHERE c.received_date BETWEEN \(from)::date AND \(to)::date AND c.customer_id IS NOT NULL
                AND (SELECT o.manager_id FROM ownership o WHERE o.customer_id = c.customer_id
                     AND o.since <= c.received_at ORDER BY o.since DESC, o.event_id DESC LIMIT 1) = \(staffID)
            """,
            logger: context.logger
        ).collect().first!.decode(Int64.self)
        var byCheck: [String: Int] = [:]
        for try await (check, count) in try await context.postgres.query(
            """
            SELECT check_name, count(*) FROM compliance_findings
            WHERE manager_id = \(staffID) AND status = 'raised' AND sold_date BETWEEN \(from)::date AND \(to)::date
            GROUP BY check_name
            """,
            logger: context.logger
        ).decode((String, Int64).self) {
            byCheck[check] = Int(count)
        }

        let norm = settings.dailyNorm
        func perDay(_ count: Int64) -> Double? {
            workingDays > 0 ? (Double(count) * 100 / Double(workingDays)).rounded() / 100 : nil
        }
        let perWorkingDay = ScorecardView.Counts(
            contacts: perDay(activity.0), proactive: perDay(activity.1), meetings: perDay(activity.2))
        var normMet: [String: Bool] = [:]
        if workingDays > 0 {
            normMet["contacts"] = Int(activity.0) >= norm.contacts * workingDays
            normMet["proactive"] = Int(activity.1) >= norm.proactive * workingDays
            normMet["meetings"] = Int(activity.2) >= norm.meetings * workingDays
        }
        let card = ScorecardView(
            staffId: staffID, month: month.description, branchId: staff?.0, role: staff?.1,
            period: .init(from: month.first, to: month.last, workingDays: workingDays, closed: today > month.last),
            simulatedProfit: profit,
            activity: .init(
                contacts: Int(activity.0), proactiveContacts: Int(activity.1), meetings: Int(activity.2),
                perWorkingDay: perWorkingDay,
                norm: .init(
                    contacts: Double(norm.contacts), proactive: Double(norm.proactive), meetings: Double(norm.meetings)),
                normMet: normMet),
            cadence: try await cadence(manager: staffID, month: month, through: end, now: now),
            tasks: .init(
                due: Int(tasks.0), doneOnTime: Int(tasks.1), doneLate: Int(tasks.2), open: Int(tasks.3),
                overdue: Int(tasks.4),
                onTimePercent: tasks.0 > 0 ? (Double(tasks.1) * 1_000 / Double(tasks.0)).rounded() / 10 : nil),
            walkIns: .init(vips: Int(walkIns.0), potentials: Int(walkIns.1)),
            complaintsAboutCustomers: Int(complaints),
            compliance: .init(breaches: byCheck.values.reduce(0, +), byCheck: byCheck),
            assessment: try await latestAssessments(staffID: staffID, from: month, through: month).first,
            annual: try await annual(staffID: staffID, staff: staff, month: month))
        let known = try await staff != nil ? true : self.known(staffID: staffID)
        guard known else {
            throw APIError.notFound("staff \(staffID) is neither in the directory nor named by any event")
        }
        return card
    }

    /// Whether any fact names the staff member (an unknown id is a 404, not a scorecard of zeros).
    func known(staffID: String) async throws -> Bool {
        try await context.postgres.query(
            """
            SELECT EXISTS (SELECT 1 FROM sales WHERE manager_id = \(staffID))
                OR EXISTS (SELECT 1 FROM contacts WHERE manager_id = \(staffID))
                OR EXISTS (SELECT 1 FROM tasks WHERE manager_id = \(staffID))
                OR EXISTS (SELECT 1 FROM manager_daily WHERE manager_id = \(staffID))
                OR EXISTS (SELECT 1 FROM ownership WHERE manager_id = \(staffID))
                OR EXISTS (SELECT 1 FROM assessments WHERE staff_id = \(staffID))
            """,
            logger: context.logger
        ).collect().first!.decode(Bool.self)
    }

    func profit(manager staffID: String, from: BusinessDate, to: BusinessDate) async throws -> ScorecardView.Profit {
        let row = try await context.postgres.query(
            """
            SELECT COALESCE(SUM(deposit_profit), 0)::text, COALESCE(SUM(wealth_profit), 0)::text,
                COALESCE(SUM(fee_income), 0)::text, count(*)
            FROM sales WHERE manager_id = \(staffID)
                AND sold_date BETWEEN \(from.description)::date AND \(to.description)::date
            """,
            logger: context.logger
        ).collect().first!.decode((String, String, String, Int64).self)
        let (deposit, wealth, fee) = (try Amount(parsing: row.0), try Amount(parsing: row.1), try Amount(parsing: row.2))
        return .init(
            depositProfit: deposit, wealthProfit: wealth, feeIncome: fee, total: deposit + wealth + fee,
            sales: Int(row.3))
    }

    /// The customers the manager owns at the end of `through` (the latest assignment at or before it), each with
    /// the year's contacts so far against ⌊target × month ÷ 12⌋. Contacts by anybody count: the cadence is the
    /// customer's, and a covering colleague's call keeps it too.
    func cadence(manager staffID: String, month: Month, through: BusinessDate, now: Timestamp) async throws
        -> ScorecardView.Cadence
    {
        let instant = context.calendar.endOfDay(max(through, month.first))
        var items: [ScorecardView.CadenceCustomer] = []
        for try await (customerID, rawTier, services, proactive, meetings) in try await context.postgres.query(
            """
            WITH candidates AS (
                SELECT DISTINCT customer_id FROM ownership WHERE manager_id = \(staffID) AND since <= \(instant.date)
            ), book AS (
                SELECT k.customer_id FROM candidates k
                WHERE (SELECT o.manager_id FROM ownership o WHERE o.customer_id = k.customer_id
                       AND o.since <= \(instant.date) ORDER BY o.since DESC, o.event_id DESC LIMIT 1) = \(staffID)
            )
            SELECT b.customer_id, c.tier, count(t.activity_id),
                count(t.activity_id) FILTER (WHERE t.proactive AND t.kind IN ('call', 'message')),
                count(t.activity_id) FILTER (WHERE t.kind IN ('meeting', 'visit'))
            FROM book b
            LEFT JOIN customers c ON c.customer_id = b.customer_id
            LEFT JOIN contacts t ON t.customer_id = b.customer_id
                AND t.contact_date BETWEEN \(month.january.first.description)::date AND \(through.description)::date
            GROUP BY b.customer_id, c.tier
            ORDER BY b.customer_id
            """,
            logger: context.logger
        ).decode((String, String?, Int64, Int64, Int64).self) {
            var item = ScorecardView.CadenceCustomer(
                customerId: customerID, tier: rawTier.flatMap(Tier.init(rawValue:)), services: Int(services),
                proactive: Int(proactive), meetings: Int(meetings))
            if let tier = item.tier {
                let target = settings.cadence(for: tier)
                let expected = (
                    services: target.services * month.month / 12, proactive: target.proactive * month.month / 12,
                    meetings: target.meetings * month.month / 12
                )
                item.expected = .init(
                    contacts: Double(expected.services), proactive: Double(expected.proactive),
                    meetings: Double(expected.meetings))
                item.onTrack =
                    item.services >= expected.services && item.proactive >= expected.proactive
                    && item.meetings >= expected.meetings
            }
            items.append(item)
        }
        let tiered = items.filter { $0.tier != nil }
        let onTrack = tiered.filter { $0.onTrack == true }.count
        return .init(
            year: month.year, customers: items.count, onTrack: onTrack, withoutTier: items.count - tiered.count,
            onTrackPercent: tiered.isEmpty ? nil : (Double(onTrack) * 1_000 / Double(tiered.count)).rounded() / 10,
            items: items)
    }

    /// The latest assessment of each month from `from` through `through`, newest month first.
    func latestAssessments(staffID: String, from: Month, through: Month) async throws -> [ScorecardView.Assessment] {
        try await context.postgres.withConnection { connection in
            try await assessments(staffID: staffID, from: from, through: through, id: nil, on: connection)
        }
    }

    /// The latest assessment of each month (or the one with `id`), newest month first.
    func assessments(staffID: String, from: Month, through: Month, id: String?, on connection: PostgresConnection)
        async throws -> [ScorecardView.Assessment]
    {
        var result: [ScorecardView.Assessment] = []
        for try await row in try await connection.query(
            """
            SELECT DISTINCT ON (month) assessment_id, assessed_by, recorded_at, self_development, marketing_ability,
                learning_ability, target_completion, compliance, service_quality, comment
            FROM assessments
            WHERE staff_id = \(staffID) AND month BETWEEN \(from.description) AND \(through.description)
                AND (\(id)::text IS NULL OR assessment_id = \(id))
            ORDER BY month DESC, recorded_at DESC, assessment_id DESC
            """,
            logger: context.logger
        ) {
            let (id, by, at, a, b, c, d, e, f, comment) = try row.decode(
                (String, String, Date, Int32, Int32, Int32, Int32, Int32, Int32, String?).self)
            result.append(
                .init(
                    assessmentId: id, assessedBy: by, recordedAt: context.calendar.localized(at),
                    items: .init(
                        selfDevelopment: Int(a), marketingAbility: Int(b), learningAbility: Int(c),
                        targetCompletion: Int(d), compliance: Int(e), serviceQuality: Int(f)),
                    comment: comment))
        }
        return result
    }

    /// G-02's annual evaluation, the year to date: the simulated-profit score is the manager's percentile rank among
    /// the peers of the same branch and role (at least two needed); each qualitative item is the mean of the year's
    /// monthly assessments. The composite is the weighted mean of the scored components.
    func annual(staffID: String, staff: (branch: String, role: String)?, month: Month) async throws
        -> ScorecardView.Annual
    {
        let ytd = try await profit(manager: staffID, from: month.january.first, to: month.last)
        var peers = 0
        var profitScore: Double?
        if let staff {
            let ranks = try await context.postgres.query(
                """
                WITH peers AS (
                    SELECT staff_id FROM staff WHERE branch_id = \(staff.branch) AND role = \(staff.role)
                        AND (status IN ('active', 'on_leave') OR staff_id = \(staffID))
                ), totals AS (
                    SELECT p.staff_id, COALESCE(SUM(s.deposit_profit + s.wealth_profit + s.fee_income), 0) AS total
                    FROM peers p LEFT JOIN sales s ON s.manager_id = p.staff_id
                        AND s.sold_date BETWEEN \(month.january.first.description)::date
                            AND \(month.last.description)::date
                    GROUP BY p.staff_id
                ), me AS (SELECT total FROM totals WHERE staff_id = \(staffID))
                SELECT count(*) FILTER (WHERE t.total < me.total), count(*) FILTER (WHERE t.total = me.total), count(*)
                FROM totals t, me
                """,
                logger: context.logger
            ).collect().first!.decode((Int64, Int64, Int64).self)
            peers = Int(ranks.2)
            if peers >= 2 { profitScore = Self.percentile(below: Int(ranks.0), equal: Int(ranks.1), of: peers) }
        }
        let assessments = try await latestAssessments(staffID: staffID, from: month.january, through: month)
        var components = [
            ScorecardView.Component(
                name: "simulatedProfit", score: profitScore, weight: settings.weights.values["simulatedProfit"] ?? 1)
        ]
        for name in AssessmentRecorded.V1.Items.names {
            let scores = assessments.compactMap { $0.items.score(named: name) }
            let mean = scores.isEmpty ? nil : (Double(scores.reduce(0, +)) * 10 / Double(scores.count)).rounded() / 10
            components.append(.init(name: name, score: mean, weight: settings.weights.values[name] ?? 1))
        }
        let scored = components.filter { $0.weight > 0 && $0.score != nil }
        let weight = scored.reduce(0) { $0 + $1.weight }
        let composite =
            weight > 0 ? (scored.reduce(0) { $0 + $1.weight * ($1.score ?? 0) } * 10 / weight).rounded() / 10 : nil
        let missing = components.filter { $0.weight > 0 && $0.score == nil }.map(\.name)
        return .init(
            year: month.year, throughMonth: month.description, simulatedProfit: ytd.total, peers: peers,
            components: components, composite: composite, complete: missing.isEmpty, missing: missing)
    }
}
