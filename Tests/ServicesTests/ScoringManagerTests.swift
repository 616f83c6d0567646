import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Scoring

/// Manager scorecards (G-01 simulated profit, E-03 / G-06 activity and cadence, tasks, walk-ins, complaints, H-04
/// breaches, G-02 assessments and the annual composite), centre indicators (A-15, A-07, G-07) and the end-of-day /
/// end-of-month publications (C-10), each on a small example computed by hand.
///
/// Calendar: Asia/Shanghai, Saturday and Sunday off, no holidays. October 2026 starts on a Thursday: 1–2, 5–9,
/// 12–16, 19–23, 26–30 are its working days, 2 + 4 × 5 = 22. November 2026 starts on a Sunday: 2–6, 9–13, 16–20,
/// 23–27 and 30, 4 × 5 + 1 = 21.
@Suite("Scoring: managers, centre indicators and publication", .serialized, .timeLimit(.minutes(3)))
struct ScoringManagerTests {
    typealias Harness = ServiceHarness<ScoringService>
    typealias Counts = ScoringService.ScorecardView.Counts
    typealias CadenceCustomer = ScoringService.ScorecardView.CadenceCustomer

    /// The statuses the service answers with (spelled through `APIError` and the status's description, as this
    /// file does not import HTTPTypes).
    private static let unprocessable = APIError.unprocessable("", error: "").status
    private static let conflict = APIError.conflict("").status
    private static let created = "201 Created"
    private static let ok = "200 OK"

    private static let october = Month("2026-10")!
    private static let november = Month("2026-11")!

    // MARK: - Events

    private func member(
        _ staffID: String, _ role: StaffRole = .wealthManager, branch: String = "SH001", status: StaffStatus = .active,
        effectiveAt: String = "2026-01-05T09:00:00+08:00"
    ) throws -> StaffUpdated.V1 {
        StaffUpdated.V1(
            staffId: staffID, branchId: branch, role: role, status: status, effectiveAt: try ts(effectiveAt))
    }

    private func yuan(_ text: String?) throws -> Amount? {
        guard let text else { return nil }
        return try Amount(parsing: text)
    }

    private func sale(
        _ saleID: String, manager: String?, customer: String = "C-SALE", type: ProductType = .deposit,
        deposit: String? = nil, wealth: String? = nil, fee: String? = nil, at: String,
        risk: ProductSold.V1.RiskAssessment? = nil
    ) throws -> ProductSold.V1 {
        ProductSold.V1(
            saleId: saleID, customerId: customer, managerId: manager, productType: type, amount: Amount(units: 10_000),
            depositProfit: try yuan(deposit), wealthProfit: try yuan(wealth), feeIncome: try yuan(fee), at: try ts(at),
            riskAssessment: risk)
    }

    private func contact(
        _ activityID: String, _ customer: String, by manager: String, _ kind: ContactKind, proactive: Bool, at: String
    ) throws -> ContactLogged.V1 {
        ContactLogged.V1(
            activityId: activityID, customerId: customer, managerId: manager, kind: kind, proactive: proactive,
            at: try ts(at))
    }

    private func assign(_ customer: String, to manager: String, branch: String = "SH001", at: String) throws
        -> ManagerAssigned.V1
    {
        ManagerAssigned.V1(
            customerId: customer, managerId: manager, branchId: branch, serviceTeam: [manager], reason: .new,
            at: try ts(at))
    }

    private func profile(
        _ customer: String, aum: Int64, branch: String = "SH001", asOf: String = "2026-01-02",
        derivativesExperience: Bool? = nil
    ) throws -> CustomerProfile.V1 {
        CustomerProfile.V1(
            customerId: customer, homeBranchId: branch, aumDailyAvg: Amount(units: aum), asOf: try day(asOf),
            derivativesExperience: derivativesExperience)
    }

    private func scheduled(_ taskID: String, manager: String, due: String) throws -> TaskScheduled.V1 {
        TaskScheduled.V1(
            taskId: taskID, customerId: "C-\(taskID)", managerId: manager, kind: .followUp, dueAt: try ts(due),
            ruleId: "E-03", sourceEventId: "source-\(taskID)")
    }

    private func completed(_ taskID: String, manager: String, at: String, onTime: Bool) throws -> TaskCompleted.V1 {
        TaskCompleted.V1(
            taskId: taskID, customerId: "C-\(taskID)", managerId: manager, kind: .followUp, completedAt: try ts(at),
            onTime: onTime)
    }

    private func reassigned(_ taskID: String, from: String, to: String, at: String) throws -> TaskReassigned.V1 {
        TaskReassigned.V1(
            taskId: taskID, customerId: "C-\(taskID)", fromManagerId: from, toManagerId: to, reason: "leave",
            at: try ts(at))
    }

    private func routed(
        _ referralID: String, to manager: String, branch: String? = "SH001", classification: Classification? = .vip,
        at: String
    ) throws -> ReferralRouted.V1 {
        ReferralRouted.V1(
            referralId: referralID, visitId: "V-\(referralID)", customerId: "C-\(referralID)", managerId: manager,
            at: try ts(at), branchId: branch, tier: .a, classification: classification)
    }

    private func identified(
        _ visitID: String, by staffID: String, role: StaffRole?, branch: String = "SH001",
        classification: Classification = .vip, at: String
    ) throws -> CustomerIdentified.V1 {
        CustomerIdentified.V1(
            visitId: visitID, branchId: branch, customerId: "C-\(visitID)", classification: classification,
            tier: classification == .vip ? .a : nil, basis: classification == .vip ? .aum : .signals,
            reasons: ["test"], identifiedBy: staffID, identifiedByRole: role, at: try ts(at))
    }

    private func opened(
        _ caseID: String, source: CaseSource = .branch, customer: String? = nil, branch: String? = "SH001",
        receivedAt: String
    ) throws -> CaseOpened.V1 {
        let received = try ts(receivedAt)
        return CaseOpened.V1(
            caseId: caseID, source: source, externalRef: "REF-\(caseID)", customerId: customer, branchId: branch,
            category: "service", severity: .normal, replyDueAt: received.adding(milliseconds: 3 * 86_400_000),
            level: .frontLine, receivedAt: received, resolvedOnSpot: false)
    }

    private func escalated(_ caseID: String, at: String) throws -> CaseEscalated.V1 {
        CaseEscalated.V1(
            caseId: caseID, fromLevel: .frontLine, toLevel: .centreHead, reason: "beyond the front line",
            at: try ts(at))
    }

    private func resolved(_ caseID: String, at: String) throws -> CaseResolved.V1 {
        CaseResolved.V1(caseId: caseID, resolution: "answered", at: try ts(at), onTime: true, by: "LM1")
    }

    private func reopened(_ caseID: String, at: String) throws -> CaseReopened.V1 {
        let instant = try ts(at)
        return CaseReopened.V1(
            caseId: caseID, by: "LM1", at: instant, replyDueAt: instant.adding(milliseconds: 3 * 86_400_000))
    }

    // MARK: - Assessments

    private func items(_ sd: Int, _ ma: Int, _ la: Int, _ tc: Int, _ co: Int, _ sq: Int) -> [String: Int] {
        [
            "selfDevelopment": sd, "marketingAbility": ma, "learningAbility": la, "targetCompletion": tc,
            "compliance": co, "serviceQuality": sq,
        ]
    }

    private func request(
        _ assessmentID: String?, month: String?, by assessor: String? = "HEAD1", items: [String: Int]?,
        comment: String? = nil
    ) -> ScoringService.AssessmentRequest {
        ScoringService.AssessmentRequest(
            assessmentId: assessmentID, month: month, assessedBy: assessor, items: items, comment: comment)
    }

    /// The `APIError` a refused assessment throws (`nil` when it was accepted or failed otherwise).
    private func refusal(_ harness: Harness, _ staffID: String, _ body: ScoringService.AssessmentRequest) async
        -> APIError?
    {
        do {
            _ = try await harness.service.recordAssessment(staffID: staffID, body)
            return nil
        } catch let error as APIError {
            return error
        } catch {
            return nil
        }
    }

    private func record(_ harness: Harness, _ staffID: String, _ body: ScoringService.AssessmentRequest) async throws
        -> (status: String, view: ScoringService.AssessmentView)
    {
        let (status, view) = try await harness.service.recordAssessment(staffID: staffID, body)
        return (String(describing: status), view)
    }

    // MARK: - Published events

    private func scorecards(_ harness: Harness, month: String) async throws -> [ScorecardPublished.V1] {
        try await harness.allEmitted().payloads(ScorecardPublished.V1.self).filter { $0.month == month }
    }

    private func dailyStats(_ harness: Harness) async throws -> [BranchDailyStats.V1] {
        try await harness.allEmitted().payloads(BranchDailyStats.V1.self)
    }

    // MARK: - G-01 simulated profit

