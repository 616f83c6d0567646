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
