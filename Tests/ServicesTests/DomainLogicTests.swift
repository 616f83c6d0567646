import Events
import ServiceKit
import Testing

@testable import Complaints
@testable import Engagement
@testable import Intake
@testable import Scoring

// MARK: - Identification

@Suite("Intake identification (pure)")
struct IdentificationLogicTests {
    let settings = IntakeSettings.defaults

    func identify(_ aum: Amount, override: String? = nil) -> Identification.Result? {
        Identification.identify(.init(aumDailyAvg: aum, segmentOverride: override), settings: settings)
    }

    @Test("B-01 VIP threshold: 300,000.00 exactly is a VIP (tier A, basis aum), 299,999.99 is not")
    func vipThreshold() throws {
        let vip = try #require(identify(Amount(units: 300_000)))
        #expect(vip.tier == .a)
        #expect(vip.basis == .aum)
        #expect(vip.reasons.contains { $0.contains("B-01") })
        #expect(identify(Amount(minorUnits: 29_999_999)) == nil)
        #expect(identify(.zero) == nil)
    }

    @Test("B-03 tier boundaries: 999,999.99 is A, 1,000,000 is B, 2,999,999.99 is B, 3,000,000 is C")
    func tierBoundaries() {
        #expect(Identification.tier(for: Amount(minorUnits: 99_999_999), settings: settings) == .a)
        #expect(Identification.tier(for: Amount(units: 1_000_000), settings: settings) == .b)
        #expect(Identification.tier(for: Amount(minorUnits: 299_999_999), settings: settings) == .b)
        #expect(Identification.tier(for: Amount(units: 3_000_000), settings: settings) == .c)
        #expect(Identification.tier(for: Amount(units: 50_000_000), settings: settings) == .c)
        #expect(identify(Amount(units: 1_000_000))?.tier == .b)
        #expect(identify(Amount(units: 3_000_000))?.tier == .c)
    }

    @Test("B-01 B-03 a segment override wins over the assets, up and down, case-insensitively; junk is ignored")
    func segmentOverride() {
        // Below the VIP threshold, yet overridden to C.
        #expect(identify(Amount(units: 10), override: "c")?.tier == .c)
        // Assets say C, the override says B.
        #expect(identify(Amount(units: 5_000_000), override: "B")?.tier == .b)
        #expect(identify(Amount(units: 5_000_000), override: "B")?.reasons == ["segment override B in profile"])
        // Not a tier: the assets decide.
        #expect(identify(Amount(units: 5_000_000), override: "platinum")?.tier == .c)
        #expect(identify(Amount(units: 10), override: "platinum") == nil)
    }

    @Test("B-01 B-03 thresholds come from the environment and must rise")
    func configurableThresholds() throws {
        let raised = try IntakeSettings(environment: EnvironmentReader(["INTAKE_VIP_MIN_AUM": "500000"]))
        #expect(raised.vipMinimum == Amount(units: 500_000))
        #expect(
            Identification.identify(.init(aumDailyAvg: Amount(units: 300_000), segmentOverride: nil), settings: raised)
                == nil)
        #expect(throws: ConfigurationError.self) {
            try IntakeSettings(environment: EnvironmentReader(["INTAKE_VIP_MIN_AUM": "2000000"]))
        }
    }
}

// MARK: - Visit routing

@Suite("Intake visit routing (pure)")
struct VisitRoutingLogicTests {
    /// The zone an ordinary customer is sent to (C-01), and the one a VIP is sent to (C-07).
    static let expected: [VisitPurpose: (standard: Zone, vip: Zone)] = [
        .cashLarge: (.vipWindow, .vipWindow),
        .cashSmall: (.selfService, .vipWindow),
        .utilityPayment: (.selfService, .vipWindow),
        .passbookUpdate: (.selfService, .vipWindow),
        .nonCash: (.nonCash, .vipRoom),
        .wealthConsultation: (.wealth, .vipRoom),
        .loan: (.nonCash, .vipRoom),
        .complaint: (.nonCash, .vipRoom),
        .other: (.nonCash, .vipRoom),
    ]

    @Test("C-01 C-07 every purpose has an expectation")
    func tableIsComplete() {
        #expect(Set(Self.expected.keys) == Set(VisitPurpose.allCases))
    }

    @Test(
        "C-02 C-07 a VIP goes to the VIP window for cash business, the VIP room otherwise, always with priority",
        arguments: VisitPurpose.allCases)
    func vip(purpose: VisitPurpose) throws {
        let decision = VisitRouting.route(purpose: purpose, isVIP: true)
        #expect(decision.zone == Self.expected[purpose]?.vip)
        #expect(decision.priority)
        #expect(decision.reason.contains("C-07"))
    }

    @Test(
        "C-01 C-07 a standard customer goes by need; large cash goes to the VIP window with priority",
        arguments: VisitPurpose.allCases)
    func standard(purpose: VisitPurpose) {
        let decision = VisitRouting.route(purpose: purpose, isVIP: false)
        #expect(decision.zone == Self.expected[purpose]?.standard)
        #expect(decision.priority == (purpose == .cashLarge))
    }
}

// MARK: - Walk-in plan

