import Events
import ServiceKit
import Testing

@testable import Intake

// MARK: - Identification

@Suite("Intake identification rules (pure)")
struct IdentificationRulesTests {
    let settings = IntakeSettings.defaults

    func assess(
        aum: Amount? = nil, override: String? = nil, cardHolder: Bool? = nil, card: String? = nil,
        purpose: VisitPurpose = .wealthConsultation, amount: Amount? = nil, signals: [Identification.RaisedSignal] = [],
        settings: IntakeSettings? = nil
    ) -> Identification.Result {
        Identification.assess(
            .init(
                profile: aum.map { .init(aumDailyAvg: $0, segmentOverride: override, cardHolder: cardHolder) },
                cardTier: card, purpose: purpose, amount: amount, signals: signals),
            settings: settings ?? self.settings)
    }

    static let boundaries: [(minorUnits: Int64, level: Identification.Level, tier: Tier?)] = [
        (29_999_999, .standard, nil),  // 299,999.99
        (30_000_000, .vip, .a),  // 300,000
        (99_999_999, .vip, .a),  // 999,999.99
        (100_000_000, .vip, .b),  // 1,000,000
        (299_999_999, .vip, .b),  // 2,999,999.99
        (300_000_000, .vip, .c),  // 3,000,000
    ]

    @Test("B-01 B-03 tier boundaries: 299,999.99 standard; 300,000 A; 999,999.99 A; 1,000,000 B; 2,999,999.99 B; 3,000,000 C")
    func tierBoundaries() {
        for boundary in Self.boundaries {
            let result = assess(aum: Amount(minorUnits: boundary.minorUnits))
            #expect(result.level == boundary.level, "\(boundary.minorUnits)")
            #expect(result.tier == boundary.tier, "\(boundary.minorUnits)")
            #expect(result.basis == (boundary.level == .vip ? .aum : nil))
        }
        let vip = assess(aum: Amount(units: 1_000_000))
        #expect(vip.reasons == ["average daily assets 1000000.00 ≥ 300000.00: VIP, tier B (B-01, B-03)"])
        #expect(vip.classification == .vip)
    }

