import Events
import Testing

// MARK: - ValidationTests

@Suite("Validation: what JSON decoding cannot express")
struct ValidationTests {
    @Test("C-01 an unknown purpose lists the allowed purposes")
    func unknownPurpose() throws {
        let error = decodingError(try Message.visitArrived { $0["purpose"] = "teleport" })
        #expect(error?.code == .invalidData)
        #expect(
            error?.reason
                == #"data.purpose: "teleport" is not one of cash_large, cash_small, utility_payment, passbook_update, "#
                + "non_cash, wealth_consultation, loan, complaint, other")
    }

    @Test("B-02 an unknown signal lists the allowed signals")
    func badSignal() throws {
        let error = decodingError(try Message.visitArrived { $0["signals"] = ["large_cash", "fancy_watch"] })
        #expect(error?.code == .invalidData)
        #expect(error?.reason.hasPrefix(#"data.signals[1]: "fancy_watch" is not one of other_bank_vip_card, "#) == true)
        #expect(error?.reason.contains("occupation:doctor") == true)
    }

    @Test("B-02 occupation:astronaut is not one of the nine occupations")
    func unknownOccupation() throws {
        let error = decodingError(try Message.visitArrived { $0["signals"] = ["occupation:astronaut"] })
        #expect(error?.code == .invalidData)
        #expect(
            error?.reason
                == #"data.signals[0]: occupation "astronaut" is not one of business_owner, executive, public_figure, "#
                + "professor, accountant, lawyer, architect, doctor, finance")
    }

    @Test("B-02 every signal round-trips through its wire text")
    func signalsRoundTrip() {
        #expect(LeadSignal.allCases.count == 15)
        for signal in LeadSignal.allCases {
            #expect(LeadSignal(rawValue: signal.rawValue) == signal)
        }
        #expect(LeadSignal(rawValue: "occupation:") == nil)
        #expect(LeadSignal(rawValue: "occupation") == nil)
    }

    @Test("an empty or blank visitId is rejected", arguments: ["", "   "])
    func emptyVisitID(visitID: String) throws {
        let error = decodingError(try Message.visitArrived { $0["visitId"] = visitID })
        #expect(error?.code == .invalidData)
        #expect(error?.reason == "data.visitId: must not be empty")
    }

    @Test("a negative amount is rejected where amounts cannot be negative")
    func negativeAmount() throws {
        let error = decodingError(try Message.visitArrived { $0["amount"] = "-12.5" })
        #expect(error?.reason == "data.amount: -12.50 must not be negative")
    }

    @Test("G-09 net assets and surplus may be negative, total assets may not")
    func financials() {
        var profile = CustomerProfile.V1(
            customerId: "C000123", homeBranchId: "SH001", aumDailyAvg: Amount(units: 320_000),
            asOf: BusinessDate(validYear: 2026, month: 11, day: 22),
            financials: .init(netAssets: Amount(units: -5), surplus: Amount(units: -1)))
        #expect(throws: Never.self) { try profile.validate() }
        profile.financials?.totalAssets = Amount(units: -1)
        #expect(throws: EventValidationError(field: "financials.totalAssets", reason: "-1.00 must not be negative")) {
            try profile.validate()
        }
    }

    @Test("C-05 a potential VIP has no tier")
    func potentialHasNoTier() throws {
        let identified = CustomerIdentified.V1(
            visitId: "V1", branchId: "SH001", classification: .potential, tier: .b, basis: .signals,
            reasons: ["large_cash"], identifiedBy: "S0231", identifiedByRole: .tellerCash,
            at: try Timestamp(rfc3339: "2026-11-23T09:21:40.005+08:00"))
        #expect(throws: EventValidationError.self) { try identified.validate() }
    }

    @Test("F-04 escalation goes up the chain")
    func escalationGoesUp() throws {
        let at = try Timestamp(rfc3339: "2026-11-24T09:00:00.000+08:00")
        let down = CaseEscalated.V1(
            caseId: "CASE-1", fromLevel: .branchVIPService, toLevel: .centreHead, reason: "x", at: at)
        #expect(throws: EventValidationError.self) { try down.validate() }
        #expect(CaseLevel.frontLine.next == .centreHead)
        #expect(CaseLevel.headOfficeService.next == nil)
        #expect(
            CaseLevel.allCases.map(\.rawValue) == [
                "front_line", "centre_head", "subbranch_vip_group", "branch_vip_service", "head_office_service",
            ])
    }

    @Test("B-03 the service team includes the manager")
    func serviceTeam() throws {
        let assigned = ManagerAssigned.V1(
            customerId: "C000123", managerId: "S0042", branchId: "SH001", tier: .c, serviceTeam: ["S0011"],
            reason: .new, at: try Timestamp(rfc3339: "2026-11-23T09:15:03.002+08:00"))
        #expect(throws: EventValidationError(field: "serviceTeam", reason: "must include the manager S0042")) {
            try assigned.validate()
        }
    }

    @Test("scorecard months are YYYY-MM", arguments: ["2026-13", "2026-1", "2026-11-01", "Nov 2026"])
    func scorecardMonth(month: String) throws {
        let scorecard = ScorecardPublished.V1(
            staffId: "S0042", month: month, at: try Timestamp(rfc3339: "2026-12-01T06:00:00.000+08:00"), kpis: [:])
        #expect(throws: EventValidationError.self) { try scorecard.validate() }
    }

    @Test("C-10 daily counts cannot be negative")
    func dailyCounts() throws {
        let stats = BranchDailyStats.V1(
            branchId: "SH001", date: BusinessDate(validYear: 2026, month: 11, day: 23),
            vipsReceivedByManager: ["S0042": -1], vipsIdentifiedByLobby: 0, vipsIdentifiedByTellers: .init(),
            complaintsReceived: 0, at: try Timestamp(rfc3339: "2026-11-23T20:00:00.000+08:00"))
        #expect(throws: EventValidationError(field: "vipsReceivedByManager.S0042", reason: "-1 must not be negative")) {
            try stats.validate()
        }
    }

    @Test("C-10 a revision starts at 1 and the new counts cannot be negative")
    func dailyRevision() throws {
        var stats = BranchDailyStats.V1(
            branchId: "SH001", date: BusinessDate(validYear: 2026, month: 11, day: 23), vipsReceivedByManager: [:],
            vipsIdentifiedByLobby: 0, vipsIdentifiedByTellers: .init(), complaintsReceived: 0,
            at: try Timestamp(rfc3339: "2026-11-23T20:00:00.000+08:00"), vipsIdentifiedOther: 0,
            potentialVipsIdentified: 0, revision: 2)
        #expect(throws: Never.self) { try stats.validate() }
        stats.revision = 0
        #expect(throws: EventValidationError(field: "revision", reason: "0 must be 1 or more")) {
            try stats.validate()
        }
        stats.revision = 1
        stats.vipsIdentifiedOther = -1
        #expect(throws: EventValidationError(field: "vipsIdentifiedOther", reason: "-1 must not be negative")) {
            try stats.validate()
        }
        stats.vipsIdentifiedOther = nil
        stats.potentialVipsIdentified = -2
        #expect(throws: EventValidationError(field: "potentialVipsIdentified", reason: "-2 must not be negative")) {
            try stats.validate()
        }
    }

    @Test("G-01 a scorecard's revision starts at 1 and its branch is not blank")
    func scorecardRevision() throws {
        var scorecard = ScorecardPublished.V1(
            staffId: "S0042", month: "2026-11", at: try Timestamp(rfc3339: "2026-12-01T06:00:00.000+08:00"),
            kpis: [:], branchId: "SH001", revision: 1)
        #expect(throws: Never.self) { try scorecard.validate() }
        scorecard.revision = 0
        #expect(throws: EventValidationError(field: "revision", reason: "0 must be 1 or more")) {
            try scorecard.validate()
        }
        scorecard.revision = nil
        scorecard.branchId = " "
        #expect(throws: EventValidationError(field: "branchId", reason: "must not be empty")) {
            try scorecard.validate()
        }
    }

    @Test("B-03 a tier change from no tier to no tier is rejected")
    func tierChangeBothAbsent() throws {
        let change = CustomerTierChanged.V1(
            customerId: "C000123", tier: nil, aumDailyAvg: Amount(units: 200_000),
            asOf: BusinessDate(validYear: 2026, month: 11, day: 22),
            at: try Timestamp(rfc3339: "2026-11-23T02:00:01.300+08:00"))
        #expect(throws: EventValidationError(field: "tier", reason: "no tier equals previousTier")) {
            try change.validate()
        }
    }

    @Test("B-03 a customer who is no longer a VIP changes to no tier")
    func tierChangeToNone() throws {
        let data: [String: Any] = [
            "customerId": "C000123", "previousTier": "A", "aumDailyAvg": "420000.00", "asOf": "2026-11-22",
            "at": "2026-11-23T02:00:01.300+08:00", "basis": "assets",
        ]
        let message = try Message.event(type: CustomerTierChanged.V1.eventType, data: data)
        let withNull = Array(
            String(decoding: message, as: UTF8.self).replacing(#""basis""#, with: #""tier":null,"basis""#).utf8)
        #expect(withNull != message)
        #expect(try EventCatalog.decode(withNull).payload == EventCatalog.decode(message).payload)
        let event = try EventCatalog.decode(message, onTopic: Topics.scoringEvents)
        guard case .customerTierChanged(let change) = event.payload else {
            Issue.record("not .customerTierChanged")
            return
        }
        #expect(change.previousTier == .a)
        #expect(change.tier == nil)
        #expect(change.basis == "assets")
        #expect(!String(decoding: event.encode(), as: UTF8.self).contains(#""tier""#))
    }

    @Test("B-03 a tier change's basis is assets, card or override")
    func tierChangeBasis() throws {
        var change = CustomerTierChanged.V1(
            customerId: "C000123", previousTier: nil, tier: .a, aumDailyAvg: Amount(units: 200_000),
            asOf: BusinessDate(validYear: 2026, month: 11, day: 22),
            at: try Timestamp(rfc3339: "2026-11-23T02:00:01.300+08:00"), basis: "card", homeBranchId: "SH001")
        #expect(throws: Never.self) { try change.validate() }
        change.basis = "lottery"
        #expect(
            throws: EventValidationError(field: "basis", reason: #""lottery" is not one of assets, card, override"#)
        ) {
            try change.validate()
        }
        change.basis = nil
        change.tier = nil
        change.previousTier = .b
        #expect(throws: Never.self) { try change.validate() }
    }

    @Test("H-04 a breach with a blank detail is rejected")
    func breachBlankDetail() throws {
        var breach = ComplianceBreach.V1(
            breachId: "SALE-1/risk_assessment_missing", saleId: "SALE-1", customerId: "C000123", managerId: "S0042",
            branchId: "SH001", productType: .fund, check: .riskAssessmentMissing, ruleId: "H-04", status: .raised,
            detail: "Fund sale SALE-1 has no risk assessment: record one signed in person before selling again.",
            saleAt: try Timestamp(rfc3339: "2026-11-24T10:12:09.000+08:00"),
            at: try Timestamp(rfc3339: "2026-11-24T10:12:31.250+08:00"))
        #expect(throws: Never.self) { try breach.validate() }
        breach.detail = "  "
        #expect(throws: EventValidationError(field: "detail", reason: "must not be empty")) {
            try breach.validate()
        }
        breach.detail = "x"
        breach.managerId = ""
        #expect(throws: EventValidationError(field: "managerId", reason: "must not be empty")) {
            try breach.validate()
        }
    }

    @Test("H-04 compliance checks and statuses have their wire values")
    func complianceValues() {
        #expect(
            ComplianceCheck.allCases.map(\.rawValue) == [
                "risk_assessment_missing", "risk_assessment_not_in_person", "risk_assessment_after_sale",
                "no_derivatives_experience",
            ])
        #expect(ComplianceStatus.allCases.map(\.rawValue) == ["raised", "withdrawn"])
    }

    @Test("G-02 an assessment score above 100 is rejected")
    func assessmentScoreAbove100() throws {
        var assessment = try Self.assessment()
        #expect(throws: Never.self) { try assessment.validate() }
        assessment.items.marketingAbility = 101
        #expect(throws: EventValidationError(field: "items.marketingAbility", reason: "101 is not between 0 and 100")) {
            try assessment.validate()
        }
        assessment.items.marketingAbility = 100
        assessment.items.serviceQuality = -1
        #expect(throws: EventValidationError(field: "items.serviceQuality", reason: "-1 is not between 0 and 100")) {
            try assessment.validate()
        }
    }

    @Test("G-02 an assessment's month is YYYY-MM and its comment at most 2,000 characters")
    func assessmentMonthAndComment() throws {
        var assessment = try Self.assessment()
        assessment.comment = String(repeating: "好", count: 2000)
        #expect(throws: Never.self) { try assessment.validate() }
        assessment.comment = String(repeating: "a", count: 2001)
        #expect(throws: EventValidationError.self) { try assessment.validate() }
        assessment.comment = nil
        assessment.month = "2026-13"
        #expect(throws: EventValidationError.self) { try assessment.validate() }
    }

    @Test("G-02 the six items in order, by name")
    func assessmentItems() throws {
        let items = try Self.assessment().items
        #expect(
            AssessmentRecorded.V1.Items.names == [
                "selfDevelopment", "marketingAbility", "learningAbility", "targetCompletion", "compliance",
                "serviceQuality",
            ])
        #expect(items.all.map(\.name) == AssessmentRecorded.V1.Items.names)
        #expect(items.all.map(\.score) == [85, 90, 80, 95, 100, 88])
        #expect(items.score(named: "targetCompletion") == 95)
        #expect(items.score(named: "charm") == nil)
    }

    /// A valid assessment of S0042 for November 2026.
    private static func assessment() throws -> AssessmentRecorded.V1 {
        AssessmentRecorded.V1(
            assessmentId: "9e4b2d71-3c58-4f0a-b6e2-51d8a7c40f93", staffId: "S0042", month: "2026-11",
            assessedBy: "S0011",
            items: .init(
                selfDevelopment: 85, marketingAbility: 90, learningAbility: 80, targetCompletion: 95, compliance: 100,
                serviceQuality: 88),
            at: try Timestamp(rfc3339: "2026-12-02T17:40:12.500+08:00"))
    }

    @Test("enum wire values are the contract's")
    func enumValues() {
        #expect(StaffRole.tellerNonCash.rawValue == "teller_noncash")
        #expect(TaskKind.receiveWalkIn.rawValue == "receive_walkin")
        #expect(TaskKind.allCases.count == 13)
        #expect(Tier.allCases.map(\.rawValue) == ["A", "B", "C"])
        #expect(Tier.a < Tier.c)
        #expect(Severity.critical > Severity.normal)
        #expect(CaseSource.callCentre.rawValue == "callcentre")
        #expect(Zone.allCases.count == 6)
        #expect(AssignmentReason.allCases.map(\.rawValue) == ["new", "handover", "transfer", "rebalance", "manual"])
    }
}