    @Test("G-01 G-02 a staff id neither in the directory nor named by any event is a 404, not a scorecard of zeros")
    func unknownManager() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let now = try ts("2026-11-10T10:00:00.000+08:00")
            await #expect(throws: APIError.self) {
                try await harness.service.scorecard(staffID: "NOBODY", month: Self.october, now: now)
            }
            // In the directory: a scorecard of zeros is the true answer.
            try await harness.deliver(
                StaffUpdated.V1(
                    staffId: "LISTED", branchId: "SH001", role: .wealthManager, status: .active,
                    effectiveAt: try ts("2026-01-01T09:00:00.000+08:00")))
            let listed = try await harness.service.scorecard(staffID: "LISTED", month: Self.october, now: now)
            #expect(listed.simulatedProfit.total == .zero)
            #expect(listed.branchId == "SH001")
            // Named by an event (a November call) though not in the directory: known, October is zeros.
            try await harness.deliver(
                ContactLogged.V1(
                    activityId: "A-404", customerId: "C-404", managerId: "NOBODY", kind: .call, proactive: true,
                    at: try ts("2026-11-02T10:00:00.000+08:00")))
            let october = try await harness.service.scorecard(staffID: "NOBODY", month: Self.october, now: now)
            #expect(october.activity.contacts == 0)
            #expect(october.branchId == nil)
            let november = try await harness.service.scorecard(staffID: "NOBODY", month: Month("2026-11")!, now: now)
            #expect(november.activity.contacts == 1)
        }
    }

    @Test("G-01 simulated profit is the sum of the three parts of the manager's sales, negatives included, no manager credited for a sale without managerId")
    func simulatedProfit() async throws {
        try await Harness.run { harness in
            let first = try sale("S1", manager: "WM1", deposit: "1200.50", at: "2026-10-08T10:00:00+08:00")
            try await harness.deliver(first)
            try await harness.deliver(
                try sale(
                    "S2", manager: "WM1", type: .insurance, wealth: "800.25", fee: "150.00",
                    at: "2026-10-15T11:00:00+08:00"))
            // A loss-making sale: both profits negative.
            try await harness.deliver(
                try sale("S3", manager: "WM1", deposit: "-300.75", wealth: "-50.00", at: "2026-10-20T09:30:00+08:00"))
            // Nobody's: no managerId. Another manager's.
            try await harness.deliver(try sale("S8", manager: nil, deposit: "7777.00", at: "2026-10-10T10:00:00+08:00"))
            try await harness.deliver(
                try sale("S9", manager: "WM2", deposit: "333.00", at: "2026-10-10T10:00:00+08:00"))
            // The same sale under another event id (a producer's retry) is one sale.
            try await harness.deliver(first)

            let now = try ts("2026-11-10T12:00:00+08:00")
            let card = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            // deposit 1200.50 + (−300.75) = 899.75
            #expect(card.simulatedProfit.depositProfit == Amount(minorUnits: 89_975))
            // wealth 800.25 + (−50.00) = 750.25
            #expect(card.simulatedProfit.wealthProfit == Amount(minorUnits: 75_025))
            // fee 150.00
            #expect(card.simulatedProfit.feeIncome == Amount(minorUnits: 15_000))
            // total 899.75 + 750.25 + 150.00 = 1800.00, from S1, S2, S3
            #expect(card.simulatedProfit.total == Amount(minorUnits: 180_000))
            #expect(card.simulatedProfit.sales == 3)

            let other = try await harness.service.scorecard(staffID: "WM2", month: Self.october, now: now)
            #expect(other.simulatedProfit.total == Amount(minorUnits: 33_300))
            #expect(other.simulatedProfit.sales == 1)

            // S8's 7777.00 is nobody's: 1800.00 + 333.00 is all the credited profit of the month.
            let credited = try await scalar(
                harness.client, "SELECT count(*) FROM sales WHERE manager_id IS NOT NULL")
            #expect(credited == 4)
            let kpis = ScoringService.kpis(of: card)
            #expect(kpis["simulatedProfit.total"] == "1800.00")
            #expect(kpis["simulatedProfit.depositProfit"] == "899.75")
        }
    }

    @Test("G-01 months are Shanghai calendar months: 23:30+08:00 on 31 October is October's, 16:30Z on 31 October (00:30 on 1 November) is November's")
    func simulatedProfitMonthEdges() async throws {
        try await Harness.run { harness in
            // October: 23:30 on the 31st in Shanghai.
            try await harness.deliver(try sale("E1", manager: "WM1", fee: "99.99", at: "2026-10-31T23:30:00+08:00"))
            // November: 16:30Z on the 31st is 00:30 on 1 November in Shanghai.
            try await harness.deliver(try sale("E2", manager: "WM1", deposit: "1000.00", at: "2026-10-31T16:30:00Z"))
            // October: 16:30Z on 30 September is 00:30 on 1 October in Shanghai.
            try await harness.deliver(try sale("E3", manager: "WM1", wealth: "10.01", at: "2026-09-30T16:30:00Z"))
            // September: 23:59 on the 30th in Shanghai, and 00:10 on 1 October at +09:00 (23:10 on the 30th).
            try await harness.deliver(
                try sale("E4", manager: "WM1", deposit: "5000.00", at: "2026-09-30T23:59:00+08:00"))
            try await harness.deliver(try sale("E5", manager: "WM1", deposit: "20.00", at: "2026-10-01T00:10:00+09:00"))

            let now = try ts("2026-12-10T12:00:00+08:00")
            let october = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            // E1 + E3: fee 99.99, wealth 10.01, total 110.00.
            #expect(october.simulatedProfit.depositProfit == .zero)
            #expect(october.simulatedProfit.wealthProfit == Amount(minorUnits: 1_001))
            #expect(october.simulatedProfit.feeIncome == Amount(minorUnits: 9_999))
            #expect(october.simulatedProfit.total == Amount(minorUnits: 11_000))
            #expect(october.simulatedProfit.sales == 2)
            let november = try await harness.service.scorecard(staffID: "WM1", month: Self.november, now: now)
            #expect(november.simulatedProfit.total == Amount(minorUnits: 100_000))
            #expect(november.simulatedProfit.sales == 1)
            let september = try await harness.service.scorecard(
                staffID: "WM1", month: Month("2026-09")!, now: now)
            // E4 + E5: 5000.00 + 20.00.
            #expect(september.simulatedProfit.total == Amount(minorUnits: 502_000))
            #expect(september.simulatedProfit.sales == 2)
            // The year to date: through October 5020.00 + 110.00 = 5130.00; through November + 1000.00 = 6130.00.
            #expect(october.annual.simulatedProfit == Amount(minorUnits: 513_000))
            #expect(november.annual.simulatedProfit == Amount(minorUnits: 613_000))
        }
    }

    // MARK: - E-03 / G-06 activity

    /// 22 contacts by WM1 on 1 and 2 October 2026: 8 proactive calls + 4 proactive messages (12 proactive);
    /// 3 meetings (proactive, but meetings are not "proactive contacts") + 3 visits (6 meetings); 2 calls and 2
    /// messages the customer started (one of them at 16:30Z on 30 September, 00:30 on 1 October in Shanghai). Then
    /// two that are not WM1's October: another manager's, and one at 23:30 on 30 September in Shanghai.
    private func deliverActivity(_ harness: Harness) async throws {
        var plan: [(ContactKind, Bool, String)] = []
        plan += Array(repeating: (.call, true, "2026-10-01T10:00:00+08:00"), count: 8)
        plan += Array(repeating: (.message, true, "2026-10-02T10:00:00+08:00"), count: 4)
        plan += Array(repeating: (.meeting, true, "2026-10-01T15:00:00+08:00"), count: 3)
        plan += Array(repeating: (.visit, false, "2026-10-02T15:00:00+08:00"), count: 3)
        plan += [
            (.call, false, "2026-09-30T16:30:00Z"), (.call, false, "2026-10-02T17:00:00+08:00"),
            (.message, false, "2026-10-01T18:00:00+08:00"), (.message, false, "2026-10-02T18:00:00+08:00"),
        ]
        #expect(plan.count == 22)
        for (index, (kind, proactive, at)) in plan.enumerated() {
            try await harness.deliver(
                try contact("ACT-\(index)", "C-\(index % 5)", by: "WM1", kind, proactive: proactive, at: at))
        }
        try await harness.deliver(
            try contact("ACT-WM2", "C-1", by: "WM2", .call, proactive: true, at: "2026-10-01T10:00:00+08:00"))
        try await harness.deliver(
            try contact("ACT-SEP", "C-1", by: "WM1", .call, proactive: true, at: "2026-09-30T23:30:00+08:00"))
    }

    @Test("E-03 G-06 activity: contacts, proactive (calls and messages), meetings (meetings and visits) per working day against 11/6/3, working days counted up to now in the current month")
    func activityNorms() async throws {
        try await Harness.run { harness in
            try await deliverActivity(harness)

            // Friday 2 October, evening: working days so far 1 and 2 October = 2.
            let friday = try await harness.service.scorecard(
                staffID: "WM1", month: Self.october, now: try ts("2026-10-02T20:00:00+08:00"))
            #expect(friday.period.from == (try day("2026-10-01")))
            #expect(friday.period.to == (try day("2026-10-31")))
            #expect(friday.period.workingDays == 2)
            #expect(friday.period.closed == false)
            #expect(friday.activity.contacts == 22)
            #expect(friday.activity.proactiveContacts == 12)
            #expect(friday.activity.meetings == 6)
            // 22 ÷ 2 = 11.00, 12 ÷ 2 = 6.00, 6 ÷ 2 = 3.00: exactly the norm, which is met ("at least").
            #expect(friday.activity.perWorkingDay == .init(contacts: 11, proactive: 6, meetings: 3))
            #expect(friday.activity.norm == .init(contacts: 11, proactive: 6, meetings: 3))
            #expect(friday.activity.normMet == ["contacts": true, "proactive": true, "meetings": true])

            // Sunday 4 October: the weekend adds no working day, still 2.
            let sunday = try await harness.service.scorecard(
                staffID: "WM1", month: Self.october, now: try ts("2026-10-04T12:00:00+08:00"))
            #expect(sunday.period.workingDays == 2)
            #expect(sunday.activity.normMet == ["contacts": true, "proactive": true, "meetings": true])

            // Monday 5 October: 3 working days. 22 ÷ 3 = 7.33, 12 ÷ 3 = 4.00, 6 ÷ 3 = 2.00; 22 < 33, 12 < 18, 6 < 9.
            let monday = try await harness.service.scorecard(
                staffID: "WM1", month: Self.october, now: try ts("2026-10-05T09:00:00+08:00"))
            #expect(monday.period.workingDays == 3)
            #expect(monday.activity.perWorkingDay == .init(contacts: 7.33, proactive: 4, meetings: 2))
            #expect(monday.activity.normMet == ["contacts": false, "proactive": false, "meetings": false])

            // October over: 22 working days. 22 ÷ 22 = 1.00, 12 ÷ 22 = 0.545… → 0.55, 6 ÷ 22 = 0.272… → 0.27.
            let closed = try await harness.service.scorecard(
                staffID: "WM1", month: Self.october, now: try ts("2026-11-10T12:00:00+08:00"))
            #expect(closed.period.workingDays == 22)
            #expect(closed.period.closed)
            #expect(closed.activity.contacts == 22)
            #expect(closed.activity.perWorkingDay == .init(contacts: 1, proactive: 0.55, meetings: 0.27))
            #expect(closed.activity.normMet == ["contacts": false, "proactive": false, "meetings": false])

            // November over: 21 working days (none of these contacts).
            let november = try await harness.service.scorecard(
                staffID: "WM1", month: Self.november, now: try ts("2026-12-10T12:00:00+08:00"))
            #expect(november.period.workingDays == 21)
            #expect(november.activity.contacts == 0)
            #expect(november.activity.perWorkingDay == .init(contacts: 0, proactive: 0, meetings: 0))

            // A month not begun: no working day yet, so no rate and no verdict.
            let ahead = try await harness.service.scorecard(
                staffID: "WM1", month: Self.november, now: try ts("2026-10-05T09:00:00+08:00"))
            #expect(ahead.period.workingDays == 0)
            #expect(ahead.activity.perWorkingDay == .init(contacts: nil, proactive: nil, meetings: nil))
            #expect(ahead.activity.normMet.isEmpty)

            // WM2's single proactive call.
            let other = try await harness.service.scorecard(
                staffID: "WM2", month: Self.october, now: try ts("2026-10-02T20:00:00+08:00"))
            #expect(other.activity.contacts == 1)
            #expect(other.activity.proactiveContacts == 1)
            #expect(other.activity.meetings == 0)
            #expect(other.activity.normMet == ["contacts": false, "proactive": false, "meetings": false])
        }
    }

    @Test("E-03 G-06 the daily norms are settings: SCORING_NORM_CONTACTS_PER_DAY 12, _PROACTIVE_PER_DAY 6, _MEETINGS_PER_DAY 4")
    func activityNormSettings() async throws {
        let environment = [
            "SCORING_NORM_CONTACTS_PER_DAY": "12", "SCORING_NORM_PROACTIVE_PER_DAY": "6",
            "SCORING_NORM_MEETINGS_PER_DAY": "4",
        ]
        try await Harness.run(environment: environment) { harness in
            try await deliverActivity(harness)
            let card = try await harness.service.scorecard(
                staffID: "WM1", month: Self.october, now: try ts("2026-10-02T20:00:00+08:00"))
            #expect(card.activity.norm == .init(contacts: 12, proactive: 6, meetings: 4))
            // 2 working days: contacts 22 < 12 × 2 = 24; proactive 12 ≥ 6 × 2 = 12; meetings 6 < 4 × 2 = 8.
            #expect(card.activity.normMet == ["contacts": false, "proactive": true, "meetings": false])
            let kpis = ScoringService.kpis(of: card)
            #expect(kpis["activity.normMet.contacts"] == "false")
            #expect(kpis["activity.normMet.proactive"] == "true")
            #expect(kpis["activity.contactsPerWorkingDay"] == "11.0")
        }
    }

    // MARK: - E-03 cadence

    /// Profiles (B-03 by assets), WM1's and WM2's books, and the contacts of 2026 (see the test for the figures).
    private func deliverCadence(_ harness: Harness) async throws {
        for (customer, aum) in [
            ("CA", 500_000), ("CB", 1_500_000), ("CC", 3_000_000), ("CD", 1_000_000), ("CN", 100_000),
            ("CZ", 300_000), ("CX", 800_000), ("CY", 600_000),
        ] as [(String, Int64)] {
            try await harness.deliver(try profile(customer, aum: aum))
        }
        // CX was handed to WM2 on 15 September; the handover is read before the first assignment.
        try await harness.deliver(try assign("CX", to: "WM2", at: "2026-09-15T10:00:00+08:00"))
        try await harness.deliver(try assign("CX", to: "WM1", at: "2026-03-01T10:00:00+08:00"))
        try await harness.deliver(try assign("CA", to: "WM1", at: "2026-02-01T10:00:00+08:00"))
        try await harness.deliver(try assign("CB", to: "WM1", at: "2026-01-10T10:00:00+08:00"))
        // At 23:00 on the month's last day: in October's book.
        try await harness.deliver(try assign("CC", to: "WM1", at: "2026-10-31T23:00:00+08:00"))
        try await harness.deliver(try assign("CD", to: "WM1", at: "2026-04-01T10:00:00+08:00"))
        try await harness.deliver(try assign("CN", to: "WM1", at: "2026-01-20T10:00:00+08:00"))
        // CZ moves from WM2 to WM1 on 20 October.
        try await harness.deliver(try assign("CZ", to: "WM2", at: "2026-01-05T10:00:00+08:00"))
        try await harness.deliver(try assign("CZ", to: "WM1", at: "2026-10-20T10:00:00+08:00"))
        // 00:30 on 1 November in Shanghai: after October's end.
        try await harness.deliver(try assign("CY", to: "WM1", at: "2026-10-31T16:30:00Z"))

        var contacts: [(String, String, ContactKind, Bool, String)] = [
            // CA: 3 proactive, 1 meeting (by WM2, covering), 1 other = 5 services.
            ("CA", "WM1", .call, true, "2026-01-15T10:00:00+08:00"),
            ("CA", "WM1", .call, true, "2026-03-03T10:00:00+08:00"),
            ("CA", "WM1", .message, true, "2026-05-06T10:00:00+08:00"),
            ("CA", "WM2", .meeting, false, "2026-06-10T10:00:00+08:00"),
            ("CA", "WM1", .message, false, "2026-07-01T10:00:00+08:00"),
            // Not 2026 through October: last December, and 2 November.
            ("CA", "WM1", .call, true, "2025-12-20T10:00:00+08:00"),
            ("CA", "WM1", .meeting, true, "2026-11-02T10:00:00+08:00"),
            // CX: one proactive call while WM1's.
            ("CX", "WM1", .call, true, "2026-04-02T10:00:00+08:00"),
            // CN: one proactive call.
            ("CN", "WM1", .call, true, "2026-10-14T10:00:00+08:00"),
        ]
        // CB: 6 proactive calls (January–June), 2 meetings (July, August), 1 call the customer made (September).
        for month in 1...6 {
            contacts.append(("CB", "WM1", .call, true, String(format: "2026-%02d-15T10:00:00+08:00", month)))
        }
        contacts.append(("CB", "WM1", .meeting, true, "2026-07-10T10:00:00+08:00"))
        contacts.append(("CB", "WM1", .meeting, true, "2026-08-10T10:00:00+08:00"))
        contacts.append(("CB", "WM1", .call, false, "2026-09-10T10:00:00+08:00"))
        // CC: 8 proactive messages (February–September), 2 visits (5 and 6 October).
        for month in 2...9 {
            contacts.append(("CC", "WM2", .message, true, String(format: "2026-%02d-05T10:00:00+08:00", month)))
        }
        contacts.append(("CC", "WM1", .visit, false, "2026-10-05T10:00:00+08:00"))
        contacts.append(("CC", "WM1", .visit, false, "2026-10-06T10:00:00+08:00"))
        // CD: 10 proactive calls (January–October), no meeting.
        for month in 1...10 {
            contacts.append(("CD", "WM1", .call, true, String(format: "2026-%02d-12T10:00:00+08:00", month)))
        }
        for (index, (customer, manager, kind, proactive, at)) in contacts.enumerated() {
            try await harness.deliver(
                try contact("CAD-\(index)", customer, by: manager, kind, proactive: proactive, at: at))
        }
    }

    @Test("E-03 cadence: the book at the month's end from manager-assigned, tier from the profile, contacts by anybody since 1 January against ⌊target × month ÷ 12⌋ of 6-4-2 / 12-4-2")
    func cadence() async throws {
        try await Harness.run { harness in
            try await deliverCadence(harness)
            let now = try ts("2026-11-10T12:00:00+08:00")

            let card = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            let cadence = card.cadence
            // The book on 31 October: CA, CB, CC (assigned 23:00 on the 31st), CD, CN, CZ (taken over on the 20th);
            // not CX (handed to WM2 in September), not CY (assigned at 00:30 on 1 November).
            #expect(cadence.items.map(\.customerId) == ["CA", "CB", "CC", "CD", "CN", "CZ"])
            #expect(cadence.year == 2026)
            #expect(cadence.customers == 6)
            #expect(cadence.withoutTier == 1)
            // October (m = 10): A ⌊6×10/12⌋ = 5, ⌊4×10/12⌋ = 3, ⌊2×10/12⌋ = 1; B and C ⌊12×10/12⌋ = 10, 3, 1.
            let tierA = Counts(contacts: 5, proactive: 3, meetings: 1)
            let tierBC = Counts(contacts: 10, proactive: 3, meetings: 1)
            let byID = Dictionary(uniqueKeysWithValues: cadence.items.map { ($0.customerId, $0) })
            // CA (A): 5 services ≥ 5, 3 proactive ≥ 3, 1 meeting ≥ 1 (WM2's) → on track.
            #expect(
                byID["CA"]
                    == CadenceCustomer(
                        customerId: "CA", tier: .a, services: 5, proactive: 3, meetings: 1, expected: tierA,
                        onTrack: true))
            // CB (B): 6 + 2 + 1 = 9 services < 10 → behind.
            #expect(
                byID["CB"]
                    == CadenceCustomer(
                        customerId: "CB", tier: .b, services: 9, proactive: 6, meetings: 2, expected: tierBC,
                        onTrack: false))
            // CC (C): 8 + 2 = 10 services, 8 proactive (WM2's messages), 2 visits → on track.
            #expect(
                byID["CC"]
                    == CadenceCustomer(
                        customerId: "CC", tier: .c, services: 10, proactive: 8, meetings: 2, expected: tierBC,
                        onTrack: true))
            // CD (B at exactly 1,000,000): 10 calls but no meeting (0 < 1) → behind.
            #expect(
                byID["CD"]
                    == CadenceCustomer(
                        customerId: "CD", tier: .b, services: 10, proactive: 10, meetings: 0, expected: tierBC,
                        onTrack: false))
            // CN: 100,000 and no card, no tier: listed, not counted.
            #expect(
                byID["CN"]
                    == CadenceCustomer(
                        customerId: "CN", tier: nil, services: 1, proactive: 1, meetings: 0, expected: nil,
                        onTrack: nil))
            // CZ (A at exactly 300,000): nothing yet → behind.
            #expect(
                byID["CZ"]
                    == CadenceCustomer(
                        customerId: "CZ", tier: .a, services: 0, proactive: 0, meetings: 0, expected: tierA,
                        onTrack: false))
            // On track: CA and CC of the 5 with a tier → 2 ÷ 5 = 40.0 %.
            #expect(cadence.onTrack == 2)
            #expect(cadence.onTrackPercent == 40.0)

            // WM2's book on 31 October: CX only (CZ left it on the 20th). 1 service vs 5/3/1 → behind, 0.0 %.
            let other = try await harness.service.scorecard(staffID: "WM2", month: Self.october, now: now).cadence
            #expect(other.items.map(\.customerId) == ["CX"])
            #expect(other.items.first?.services == 1)
            #expect(other.items.first?.onTrack == false)
            #expect(other.onTrack == 0)
            #expect(other.onTrackPercent == 0.0)

            // June (m = 6): the book on 30 June holds CX (WM1's from March to September), not CC, CZ nor CY.
            // A expects ⌊6×6/12⌋ = 3, ⌊4×6/12⌋ = 2, ⌊2×6/12⌋ = 1; B ⌊12×6/12⌋ = 6, 2, 1.
            let june = try await harness.service.scorecard(staffID: "WM1", month: Month("2026-06")!, now: now).cadence
            #expect(june.items.map(\.customerId) == ["CA", "CB", "CD", "CN", "CX"])
            let juneByID = Dictionary(uniqueKeysWithValues: june.items.map { ($0.customerId, $0) })
            // CA through June: calls 15 Jan, 3 Mar, message 6 May, meeting 10 Jun = 4 services, 3, 1 → on track.
            #expect(juneByID["CA"]?.services == 4)
            #expect(juneByID["CA"]?.expected == Counts(contacts: 3, proactive: 2, meetings: 1))
            #expect(juneByID["CA"]?.onTrack == true)
            // CB: 6 calls, no meeting yet → behind; CD: 6 calls, no meeting → behind; CX: 1 call → behind.
            #expect(juneByID["CB"]?.expected == Counts(contacts: 6, proactive: 2, meetings: 1))
            #expect(juneByID["CB"]?.services == 6)
            #expect(juneByID["CB"]?.onTrack == false)
            #expect(juneByID["CD"]?.onTrack == false)
            #expect(juneByID["CX"]?.onTrack == false)
            // 1 of 4 with a tier → 25.0 %.
            #expect(june.customers == 5)
            #expect(june.withoutTier == 1)
            #expect(june.onTrack == 1)
            #expect(june.onTrackPercent == 25.0)
        }
    }

    // MARK: - Tasks

    @Test("E-03 tasks due in the month: done on time, late, open and overdue at now; a reassigned task is the new manager's; a completion read before the scheduling still counts")
    func tasks() async throws {
        try await Harness.run { harness in
            try await harness.deliver(try scheduled("T1", manager: "WM1", due: "2026-10-05T17:00:00+08:00"))
            try await harness.deliver(
                try completed("T1", manager: "WM1", at: "2026-10-05T16:00:00+08:00", onTime: true))
            try await harness.deliver(try scheduled("T2", manager: "WM1", due: "2026-10-06T17:00:00+08:00"))
            try await harness.deliver(
                try completed("T2", manager: "WM1", at: "2026-10-08T10:00:00+08:00", onTime: false))
            try await harness.deliver(try scheduled("T3", manager: "WM1", due: "2026-10-10T17:00:00+08:00"))
            try await harness.deliver(try scheduled("T4", manager: "WM1", due: "2026-10-28T17:00:00+08:00"))
            // T5 moves to WM2.
            try await harness.deliver(try scheduled("T5", manager: "WM1", due: "2026-10-08T17:00:00+08:00"))
            try await harness.deliver(try reassigned("T5", from: "WM1", to: "WM2", at: "2026-10-07T09:00:00+08:00"))
            // T6: the completion is read first.
            try await harness.deliver(
                try completed("T6", manager: "WM1", at: "2026-10-12T09:00:00+08:00", onTime: true))
            try await harness.deliver(try scheduled("T6", manager: "WM1", due: "2026-10-12T17:00:00+08:00"))
            // T7: due in November.
            try await harness.deliver(try scheduled("T7", manager: "WM1", due: "2026-11-02T17:00:00+08:00"))
            // T8: due 16:30Z on 30 September = 00:30 on 1 October in Shanghai, done on time.
            try await harness.deliver(try scheduled("T8", manager: "WM1", due: "2026-09-30T16:30:00Z"))
            try await harness.deliver(try completed("T8", manager: "WM1", at: "2026-09-30T16:00:00Z", onTime: true))
            // T9: reassigned from WM2 to WM1, the reassignment read before the scheduling.
            try await harness.deliver(try reassigned("T9", from: "WM2", to: "WM1", at: "2026-10-09T09:00:00+08:00"))
            try await harness.deliver(try scheduled("T9", manager: "WM2", due: "2026-10-22T17:00:00+08:00"))

            // WM1 on 20 October: due T1, T2, T3, T4, T6, T8, T9 = 7; on time T1, T6, T8 = 3; late T2 = 1;
            // open T3, T4, T9 = 3; overdue T3 (10 October < 20 October) = 1; 3 ÷ 7 = 42.857… → 42.9 %.
            let now = try ts("2026-10-20T12:00:00+08:00")
            let tasks = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now).tasks
            #expect(
                tasks == .init(due: 7, doneOnTime: 3, doneLate: 1, open: 3, overdue: 1, onTimePercent: 42.9))
            // WM2: T5 only, open and overdue (8 October), none on time → 0.0 %.
            let other = try await harness.service.scorecard(staffID: "WM2", month: Self.october, now: now).tasks
            #expect(other == .init(due: 1, doneOnTime: 0, doneLate: 0, open: 1, overdue: 1, onTimePercent: 0))

            // Once October is over, every open task is overdue: T3, T4, T9.
            let closed = try await harness.service.scorecard(
                staffID: "WM1", month: Self.october, now: try ts("2026-11-10T12:00:00+08:00")
            ).tasks
            #expect(closed.open == 3)
            #expect(closed.overdue == 3)
            // November: T7, open, not overdue on 1 November.
            let november = try await harness.service.scorecard(
                staffID: "WM1", month: Self.november, now: try ts("2026-11-01T12:00:00+08:00")
            ).tasks
            #expect(november == .init(due: 1, doneOnTime: 0, doneLate: 0, open: 1, overdue: 0, onTimePercent: 0))
        }
    }

    // MARK: - Walk-ins and complaints

    @Test("C-10 walk-ins received in the month (VIPs and potentials apart) and F-05 complaints about the customers the manager owned when each was received")
    func walkInsAndComplaints() async throws {
        try await Harness.run { harness in
            try await harness.deliver(try routed("R1", to: "WM1", at: "2026-10-05T10:00:00+08:00"))
            try await harness.deliver(try routed("R2", to: "WM1", branch: "SH002", at: "2026-10-06T10:00:00+08:00"))
            // Classification not given: counted as a VIP, as C-10 item 1 does.
            try await harness.deliver(
                try routed("R3", to: "WM1", classification: nil, at: "2026-10-07T10:00:00+08:00"))
            try await harness.deliver(
                try routed("R4", to: "WM1", classification: .potential, at: "2026-10-08T10:00:00+08:00"))
            // No branch: not a lobby reception. 00:30 on 1 November: November's.
            try await harness.deliver(try routed("R5", to: "WM1", branch: nil, at: "2026-10-09T10:00:00+08:00"))
            try await harness.deliver(try routed("R6", to: "WM1", at: "2026-10-31T16:30:00Z"))
            try await harness.deliver(try routed("R7", to: "WM2", at: "2026-10-05T11:00:00+08:00"))

            try await harness.deliver(try assign("CX", to: "WM1", at: "2026-03-01T10:00:00+08:00"))
            try await harness.deliver(try assign("CQ", to: "WM1", at: "2026-01-10T10:00:00+08:00"))
            // K1 about CX while WM1's; K2 about CX after the handover to WM2 (read last, below).
            try await harness.deliver(try opened("K1", customer: "CX", receivedAt: "2026-10-10T10:00:00+08:00"))
            try await harness.deliver(try opened("K2", customer: "CX", receivedAt: "2026-10-20T10:00:00+08:00"))
            // K3 about CQ from the call centre (any source counts); K4 without a customer; K6 about a customer
            // nobody owns; K5 about CQ at 00:30 on 1 November in Shanghai (November's).
            try await harness.deliver(
                try opened(
                    "K3", source: .callCentre, customer: "CQ", branch: nil, receivedAt: "2026-10-12T10:00:00+08:00"))
            try await harness.deliver(try opened("K4", receivedAt: "2026-10-12T11:00:00+08:00"))
            try await harness.deliver(try opened("K6", customer: "CU", receivedAt: "2026-10-12T12:00:00+08:00"))
            try await harness.deliver(try opened("K5", customer: "CQ", receivedAt: "2026-10-31T16:30:00Z"))
            try await harness.deliver(try assign("CX", to: "WM2", at: "2026-10-15T10:00:00+08:00"))

            let now = try ts("2026-12-10T12:00:00+08:00")
            let wm1 = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            // R1, R2, R3 are VIPs; R4 a potential.
            #expect(wm1.walkIns == .init(vips: 3, potentials: 1))
            // K1 (CX, WM1's on 10 October) and K3 (CQ).
            #expect(wm1.complaintsAboutCustomers == 2)
            let wm2 = try await harness.service.scorecard(staffID: "WM2", month: Self.october, now: now)
            #expect(wm2.walkIns == .init(vips: 1, potentials: 0))
            // K2 only: K1 was received before WM2 owned CX.
            #expect(wm2.complaintsAboutCustomers == 1)
            let november = try await harness.service.scorecard(staffID: "WM1", month: Self.november, now: now)
            #expect(november.walkIns == .init(vips: 1, potentials: 0))
            #expect(november.complaintsAboutCustomers == 1)
            let kpis = ScoringService.kpis(of: wm1)
            #expect(kpis["walkIns.vips"] == "3")
            #expect(kpis["walkIns.potentials"] == "1")
            #expect(kpis["complaintsAboutCustomers"] == "2")
        }
    }

    // MARK: - H-04 on the scorecard

    @Test("H-04 G-02 the month's compliance breaches on the selling manager's scorecard, per check; a withdrawn finding no longer counts")
    func complianceOnScorecard() async throws {
        try await Harness.run { harness in
            let signedBefore = ProductSold.V1.RiskAssessment(
                assessedAt: try ts("2026-10-01T10:00:00+08:00"), signedInPerson: true, level: "R3")
            // The customer of the derivative-linked sale: no derivatives experience on 1 October.
            try await harness.deliver(
                try profile("CDV", aum: 2_000_000, asOf: "2026-10-01", derivativesExperience: false))
            // S1: a wealth sale without a risk assessment → risk_assessment_missing.
            try await harness.deliver(
                try sale("S1", manager: "WM1", customer: "CW", type: .wealth, at: "2026-10-08T10:00:00+08:00"))
            // S2: a fund sale assessed after it and not in person → not_in_person and after_sale.
            try await harness.deliver(
                try sale(
                    "S2", manager: "WM1", customer: "CW", type: .fund, at: "2026-10-09T09:00:00+08:00",
                    risk: .init(assessedAt: try ts("2026-10-09T10:00:00+08:00"), signedInPerson: false, level: "R3")))
            // S3: derivative-linked, properly assessed, but no experience on record → no_derivatives_experience.
            try await harness.deliver(
                try sale(
                    "S3", manager: "WM1", customer: "CDV", type: .derivativeLinked, at: "2026-10-12T10:00:00+08:00",
                    risk: .init(assessedAt: try ts("2026-10-11T10:00:00+08:00"), signedInPerson: true, level: "R5")))
            // No finding: a deposit without an assessment; a wealth sale assessed properly.
            try await harness.deliver(try sale("S4", manager: "WM1", customer: "CW", at: "2026-10-13T10:00:00+08:00"))
            try await harness.deliver(
                try sale(
                    "S5", manager: "WM1", customer: "CW", type: .wealth, at: "2026-10-14T10:00:00+08:00",
                    risk: signedBefore))
            // Not WM1's October: a November sale, WM2's sale, a sale without a manager.
            try await harness.deliver(
                try sale("S6", manager: "WM1", customer: "CW", type: .wealth, at: "2026-11-02T10:00:00+08:00"))
            try await harness.deliver(
                try sale("S7", manager: "WM2", customer: "CW", type: .wealth, at: "2026-10-15T10:00:00+08:00"))
            try await harness.deliver(
                try sale("S8", manager: nil, customer: "CW", type: .wealth, at: "2026-10-15T11:00:00+08:00"))

            let now = try ts("2026-11-10T12:00:00+08:00")
            let card = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            // 1 (S1) + 2 (S2) + 1 (S3) = 4.
            #expect(card.compliance.breaches == 4)
            #expect(
                card.compliance.byCheck == [
                    ComplianceCheck.riskAssessmentMissing.rawValue: 1,
                    ComplianceCheck.riskAssessmentNotInPerson.rawValue: 1,
                    ComplianceCheck.riskAssessmentAfterSale.rawValue: 1,
                    ComplianceCheck.noDerivativesExperience.rawValue: 1,
                ])
            #expect(ScoringService.kpis(of: card)["compliance.breaches"] == "4")
            let other = try await harness.service.scorecard(staffID: "WM2", month: Self.october, now: now)
            #expect(
                other.compliance == .init(breaches: 1, byCheck: [ComplianceCheck.riskAssessmentMissing.rawValue: 1]))
            let november = try await harness.service.scorecard(staffID: "WM1", month: Self.november, now: now)
            #expect(november.compliance.breaches == 1)

            // A profile of 5 October (on or before the sale) showing experience, read late: S3's finding is
            // withdrawn, 4 − 1 = 3.
            try await harness.deliver(
                try profile("CDV", aum: 2_000_000, asOf: "2026-10-05", derivativesExperience: true))
            let after = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            #expect(after.compliance.breaches == 3)
            #expect(after.compliance.byCheck[ComplianceCheck.noDerivativesExperience.rawValue] == nil)
        }
    }

    // MARK: - G-02 assessments

    @Test("G-02 an assessment of the six items is recorded (201) and announced once; missing, unknown or out-of-range items, a self-assessment and a month not begun are refused with 422 naming the fields")
    func assessmentValidation() async throws {
        try await Harness.run { harness in
            let good = items(80, 75, 90, 70, 100, 85)
            let (status, view) = try await record(
                harness, "WM1", request("AS-1", month: "2026-10", items: good, comment: "steady"))
            #expect(status == Self.created)
            #expect(view.assessmentId == "AS-1")
            #expect(view.staffId == "WM1")
            #expect(view.month == "2026-10")
            #expect(view.assessedBy == "HEAD1")
            #expect(view.comment == "steady")
            let expectedItems = AssessmentRecorded.V1.Items(
                selfDevelopment: 80, marketingAbility: 75, learningAbility: 90, targetCompletion: 70, compliance: 100,
                serviceQuality: 85)
            #expect(view.items == expectedItems)
            let announced = try await harness.allEmitted().payloads(AssessmentRecorded.V1.self)
            #expect(announced.count == 1)
            #expect(announced.first?.assessmentId == "AS-1")
            #expect(announced.first?.staffId == "WM1")
            #expect(announced.first?.month == "2026-10")
            #expect(announced.first?.items == expectedItems)

            // Missing: the month and one item.
            var partial = good
            partial["learningAbility"] = nil
            let missing = await refusal(harness, "WM1", request(nil, month: nil, items: partial))
            #expect(missing?.status == Self.unprocessable)
            #expect(missing?.error == "missing_fields")
            #expect(missing?.fields == ["month", "items.learningAbility"])
            // Missing everything.
            let empty = await refusal(harness, "WM1", ScoringService.AssessmentRequest())
            #expect(empty?.status == Self.unprocessable)
            #expect(
                empty?.fields == [
                    "month", "assessedBy", "items.selfDevelopment", "items.marketingAbility", "items.learningAbility",
                    "items.targetCompletion", "items.compliance", "items.serviceQuality",
                ])
            // An item G-02 does not have.
            var extra = good
            extra["charm"] = 50
            let unknown = await refusal(harness, "WM1", request(nil, month: "2026-10", items: extra))
            #expect(unknown?.status == Self.unprocessable)
            #expect(unknown?.fields == ["items.charm"])
            // Out of 0…100.
            var high = good
            high["serviceQuality"] = 101
            let tooHigh = await refusal(harness, "WM1", request(nil, month: "2026-10", items: high))
            #expect(tooHigh?.status == Self.unprocessable)
            #expect(tooHigh?.fields == ["items.serviceQuality"])
            var low = good
            low["compliance"] = -1
            let tooLow = await refusal(harness, "WM1", request(nil, month: "2026-10", items: low))
            #expect(tooLow?.status == Self.unprocessable)
            #expect(tooLow?.fields == ["items.compliance"])
            // A manager assessing themselves.
            let selfAssessed = await refusal(harness, "WM1", request(nil, month: "2026-10", by: "WM1", items: good))
            #expect(selfAssessed?.status == Self.unprocessable)
            #expect(selfAssessed?.fields == ["assessedBy"])
            // A month not begun (next month by the service's clock), and no month at all.
            let nextMonth = Month(of: harness.calendar.businessDate(of: harness.calendar.now())).next.description
            let future = await refusal(harness, "WM1", request(nil, month: nextMonth, items: good))
            #expect(future?.status == Self.unprocessable)
            #expect(future?.fields == ["month"])
            let malformed = await refusal(harness, "WM1", request(nil, month: "2026-13", items: good))
            #expect(malformed?.status == Self.unprocessable)
            #expect(malformed?.fields == ["month"])
            // A blank assessor; a comment over 2000 characters.
            let blank = await refusal(harness, "WM1", request(nil, month: "2026-10", by: " ", items: good))
            #expect(blank?.status == Self.unprocessable)
            #expect(blank?.fields == ["assessedBy"])
            let long = String(repeating: "x", count: AssessmentRecorded.V1.maxCommentLength + 1)
            let verbose = await refusal(harness, "WM1", request(nil, month: "2026-10", items: good, comment: long))
            #expect(verbose?.status == Self.unprocessable)
            #expect(verbose?.fields == ["comment"])

            // None of the refusals wrote or announced anything.
            #expect(try await scalar(harness.client, "SELECT count(*) FROM assessments") == 1)
            #expect(try await harness.allEmitted().payloads(AssessmentRecorded.V1.self).count == 1)
        }
    }

    @Test("G-02 a retry with the same assessmentId answers 200 with what was stored and is not announced again; the latest of the month is on the scorecard; the event read back adds no row")
    func assessmentRetryAndReadBack() async throws {
        try await Harness.run { harness in
            let first = try await record(
                harness, "WM1", request("AS-1", month: "2026-10", items: items(60, 60, 60, 60, 60, 60)))
            #expect(first.status == Self.created)
            // The retry carries other scores: the stored ones are answered.
            let retry = try await record(
                harness, "WM1", request("AS-1", month: "2026-10", items: items(99, 99, 99, 99, 99, 99)))
            #expect(retry.status == Self.ok)
            #expect(retry.view.items == first.view.items)
            #expect(retry.view.assessmentId == "AS-1")
            // The same id for another manager is a conflict.
            let clash = await refusal(harness, "WM2", request("AS-1", month: "2026-10", items: items(1, 1, 1, 1, 1, 1)))
            #expect(clash?.status == Self.conflict)
            #expect(try await harness.allEmitted().payloads(AssessmentRecorded.V1.self).count == 1)

            // A later assessment of October replaces the first on the scorecard (both are kept).
            try await Task.sleep(for: .milliseconds(20))
            let second = try await record(
                harness, "WM1", request("AS-2", month: "2026-10", by: "HEAD2", items: items(90, 80, 85, 70, 95, 90)))
            #expect(second.status == Self.created)
            let now = try ts("2026-11-10T12:00:00+08:00")
            let card = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            #expect(card.assessment?.assessmentId == "AS-2")
            #expect(card.assessment?.assessedBy == "HEAD2")
            #expect(card.assessment?.items == second.view.items)
            let kpis = ScoringService.kpis(of: card)
            #expect(kpis["assessment.compliance"] == "95")
            #expect(kpis["assessment.selfDevelopment"] == "90")

            // Kafka brings scoring's own events back: under the outbox's ids and under fresh ones, no new row.
            let emitted = try await harness.allEmitted().filter { $0.type == AssessmentRecorded.V1.eventType }
            #expect(emitted.count == 2)
            for event in emitted {
                guard let data = event.payload.data as? AssessmentRecorded.V1 else { continue }
                try await harness.deliver(data, id: event.id)
                try await harness.deliver(data)
            }
            #expect(try await scalar(harness.client, "SELECT count(*) FROM assessments") == 2)
            let again = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            #expect(again.assessment == card.assessment)
            #expect(try await harness.allEmitted().payloads(AssessmentRecorded.V1.self).count == 2)
        }
    }

    @Test("G-02 concurrent retries with the same assessmentId record it once: one 201, the others 200, one assessment-recorded event")
    func assessmentConcurrentRetries() async throws {
        try await Harness.run { harness in
            // Five rounds of eight simultaneous submissions (a double click, a client retrying on a timeout), each
            // round with its own id: every round must create once and announce once.
            for round in 1...5 {
                let body = request("AS-RACE-\(round)", month: "2026-10", items: items(70, 70, 70, 70, 70, 70))
                let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let (status, _) = try await harness.service.recordAssessment(staffID: "WM1", body)
                            return String(describing: status)
                        }
                    }
                    var all: [String] = []
                    for try await status in group { all.append(status) }
                    return all
                }
                let createdCount = statuses.filter { $0 == Self.created }.count
                let okCount = statuses.filter { $0 == Self.ok }.count
                #expect(createdCount == 1, "round \(round): \(statuses)")
                #expect(okCount == 7, "round \(round): \(statuses)")
            }
            // One row and one announcement per id.
            #expect(try await scalar(harness.client, "SELECT count(*) FROM assessments") == 5)
            let announced = try await harness.allEmitted().payloads(AssessmentRecorded.V1.self).map(\.assessmentId)
            #expect(announced.count == 5)
            #expect(Set(announced).count == 5)
        }
    }

    // MARK: - G-02 annual composite

    /// SH001's wealth managers WM1, WM2, WM3, WM5 (active), WM6 (on leave), WM4 (left); LM1 a lobby manager; WM7 a
    /// wealth manager of SH002. Year-to-date (January–October 2026) simulated profit: WM1 200 + 100 = 300, WM2 100,
    /// WM3 500, WM5 300, WM6 50, WM4 1000, LM1 10000, WM7 9000; WM1 also sold in December 2025 and November 2026.
    /// WM1's assessments: August, September (twice; the later counts), October; December 2025 and November 2026
    /// outside January–October 2026.
    private func deliverAnnual(_ harness: Harness) async throws {
        for staff in [
            try member("WM1"), try member("WM2"), try member("WM3"), try member("WM5"),
            try member("WM6", status: .onLeave), try member("WM4", status: .left), try member("LM1", .lobbyManager),
            try member("WM7", branch: "SH002"),
        ] {
            try await harness.deliver(staff)
        }
        let sales: [(String, String, String)] = [
            ("WM1", "200.00", "2026-02-10T10:00:00+08:00"), ("WM1", "100.00", "2026-10-10T10:00:00+08:00"),
            ("WM1", "5000.00", "2025-12-10T10:00:00+08:00"), ("WM1", "1000.00", "2026-11-10T10:00:00+08:00"),
            ("WM2", "100.00", "2026-03-10T10:00:00+08:00"), ("WM3", "500.00", "2026-04-10T10:00:00+08:00"),
            ("WM5", "300.00", "2026-05-10T10:00:00+08:00"), ("WM6", "50.00", "2026-06-10T10:00:00+08:00"),
            ("WM4", "1000.00", "2026-07-10T10:00:00+08:00"), ("LM1", "10000.00", "2026-07-10T10:00:00+08:00"),
            ("WM7", "9000.00", "2026-07-10T10:00:00+08:00"),
        ]
        for (index, (manager, profit, at)) in sales.enumerated() {
            try await harness.deliver(try sale("Y\(index)", manager: manager, deposit: profit, at: at))
        }
        let assessments: [(String, String, [String: Int])] = [
            ("AS-2025-12", "2025-12", items(0, 0, 0, 0, 0, 0)),
            ("AS-2026-08", "2026-08", items(80, 70, 90, 60, 100, 85)),
            ("AS-2026-09-a", "2026-09", items(10, 10, 10, 10, 10, 10)),
            ("AS-2026-09-b", "2026-09", items(70, 75, 80, 65, 90, 95)),
            ("AS-2026-10", "2026-10", items(90, 80, 85, 70, 95, 90)),
            ("AS-2026-11", "2026-11", items(0, 0, 0, 0, 0, 0)),
        ]
        for (id, month, scores) in assessments {
            let (status, _) = try await record(harness, "WM1", request(id, month: month, items: scores))
            #expect(status == Self.created)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("G-02 G-01 annual composite: profit percentile among same-branch same-role peers, mean of the year's monthly latest assessments, equal weights")
    func annualComposite() async throws {
        try await Harness.run { harness in
            try await deliverAnnual(harness)
            let now = try ts("2026-11-10T12:00:00+08:00")
            let card = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now)
            #expect(card.branchId == "SH001")
            #expect(card.role == StaffRole.wealthManager.rawValue)
            let annual = card.annual
            #expect(annual.year == 2026)
            #expect(annual.throughMonth == "2026-10")
            // WM1's year to date: 200 + 100 = 300.00 (not December 2025's 5000, not November's 1000).
            #expect(annual.simulatedProfit == Amount(minorUnits: 30_000))
            // Peers: WM1, WM2, WM3, WM5, WM6 (on leave) = 5; not WM4 (left), LM1 (role), WM7 (branch).
            #expect(annual.peers == 5)
            // Below 300: WM2 100, WM6 50 = 2; equal: WM1, WM5 = 2 → 100 × (2 + 2 ÷ 2) ÷ 5 = 60.0.
            // Items: mean of August, September's later and October:
            // selfDevelopment (80 + 70 + 90) ÷ 3 = 80; marketingAbility (70 + 75 + 80) ÷ 3 = 75;
            // learningAbility (90 + 80 + 85) ÷ 3 = 85; targetCompletion (60 + 65 + 70) ÷ 3 = 65;
            // compliance (100 + 90 + 95) ÷ 3 = 95; serviceQuality (85 + 95 + 90) ÷ 3 = 90.
            #expect(
                annual.components == [
                    .init(name: "simulatedProfit", score: 60, weight: 1),
                    .init(name: "selfDevelopment", score: 80, weight: 1),
                    .init(name: "marketingAbility", score: 75, weight: 1),
                    .init(name: "learningAbility", score: 85, weight: 1),
                    .init(name: "targetCompletion", score: 65, weight: 1),
                    .init(name: "compliance", score: 95, weight: 1),
                    .init(name: "serviceQuality", score: 90, weight: 1),
                ])
            // (60 + 80 + 75 + 85 + 65 + 95 + 90) ÷ 7 = 550 ÷ 7 = 78.571… → 78.6.
            #expect(annual.composite == 78.6)
            #expect(annual.complete)
            #expect(annual.missing.isEmpty)
            #expect(ScoringService.kpis(of: card)["annual.composite"] == "78.6")

            // WM3 tops the branch: below 4 (300, 300, 100, 50), equal 1 → 100 × 4.5 ÷ 5 = 90.0; no assessment.
            let top = try await harness.service.scorecard(staffID: "WM3", month: Self.october, now: now).annual
            #expect(top.components.first?.score == 90)
        }
    }

    @Test("G-02 annual composite weights are settings: SCORING_WEIGHT_SIMULATED_PROFIT 4, _COMPLIANCE 2, _SELF_DEVELOPMENT 0")
    func annualCompositeWeights() async throws {
        let environment = [
            "SCORING_WEIGHT_SIMULATED_PROFIT": "4", "SCORING_WEIGHT_COMPLIANCE": "2",
            "SCORING_WEIGHT_SELF_DEVELOPMENT": "0",
        ]
        try await Harness.run(environment: environment) { harness in
            try await deliverAnnual(harness)
            let now = try ts("2026-11-10T12:00:00+08:00")
            let annual = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: now).annual
            #expect(annual.components.map(\.weight) == [4, 0, 1, 1, 1, 2, 1])
            // (4 × 60 + 0 × 80 + 75 + 85 + 65 + 2 × 95 + 90) ÷ (4 + 0 + 1 + 1 + 1 + 2 + 1)
            // = (240 + 75 + 85 + 65 + 190 + 90) ÷ 10 = 745 ÷ 10 = 74.5.
            #expect(annual.composite == 74.5)
            #expect(annual.complete)

            // WM2: no assessment. Profit: below 100 only WM6 (50), equal 1 → 100 × 1.5 ÷ 5 = 30.0; the five
            // weighted items without a score are missing (selfDevelopment weighs 0, so it is not); composite 30.0.
            let unassessed = try await harness.service.scorecard(staffID: "WM2", month: Self.october, now: now).annual
            #expect(unassessed.components.first?.score == 30)
            #expect(unassessed.composite == 30)
            #expect(!unassessed.complete)
            #expect(
                unassessed.missing == [
                    "marketingAbility", "learningAbility", "targetCompletion", "compliance", "serviceQuality",
                ])
        }
    }

    @Test("G-02 an incomplete composite: missing lists the components without a score, complete is false; with nothing scored there is no composite")
    func annualCompositeMissing() async throws {
        try await Harness.run { harness in
            try await deliverAnnual(harness)
            let now = try ts("2026-11-10T12:00:00+08:00")
            // WM2: only the profit score (30.0, see the weights test) → composite 30.0, six items missing.
            let wm2 = try await harness.service.scorecard(staffID: "WM2", month: Self.october, now: now).annual
            #expect(wm2.composite == 30)
            #expect(!wm2.complete)
            #expect(wm2.missing == AssessmentRecorded.V1.Items.names)
            // LM1: the only lobby manager of SH001, so no peers to rank against (1 < 2), and no assessment.
            let lm1 = try await harness.service.scorecard(staffID: "LM1", month: Self.october, now: now).annual
            #expect(lm1.peers == 1)
            #expect(lm1.composite == nil)
            #expect(!lm1.complete)
            #expect(lm1.missing == ["simulatedProfit"] + AssessmentRecorded.V1.Items.names)
            let lm1Card = try await harness.service.scorecard(staffID: "LM1", month: Self.october, now: now)
            #expect(ScoringService.kpis(of: lm1Card)["annual.composite"] == nil)
            // WM9 is in no directory: no peers; an assessment gives the items, the composite their mean.
            let (status, _) = try await record(
                harness, "WM9", request("AS-WM9", month: "2026-10", items: items(50, 60, 70, 80, 90, 100)))
            #expect(status == Self.created)
            let wm9 = try await harness.service.scorecard(staffID: "WM9", month: Self.october, now: now)
            #expect(wm9.branchId == nil)
            #expect(wm9.annual.peers == 0)
            // (50 + 60 + 70 + 80 + 90 + 100) ÷ 6 = 450 ÷ 6 = 75.0.
            #expect(wm9.annual.composite == 75)
            #expect(wm9.annual.missing == ["simulatedProfit"])
            #expect(!wm9.annual.complete)
        }
    }

    // MARK: - A-15 / A-07 / G-07 centre indicators

    @Test("A-15 staffing: active and on-leave staff per role against 3 wealth, 1 lobby, 1 marketing manager; left and transferred staff do not count")
    func centreStaffing() async throws {
        try await Harness.run { harness in
            for staff in [
                try member("WM1"), try member("WM2"), try member("WM3", status: .onLeave),
                try member("WM4", status: .left), try member("WM5", status: .transferred),
                try member("LM1", .lobbyManager), try member("LM2", .lobbyManager, status: .onLeave),
                try member("MM1", .marketingManager, status: .left), try member("TC1", .tellerCash),
                // WM6 moved to SH002 in June; the January record is read afterwards and changes nothing.
                try member("WM6", branch: "SH002", effectiveAt: "2026-06-01T09:00:00+08:00"), try member("WM6"),
            ] {
                try await harness.deliver(staff)
            }
            let date = try day("2026-10-15")
            let sh001 = try await harness.service.centre(branchID: "SH001", date: date)
            #expect(sh001.staffing.map(\.role) == ["wealth_manager", "lobby_manager", "marketing_manager"])
            // Wealth: WM1, WM2, WM3 (on leave) = 3 ≥ 3. Lobby: LM1, LM2 (on leave) = 2 ≥ 1. Marketing: 0 < 1.
            #expect(sh001.staffing.map(\.staffed) == [3, 2, 0])
            #expect(sh001.staffing.map(\.onLeave) == [1, 1, 0])
            #expect(sh001.staffing.map(\.minimum) == [3, 1, 1])
            #expect(sh001.staffing.map(\.short) == [false, false, true])
            #expect(sh001.staffingShort)
            let sh002 = try await harness.service.centre(branchID: "SH002", date: date)
            #expect(sh002.staffing.map(\.staffed) == [1, 0, 0])
            #expect(sh002.staffing.map(\.short) == [true, true, true])

            // A marketing manager joins: nothing short. Then WM2 leaves: 2 < 3.
            try await harness.deliver(try member("MM2", .marketingManager, effectiveAt: "2026-10-01T09:00:00+08:00"))
            #expect(try await harness.service.centre(branchID: "SH001", date: date).staffingShort == false)
            try await harness.deliver(try member("WM2", status: .left, effectiveAt: "2026-10-10T09:00:00+08:00"))
            let after = try await harness.service.centre(branchID: "SH001", date: date)
            #expect(after.staffing.map(\.staffed) == [2, 2, 1])
            #expect(after.staffing.map(\.short) == [true, false, false])
            #expect(after.staffingShort)
        }
        // The minimums are settings.
        try await Harness.run(environment: ["SCORING_MIN_WEALTH_MANAGERS": "2", "SCORING_MIN_LOBBY_MANAGERS": "2"]) {
            harness in
            for staff in [
                try member("WM1"), try member("WM2"), try member("LM1", .lobbyManager),
                try member("MM1", .marketingManager),
            ] {
                try await harness.deliver(staff)
            }
            let centre = try await harness.service.centre(branchID: "SH001", date: try day("2026-10-15"))
            #expect(centre.staffing.map(\.minimum) == [2, 2, 1])
            #expect(centre.staffing.map(\.short) == [false, true, false])
        }
    }

    @Test("A-07 G-03 cross-sell ratio: distinct (customer, product type) bought by the branch's VIP customers in the trailing 12 months over those customers")
    func centreCrossSell() async throws {
        try await Harness.run { harness in
            for (customer, aum, branch) in [
                ("V1", 500_000, "SH001"), ("V2", 1_500_000, "SH001"), ("V3", 3_200_000, "SH001"),
                ("N1", 100_000, "SH001"), ("V4", 600_000, "SH002"),
            ] as [(String, Int64, String)] {
                try await harness.deliver(try profile(customer, aum: aum, branch: branch))
            }
            let assessed = ProductSold.V1.RiskAssessment(
                assessedAt: try ts("2025-01-01T10:00:00+08:00"), signedInPerson: true, level: "R2")
            let sales: [(String, ProductType, String)] = [
                ("V1", .deposit, "2026-03-10T10:00:00+08:00"), ("V1", .deposit, "2026-05-10T10:00:00+08:00"),
                ("V1", .wealth, "2026-06-10T10:00:00+08:00"),
                // Before the window (31 October 2025 is not after 31 October 2025) and after the date.
                ("V1", .fund, "2025-10-31T12:00:00+08:00"), ("V1", .insurance, "2026-11-02T10:00:00+08:00"),
                // The window's first day and the date's last minutes.
                ("V2", .insurance, "2025-11-01T09:00:00+08:00"), ("V2", .loan, "2026-10-31T23:30:00+08:00"),
                // Not a VIP; another branch's VIP.
                ("N1", .deposit, "2026-04-01T10:00:00+08:00"), ("V4", .wealth, "2026-04-01T10:00:00+08:00"),
            ]
            for (index, (customer, type, at)) in sales.enumerated() {
                try await harness.deliver(
                    try sale("X\(index)", manager: "WM1", customer: customer, type: type, at: at, risk: assessed))
            }
            let centre = try await harness.service.centre(branchID: "SH001", date: try day("2026-10-31"))
            #expect(centre.crossSell.from == (try day("2025-11-01")))
            #expect(centre.crossSell.to == (try day("2026-10-31")))
            // VIPs V1, V2, V3 = 3; products V1 {deposit, wealth} + V2 {insurance, loan} + V3 {} = 4; 4 ÷ 3 = 1.33.
            #expect(centre.crossSell.vipCustomers == 3)
            #expect(centre.crossSell.productsHeld == 4)
            #expect(centre.crossSell.ratio == 1.33)
            // A day later V2's insurance of 1 November 2025 falls out: 3 ÷ 3 = 1.00.
            let later = try await harness.service.centre(branchID: "SH001", date: try day("2026-11-01"))
            #expect(later.crossSell.from == (try day("2025-11-02")))
            #expect(later.crossSell.productsHeld == 3)
            #expect(later.crossSell.ratio == 1.0)
            // SH002: V4 {wealth} → 1 ÷ 1; a branch without VIPs has no ratio.
            let sh002 = try await harness.service.centre(branchID: "SH002", date: try day("2026-10-31"))
            #expect(sh002.crossSell.vipCustomers == 1)
            #expect(sh002.crossSell.ratio == 1.0)
            let none = try await harness.service.centre(branchID: "SH009", date: try day("2026-10-31"))
            #expect(none.crossSell.vipCustomers == 0)
            #expect(none.crossSell.ratio == nil)
        }
    }

    @Test("G-07 first-line rate: the branch's call-centre cases of the month resolved without any case-escalated over its call-centre cases, against 95 %")
    func centreFirstLine() async throws {
        try await Harness.run { harness in
            // K1: resolved at the front line.
            try await harness.deliver(try opened("K1", source: .callCentre, receivedAt: "2026-10-05T10:00:00+08:00"))
            try await harness.deliver(try resolved("K1", at: "2026-10-05T15:00:00+08:00"))
            // K2: escalated, then resolved.
            try await harness.deliver(try opened("K2", source: .callCentre, receivedAt: "2026-10-06T10:00:00+08:00"))
            try await harness.deliver(try escalated("K2", at: "2026-10-07T10:00:00+08:00"))
            try await harness.deliver(try resolved("K2", at: "2026-10-09T10:00:00+08:00"))
            // K3: open.
            try await harness.deliver(try opened("K3", source: .callCentre, receivedAt: "2026-10-08T10:00:00+08:00"))
            // K4: a branch complaint (not the call centre's).
            try await harness.deliver(try opened("K4", receivedAt: "2026-10-08T11:00:00+08:00"))
            try await harness.deliver(try resolved("K4", at: "2026-10-08T12:00:00+08:00"))
            // K5: 16:30Z on 30 September = 00:30 on 1 October in Shanghai, resolved. K5b: 23:30 on 30 September.
            try await harness.deliver(try opened("K5", source: .callCentre, receivedAt: "2026-09-30T16:30:00Z"))
            try await harness.deliver(try resolved("K5", at: "2026-10-01T10:00:00+08:00"))
            try await harness.deliver(try opened("K5b", source: .callCentre, receivedAt: "2026-09-30T15:30:00Z"))
            try await harness.deliver(try resolved("K5b", at: "2026-10-01T10:00:00+08:00"))
            // K6: another branch's.
            try await harness.deliver(
                try opened("K6", source: .callCentre, branch: "SH002", receivedAt: "2026-10-09T10:00:00+08:00"))
            try await harness.deliver(try resolved("K6", at: "2026-10-09T11:00:00+08:00"))
            // K7: resolved, then reopened: not resolved.
            try await harness.deliver(try opened("K7", source: .callCentre, receivedAt: "2026-10-10T10:00:00+08:00"))
            try await harness.deliver(try resolved("K7", at: "2026-10-10T11:00:00+08:00"))
            try await harness.deliver(try reopened("K7", at: "2026-10-12T10:00:00+08:00"))
            // K8: the escalation read before the opening, then resolved.
            try await harness.deliver(try escalated("K8", at: "2026-10-12T12:00:00+08:00"))
            try await harness.deliver(try opened("K8", source: .callCentre, receivedAt: "2026-10-12T10:00:00+08:00"))
            try await harness.deliver(try resolved("K8", at: "2026-10-13T10:00:00+08:00"))
            // K9: the resolution read before the opening.
            try await harness.deliver(try resolved("K9", at: "2026-10-13T15:00:00+08:00"))
            try await harness.deliver(try opened("K9", source: .callCentre, receivedAt: "2026-10-13T10:00:00+08:00"))

            let centre = try await harness.service.centre(branchID: "SH001", date: try day("2026-10-15"))
            // Call-centre cases of SH001 in October: K1, K2, K3, K5, K7, K8, K9 = 7; at the front line K1, K5, K9 = 3;
            // 3 ÷ 7 = 42.857… → 42.9 % < 95.
            #expect(centre.firstLine.month == "2026-10")
            #expect(centre.firstLine.cases == 7)
            #expect(centre.firstLine.resolvedAtFrontLine == 3)
            #expect(centre.firstLine.ratePercent == 42.9)
            #expect(centre.firstLine.targetPercent == 95)
            #expect(centre.firstLine.meetsTarget == false)
            // September: K5b, resolved at the front line: 1 ÷ 1 = 100.0 %.
            let september = try await harness.service.centre(branchID: "SH001", date: try day("2026-09-30"))
            #expect(september.firstLine.cases == 1)
            #expect(september.firstLine.ratePercent == 100)
            #expect(september.firstLine.meetsTarget == true)

            // SH003: 20 cases, 19 resolved at the front line: 19 ÷ 20 = 95.0 %, exactly the target, met.
            for index in 0..<20 {
                try await harness.deliver(
                    try opened(
                        "F\(index)", source: .callCentre, branch: "SH003", receivedAt: "2026-10-14T10:00:00+08:00"))
                if index > 0 { try await harness.deliver(try resolved("F\(index)", at: "2026-10-14T12:00:00+08:00")) }
            }
            let exact = try await harness.service.centre(branchID: "SH003", date: try day("2026-10-15"))
            #expect(exact.firstLine.cases == 20)
            #expect(exact.firstLine.ratePercent == 95)
            #expect(exact.firstLine.meetsTarget == true)
            // No call-centre case: no rate, no verdict.
            let quiet = try await harness.service.centre(branchID: "SH004", date: try day("2026-10-15"))
            #expect(quiet.firstLine.cases == 0)
            #expect(quiet.firstLine.ratePercent == nil)
            #expect(quiet.firstLine.meetsTarget == nil)
        }
    }

    // MARK: - C-10 publication

    @Test("C-10 branch-daily-stats: one per branch-day once the day closed plus 60 minutes, revision 1 with the counts, nothing twice; a late event gives revision 2")
    func publishDailyStats() async throws {
        try await Harness.run { harness in
            // Tuesday 20 October, SH001.
            let tuesday = "2026-10-20T10:00:00+08:00"
            try await harness.deliver(try identified("V1", by: "LM1", role: .lobbyManager, at: tuesday))
            try await harness.deliver(try identified("V2", by: "LA1", role: .lobbyAssistant, at: tuesday))
            try await harness.deliver(try identified("V3", by: "TC1", role: .tellerCash, at: tuesday))
            try await harness.deliver(try identified("V4", by: "TN1", role: .tellerNonCash, at: tuesday))
            try await harness.deliver(try identified("V5", by: "XX1", role: nil, at: tuesday))
            try await harness.deliver(
                try identified("V6", by: "LM1", role: .lobbyManager, classification: .potential, at: tuesday))
            try await harness.deliver(try routed("R1", to: "WM1", at: tuesday))
            try await harness.deliver(try routed("R2", to: "WM1", at: "2026-10-20T11:00:00+08:00"))
            try await harness.deliver(try routed("R3", to: "WM2", at: tuesday))
            try await harness.deliver(try routed("R4", to: "WM1", classification: .potential, at: tuesday))
            try await harness.deliver(try opened("K1", receivedAt: "2026-10-20T14:00:00+08:00"))
            // SH002 the same day; SH001 on Wednesday.
            try await harness.deliver(
                try identified("V7", by: "TN2", role: .tellerNonCash, branch: "SH002", at: tuesday))
            try await harness.deliver(
                try identified("V8", by: "LM1", role: .lobbyManager, at: "2026-10-21T10:00:00+08:00"))

            // 00:59:59.999 on Wednesday: Tuesday ended less than 60 minutes ago.
            try await harness.service.publishDailyStats(at: try ts("2026-10-21T00:59:59.999+08:00"))
            #expect(try await dailyStats(harness).isEmpty)

            // 01:00: Tuesday is announced, for both branches; Wednesday is not over.
            try await harness.service.publishDailyStats(at: try ts("2026-10-21T01:00:00+08:00"))
            let first = try await dailyStats(harness)
            #expect(first.map(\.branchId).sorted() == ["SH001", "SH002"])
            let tuesdayDate = try day("2026-10-20")
            #expect(first.map(\.date) == [tuesdayDate, tuesdayDate])
            #expect(first.map(\.revision) == [1, 1])
            let sh001Stats = first.first { $0.branchId == "SH001" }
            let sh001 = try #require(sh001Stats)
            // C-10 item 1: WM1 2 (R1, R2; R4 is a potential), WM2 1.
            #expect(sh001.vipsReceivedByManager == ["WM1": 2, "WM2": 1])
            // Item 2: LM1 + LA1 = 2. Item 3: cash 1, non-cash 1, officer 0. Item 4: K1 = 1.
            #expect(sh001.vipsIdentifiedByLobby == 2)
            #expect(sh001.vipsIdentifiedByTellers.cash == 1)
            #expect(sh001.vipsIdentifiedByTellers.nonCash == 1)
            #expect(sh001.vipsIdentifiedByTellers.businessOfficer == 0)
            #expect(sh001.complaintsReceived == 1)
            #expect(sh001.vipsIdentifiedOther == 1)
            #expect(sh001.potentialVipsIdentified == 1)
            let sh002Stats = first.first { $0.branchId == "SH002" }
            let sh002 = try #require(sh002Stats)
            #expect(sh002.vipsIdentifiedByTellers.nonCash == 1)
            #expect(sh002.vipsIdentifiedByLobby == 0)
            #expect(sh002.vipsReceivedByManager.isEmpty)
            #expect(sh002.complaintsReceived == 0)

            // Nothing changed: nothing again.
            try await harness.service.publishDailyStats(at: try ts("2026-10-21T09:00:00+08:00"))
            #expect(try await dailyStats(harness).count == 2)

            // Read late: a cash teller's identification and a complaint of Tuesday → SH001's Tuesday, revision 2.
            try await harness.deliver(
                try identified("V9", by: "TC2", role: .tellerCash, at: "2026-10-20T16:00:00+08:00"))
            try await harness.deliver(try opened("K2", receivedAt: "2026-10-20T16:30:00+08:00"))
            try await harness.service.publishDailyStats(at: try ts("2026-10-21T10:00:00+08:00"))
            let second = try await dailyStats(harness)
            #expect(second.count == 3)
            let revised = try #require(second.last)
            #expect(revised.branchId == "SH001")
            #expect(revised.date == tuesdayDate)
            #expect(revised.revision == 2)
            #expect(revised.vipsIdentifiedByTellers.cash == 2)
            #expect(revised.complaintsReceived == 2)
            #expect(revised.vipsIdentifiedByLobby == 2)
            #expect(revised.vipsReceivedByManager == ["WM1": 2, "WM2": 1])
            #expect(try await harness.service.daily(branchID: "SH001", date: try day("2026-10-20")).publications == 2)

            // Thursday 01:00: Wednesday, revision 1.
            try await harness.service.publishDailyStats(at: try ts("2026-10-22T01:00:00+08:00"))
            let third = try await dailyStats(harness)
            #expect(third.count == 4)
            #expect(third.last?.date == (try day("2026-10-21")))
            #expect(third.last?.vipsIdentifiedByLobby == 1)
            #expect(third.last?.revision == 1)
        }
    }

    @Test("C-10 the grace is SCORING_DAY_CLOSE_GRACE_MINUTES: with 0 the day is announced at midnight Shanghai time")
    func publishDailyStatsGraceSetting() async throws {
        try await Harness.run(environment: ["SCORING_DAY_CLOSE_GRACE_MINUTES": "0"]) { harness in
            try await harness.deliver(
                try identified("V1", by: "LM1", role: .lobbyManager, at: "2026-10-20T10:00:00+08:00"))
            try await harness.service.publishDailyStats(at: try ts("2026-10-20T23:59:59.999+08:00"))
            #expect(try await dailyStats(harness).isEmpty)
            // 16:00Z on the 20th is midnight in Shanghai.
            try await harness.service.publishDailyStats(at: try ts("2026-10-20T16:00:00Z"))
            let published = try await dailyStats(harness)
            #expect(published.count == 1)
            #expect(published.first?.vipsIdentifiedByLobby == 1)
        }
    }

    @Test("G-01 C-10 scorecard-published: once October closed, one per manager with revision 1 and kpis(of:); nothing again; a late sale within SCORING_CORRECTION_DAYS gives revision 2, after it nothing")
    func publishScorecards() async throws {
        try await Harness.run { harness in
            for staff in [
                try member("WM1"), try member("WM2"), try member("MM1", .marketingManager),
                try member("LM1", .lobbyManager),
            ] {
                try await harness.deliver(staff)
            }
            try await harness.deliver(
                try sale("P1", manager: "WM1", deposit: "1000.00", at: "2026-10-12T10:00:00+08:00"))
            try await harness.deliver(
                try contact("A1", "C1", by: "WM2", .call, proactive: true, at: "2026-10-13T10:00:00+08:00"))
            // WM9 is on no roster but was active in October.
            try await harness.deliver(
                try contact("A2", "C2", by: "WM9", .visit, proactive: false, at: "2026-10-14T10:00:00+08:00"))

            // 00:59 on 1 November: October closed less than 60 minutes ago.
            try await harness.service.publishScorecards(at: try ts("2026-11-01T00:59:00+08:00"))
            #expect(try await scorecards(harness, month: "2026-10").isEmpty)

            let closing = try ts("2026-11-01T01:00:00+08:00")
            try await harness.service.publishScorecards(at: closing)
            let first = try await scorecards(harness, month: "2026-10")
            // The wealth and marketing managers on the roster, and WM9; not LM1 (a lobby manager, no activity).
            #expect(first.map(\.staffId) == ["MM1", "WM1", "WM2", "WM9"])
            #expect(first.map(\.revision) == [1, 1, 1, 1])
            #expect(first.map(\.branchId) == ["SH001", "SH001", "SH001", nil])
            for event in first {
                let card = try await harness.service.scorecard(
                    staffID: event.staffId, month: Self.october, now: closing)
                #expect(event.kpis == ScoringService.kpis(of: card), "kpis of \(event.staffId)")
            }
            let wm1Event = first.first { $0.staffId == "WM1" }
            let wm1 = try #require(wm1Event)
            #expect(wm1.kpis["simulatedProfit.total"] == "1000.00")
            #expect(wm1.kpis["simulatedProfit.sales"] == "1")
            #expect(wm1.kpis["workingDays"] == "22")
            // Peers WM1, WM2: WM1 100 × (1 + ½) ÷ 2 = 75.0, the only scored component.
            #expect(wm1.kpis["annual.composite"] == "75.0")
            #expect(wm1.kpis["annual.complete"] == "false")
            let wm2Event = first.first { $0.staffId == "WM2" }
            let wm2 = try #require(wm2Event)
            #expect(wm2.kpis["activity.contacts"] == "1")
            #expect(wm2.kpis["activity.proactiveContacts"] == "1")
            // 1 ÷ 22 = 0.045… → 0.05.
            #expect(wm2.kpis["activity.contactsPerWorkingDay"] == "0.05")
            #expect(wm2.kpis["annual.composite"] == "25.0")

            // Nothing changed: nothing again.
            try await harness.service.publishScorecards(at: try ts("2026-11-01T02:00:00+08:00"))
            #expect(try await scorecards(harness, month: "2026-10").count == 4)

            // A late sale of 30 October, read on 4 November (within 5 days): WM1's revision 2.
            try await harness.deliver(try sale("P2", manager: "WM1", fee: "250.00", at: "2026-10-30T10:00:00+08:00"))
            let correcting = try ts("2026-11-04T10:00:00+08:00")
            try await harness.service.publishScorecards(at: correcting)
            let second = try await scorecards(harness, month: "2026-10")
            #expect(second.count == 5)
            let revised = try #require(second.last)
            #expect(revised.staffId == "WM1")
            #expect(revised.revision == 2)
            // 1000.00 + 250.00 = 1250.00 from 2 sales.
            #expect(revised.kpis["simulatedProfit.total"] == "1250.00")
            #expect(revised.kpis["simulatedProfit.feeIncome"] == "250.00")
            #expect(revised.kpis["simulatedProfit.sales"] == "2")
            let card = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: correcting)
            #expect(revised.kpis == ScoringService.kpis(of: card))

            // Another late sale, read on 7 November: the correction window is over, nothing is announced; the
            // scorecard itself follows the facts (1250.00 + 500.00 = 1750.00).
            try await harness.deliver(
                try sale("P3", manager: "WM1", deposit: "500.00", at: "2026-10-29T10:00:00+08:00"))
            let late = try ts("2026-11-07T10:00:00+08:00")
            try await harness.service.publishScorecards(at: late)
            #expect(try await scorecards(harness, month: "2026-10").count == 5)
            let current = try await harness.service.scorecard(staffID: "WM1", month: Self.october, now: late)
            #expect(current.simulatedProfit.total == Amount(minorUnits: 175_000))
        }
    }

    @Test("C-10 publish(at:) announces both the closed day and the closed month")
    func publishBoth() async throws {
        try await Harness.run { harness in
            try await harness.deliver(try member("WM1"))
            try await harness.deliver(try routed("R1", to: "WM1", at: "2026-10-30T10:00:00+08:00"))
            try await harness.service.publish(at: try ts("2026-11-01T01:00:00+08:00"))
            let daily = try await dailyStats(harness)
            // 30 October (the referral) is announced; 31 October had nothing.
            let friday = try day("2026-10-30")
            #expect(daily.map(\.date) == [friday])
            #expect(daily.first?.vipsReceivedByManager == ["WM1": 1])
            let october = try await scorecards(harness, month: "2026-10")
            #expect(october.map(\.staffId) == ["WM1"])
            #expect(october.first?.kpis["walkIns.vips"] == "1")
        }
    }
}