    @Test("B-01 B-03 every threshold is configuration: 500,000 / 2,000,000 / 5,000,000 move the boundaries")
    func configurableThresholds() throws {
        let raised = try IntakeSettings(
            environment: EnvironmentReader([
                "INTAKE_VIP_MIN_AUM": "500000", "INTAKE_TIER_B_MIN_AUM": "2000000", "INTAKE_TIER_C_MIN_AUM": "5000000",
            ]))
        #expect(assess(aum: Amount(units: 300_000), settings: raised).level == .standard)
        #expect(assess(aum: Amount(units: 500_000), settings: raised).tier == .a)
        #expect(assess(aum: Amount(units: 1_000_000), settings: raised).tier == .a)
        #expect(assess(aum: Amount(units: 2_000_000), settings: raised).tier == .b)
        #expect(assess(aum: Amount(units: 5_000_000), settings: raised).tier == .c)
        #expect(throws: ConfigurationError.self) {
            try IntakeSettings(environment: EnvironmentReader(["INTAKE_VIP_MIN_AUM": "2000000"]))
        }
        #expect(throws: ConfigurationError.self) {
            try IntakeSettings(environment: EnvironmentReader(["INTAKE_LARGE_CASH_MIN": "fifty thousand"]))
        }
    }

    @Test("B-03 a segment override wins: up, down, to potential, to standard, case-insensitively; junk is ignored")
    func segmentOverride() {
        #expect(assess(aum: Amount(units: 10), override: "c").tier == .c)
        #expect(assess(aum: Amount(units: 5_000_000), override: "B").tier == .b)
        #expect(assess(aum: Amount(units: 5_000_000), override: "B").reasons == ["segment override B in the profile (B-03)"])
        #expect(assess(aum: Amount(units: 10), override: "Potential").level == .potential)
        #expect(assess(aum: Amount(units: 5_000_000), override: "standard").level == .standard)
        // The bank's decision wins over a card and signals too.
        #expect(assess(aum: Amount(units: 10), override: "standard", card: "diamond", signals: [.init(.privateCar)]).level == .standard)
        // Not a segment: the assets decide.
        #expect(assess(aum: Amount(units: 5_000_000), override: "platinum").tier == .c)
        #expect(assess(aum: Amount(units: 10), override: "platinum").level == .standard)
    }

    @Test("B-04 B-05 a card identifies a VIP with no profile: diamond C, platinum B, gold A; case and spaces ignored")
    func cardTiers() {
        #expect(assess(card: "diamond").tier == .c)
        #expect(assess(card: " Platinum ").tier == .b)
        #expect(assess(card: "GOLD").tier == .a)
        #expect(assess(card: "gold").basis == .card)
        #expect(assess(card: "gold").reasons == ["gold card: VIP, tier A (B-04, B-05)"])
        #expect(assess(card: "classic").level == .standard)
        #expect(assess(card: "").level == .standard)
    }

    @Test("B-04 B-03 card and assets together: the higher tier wins; a tie is credited to the assets")
    func cardAndAssets() {
        let cardWins = assess(aum: Amount(units: 400_000), card: "diamond")
        #expect(cardWins.tier == .c)
        #expect(cardWins.basis == .card)
        #expect(cardWins.reasons.count == 2)
        let assetsWin = assess(aum: Amount(units: 3_500_000), card: "gold")
        #expect(assetsWin.tier == .c)
        #expect(assetsWin.basis == .aum)
        #expect(assess(aum: Amount(units: 1_200_000), card: "platinum").basis == .aum)
    }

    @Test("B-04 the card table is configuration (INTAKE_CARD_TIERS) and rejects a tier that is not A, B or C")
    func cardTable() throws {
        let custom = try IntakeSettings(environment: EnvironmentReader(["INTAKE_CARD_TIERS": "钻石=C, Black=C,白金=B"]))
        #expect(assess(card: "钻石", settings: custom).tier == .c)
        #expect(assess(card: "black", settings: custom).tier == .c)
        #expect(assess(card: "diamond", settings: custom).level == .standard)
        #expect(throws: ConfigurationError.self) {
            try IntakeSettings(environment: EnvironmentReader(["INTAKE_CARD_TIERS": "diamond=S"]))
        }
        #expect(throws: ConfigurationError.self) {
            try IntakeSettings(environment: EnvironmentReader(["INTAKE_CARD_TIERS": "diamond"]))
        }
    }

    @Test("B-01 B-02 A-05 each contract signal makes a potential VIP (tier null, basis signals) with a reason")
    func everySignal() {
        for signal in LeadSignal.allCases {
            let result = assess(signals: [.init(signal)])
            #expect(result.level == .potential, "\(signal.rawValue)")
            #expect(result.tier == nil)
            #expect(result.basis == .signals)
            #expect(result.reasons.count == 1)
        }
        #expect(assess(signals: [.init(.occupation(.doctor))]).reasons == ["occupation doctor (B-01)"])
        #expect(assess(signals: [.init(.otherBankVIPCard), .init(.privateCar)]).reasons.count == 2)
        #expect(assess().level == .standard)
    }

    @Test("B-02 C-07 large cash from 50,000 (configurable) is a potential-VIP signal and a large-cash customer")
    func largeCash() throws {
        let at = assess(purpose: .cashLarge, amount: Amount(units: 50_000))
        #expect(at.level == .potential)
        #expect(at.largeCash)
        #expect(at.reasons == ["large cash 50000.00 ≥ 50000.00 (B-02, C-07)"])
        let below = assess(purpose: .cashLarge, amount: Amount(minorUnits: 4_999_999))
        #expect(below.level == .standard)
        #expect(!below.largeCash)
        #expect(assess(purpose: .cashLarge).level == .standard)
        // A large_cash signal below the amount is not a signal; without an amount the staff's judgement counts.
        #expect(assess(signals: [.init(.largeCash, amount: Amount(units: 10_000))]).level == .standard)
        #expect(assess(signals: [.init(.largeCash)]).level == .potential)
        // A VIP with large cash stays a VIP.
        #expect(assess(aum: Amount(units: 2_000_000), purpose: .cashLarge, amount: Amount(units: 80_000)).level == .vip)
        let raised = try IntakeSettings(environment: EnvironmentReader(["INTAKE_LARGE_CASH_MIN": "200000"]))
        #expect(assess(purpose: .cashLarge, amount: Amount(units: 100_000), settings: raised).level == .standard)
    }

    @Test("B-01 assets from 300,000 with no card yet (cardHolder false) make a potential VIP, basis aum")
    func assetsWithoutCard() {
        let result = assess(aum: Amount(units: 800_000), cardHolder: false)
        #expect(result.level == .potential)
        #expect(result.tier == nil)
        #expect(result.basis == .aum)
        #expect(result.reasons == ["average daily assets 800000.00 ≥ 300000.00 with no VIP card yet: potential VIP (B-01)"])
        #expect(assess(aum: Amount(units: 800_000), cardHolder: true).level == .vip)
        #expect(assess(aum: Amount(units: 200_000), cardHolder: false).level == .standard)
        // A card read at the door still makes a VIP.
        #expect(assess(aum: Amount(units: 800_000), cardHolder: false, card: "gold").level == .vip)
    }
}