@Suite("Engagement walk-in plan (pure)")
struct WalkInPlanLogicTests {
    func plan(_ at: String, followUpDays: Int = 2) throws -> (
        receive: WalkInPlan.PlannedTask, followUp: WalkInPlan.PlannedTask
    ) {
        let tasks = WalkInPlan.tasks(
            referredAt: try ts(at), settings: EngagementSettings(followUpWorkingDays: followUpDays),
            calendar: shanghaiCalendar)
        try #require(tasks.map(\.kind) == [.receiveWalkIn, .followUp])
        return (tasks[0], tasks[1])
    }

    @Test("C-06 receive_walkin is due 10 minutes after the referral, written in +08:00")
    func receiveWithinTenMinutes() throws {
        let tasks = try plan("2026-11-27T02:00:00.000Z")
        #expect(tasks.receive.dueAt == (try ts("2026-11-27T10:10:00.000+08:00")))
        #expect(tasks.receive.ruleID == "C-06")
    }

    @Test("C-05 follow_up: Friday → end of Tuesday; Wednesday → end of Friday; a Saturday visit → end of Tuesday")
    func followUpWorkingDays() throws {
        #expect(try plan("2026-11-27T10:00:00.000+08:00").followUp.dueAt == (try ts("2026-12-01T23:59:59.999+08:00")))
        #expect(try plan("2026-11-25T16:00:00.000+08:00").followUp.dueAt == (try ts("2026-11-27T23:59:59.999+08:00")))
        #expect(try plan("2026-11-28T10:00:00.000+08:00").followUp.dueAt == (try ts("2026-12-01T23:59:59.999+08:00")))
        #expect(try plan("2026-11-27T10:00:00.000+08:00").followUp.ruleID == "C-05")
    }

    @Test("C-05 the visit day is the Shanghai date: 2026-11-26T23:30Z is Friday in Shanghai → Tuesday")
    func followUpFromShanghaiDate() throws {
        #expect(try plan("2026-11-26T23:30:00.000Z").followUp.dueAt == (try ts("2026-12-01T23:59:59.999+08:00")))
    }

    @Test("C-05 the number of working days is configurable: 3 after a Friday → end of Wednesday")
    func followUpConfigurable() throws {
        let tasks = try plan("2026-11-27T10:00:00.000+08:00", followUpDays: 3)
        #expect(tasks.followUp.dueAt == (try ts("2026-12-02T23:59:59.999+08:00")))
    }
}

// MARK: - Complaint deadline

@Suite("Complaints reply deadline (pure)")
struct ReplyDeadlineLogicTests {
    func due(_ receivedAt: String, days: Int = 3) throws -> Timestamp {
        ComplaintsService.replyDue(
            receivedAt: try ts(receivedAt), settings: ComplaintSettings(replyWorkingDays: days),
            calendar: shanghaiCalendar)
    }

    @Test("F-02 end of the 3rd working day after receipt: Thu → Tue, Fri/Sat/Sun → Wed, Mon → Thu")
    func thirdWorkingDay() throws {
        #expect(try due("2026-11-26T10:00:00.000+08:00") == (try ts("2026-12-01T23:59:59.999+08:00")))
        #expect(try due("2026-11-27T10:00:00.000+08:00") == (try ts("2026-12-02T23:59:59.999+08:00")))
        #expect(try due("2026-11-28T10:00:00.000+08:00") == (try ts("2026-12-02T23:59:59.999+08:00")))
        #expect(try due("2026-11-29T10:00:00.000+08:00") == (try ts("2026-12-02T23:59:59.999+08:00")))
        #expect(try due("2026-11-30T00:00:00.000+08:00") == (try ts("2026-12-03T23:59:59.999+08:00")))
    }

    @Test("F-02 counted from the Shanghai date: Thursday 23:30 UTC is Friday in Shanghai → Wednesday, not Tuesday")
    func shanghaiDate() throws {
        #expect(try due("2026-11-26T23:30:00.000Z") == (try ts("2026-12-02T23:59:59.999+08:00")))
        // One minute before Shanghai midnight is still Thursday.
        #expect(try due("2026-11-26T15:59:00.000Z") == (try ts("2026-12-01T23:59:59.999+08:00")))
    }
}

// MARK: - Scoring columns

@Suite("Scoring C-10 counters (pure)")
struct ScoringColumnLogicTests {
    @Test(
        "C-10 lobby = lobby manager + assistant; tellers split cash / non-cash / business officer; potential apart",
        arguments: [
            (StaffRole?.some(.lobbyManager), "vips_identified_lobby"),
            (.lobbyAssistant, "vips_identified_lobby"),
            (.tellerCash, "vips_identified_cash"),
            (.tellerNonCash, "vips_identified_noncash"),
            (.businessOfficer, "vips_identified_officer"),
            (.wealthManager, "vips_identified_other"),
            (nil, "vips_identified_other"),
        ])
    func column(role: StaffRole?, column: String) {
        #expect(ScoringService.identificationColumn(classification: .vip, role: role) == column)
        #expect(ScoringService.identificationColumn(classification: .potential, role: role) == "potential_identified")
    }
}