// MARK: - Visit routing

@Suite("Intake visit routing (pure)")
struct VisitRoutingRulesTests {
    /// The zone by need (C-01), and the one a VIP is sent to (C-07).
    static let expected: [VisitPurpose: (standard: Zone, vip: Zone)] = [
        .cashLarge: (.cash, .vipWindow),
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
    func vip(purpose: VisitPurpose) {
        let decision = VisitRouting.route(purpose: purpose, level: .vip, largeCash: false)
        #expect(decision.zone == Self.expected[purpose]?.vip)
        #expect(decision.priority)
        #expect(decision.reason.contains("C-07"))
    }

    @Test("C-01 a standard or potential customer goes by need, without priority", arguments: VisitPurpose.allCases)
    func byNeed(purpose: VisitPurpose) {
        for level in [Identification.Level.standard, .potential] {
            let decision = VisitRouting.route(purpose: purpose, level: level, largeCash: false)
            #expect(decision.zone == Self.expected[purpose]?.standard)
            #expect(!decision.priority)
            #expect(decision.reason.contains("C-01"))
        }
    }

    @Test("C-07 a large-cash customer goes to the VIP window with priority whoever they are")
    func largeCash() {
        for level in [Identification.Level.standard, .potential] {
            let decision = VisitRouting.route(purpose: .cashLarge, level: level, largeCash: true)
            #expect(decision.zone == .vipWindow)
            #expect(decision.priority)
        }
    }

    @Test("C-08 at an outlet without wealth service a wealth consultation goes to the non-cash zone")
    func noWealthService() {
        let decision = VisitRouting.route(
            purpose: .wealthConsultation, level: .standard, largeCash: false, wealthService: false)
        #expect(decision.zone == .nonCash)
        #expect(decision.reason.contains("no wealth service"))
        #expect(
            VisitRouting.route(purpose: .wealthConsultation, level: .vip, largeCash: false, wealthService: false).zone
                == .vipRoom)
    }
}

// MARK: - Settings

@Suite("Intake settings")
struct IntakeSettingsTests {
    @Test("C-08 outlets without wealth service map to a designated centre; a centre cannot itself lack it")
    func designatedCentres() throws {
        let settings = try IntakeSettings(
            environment: EnvironmentReader(["INTAKE_NO_WEALTH_SERVICE_BRANCHES": "SH009=SH001, SH010=SH001"]))
        #expect(settings.designatedCentres == ["SH009": "SH001", "SH010": "SH001"])
        #expect(!settings.hasWealthService("SH009"))
        #expect(settings.hasWealthService("SH001"))
        for bad in ["SH009=SH009", "SH009=SH010,SH010=SH001", "SH009", "SH009=SH001,SH009=SH002"] {
            #expect(throws: ConfigurationError.self, "\(bad)") {
                try IntakeSettings(environment: EnvironmentReader(["INTAKE_NO_WEALTH_SERVICE_BRANCHES": bad]))
            }
        }
    }

    @Test("C-03 C-04 queue limits default to 10 and 15 minutes and come from the environment")
    func queueLimits() throws {
        #expect(IntakeSettings.defaults.queueWaitLimit == .seconds(600))
        #expect(IntakeSettings.defaults.queueStallLimit == .seconds(900))
        let settings = try IntakeSettings(
            environment: EnvironmentReader([
                "INTAKE_QUEUE_WAIT_LIMIT_MINUTES": "5", "INTAKE_QUEUE_STALL_MINUTES": "20",
                "INTAKE_QUEUE_CHECK_INTERVAL_MS": "1000",
            ]))
        #expect(settings.queueWaitLimit == .seconds(300))
        #expect(settings.queueStallLimit == .seconds(1200))
        #expect(settings.queueCheckInterval == .seconds(1))
        #expect(throws: ConfigurationError.self) {
            try IntakeSettings(environment: EnvironmentReader(["INTAKE_QUEUE_WAIT_LIMIT_MINUTES": "0"]))
        }
    }
}
