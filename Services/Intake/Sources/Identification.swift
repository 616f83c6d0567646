import Events
import ServiceKit
import Foundation

/// Who is a VIP or a potential VIP at the door and at the counter (rulebook B-01 to B-05, A-05, C-02).
///
/// Pure: the facts known about a visit in, a classification with its basis and reasons out. The service stores the
/// result and decides what to emit.
public enum Identification {
    /// The profile facts identification needs (the latest `customer-profile`).
    public struct Profile: Sendable, Equatable {
        public var aumDailyAvg: Amount
        public var segmentOverride: String?
        /// `false` when core banking says the customer holds no VIP card yet.
        public var cardHolder: Bool?

        public init(aumDailyAvg: Amount, segmentOverride: String? = nil, cardHolder: Bool? = nil) {
            self.aumDailyAvg = aumDailyAvg
            self.segmentOverride = segmentOverride
            self.cardHolder = cardHolder
        }
    }

    /// A lead signal as raised on the arrival or on a `visit-signal`.
    public struct RaisedSignal: Sendable, Equatable {
        public var signal: LeadSignal
        public var amount: Amount?

        public init(_ signal: LeadSignal, amount: Amount? = nil) {
            self.signal = signal
            self.amount = amount
        }
    }

    /// Everything known about a visit that bears on identification.
    public struct Facts: Sendable, Equatable {
        public var profile: Profile?
        public var cardTier: String?
        public var purpose: VisitPurpose
        public var amount: Amount?
        public var signals: [RaisedSignal]

        public init(
            profile: Profile? = nil, cardTier: String? = nil, purpose: VisitPurpose, amount: Amount? = nil,
            signals: [RaisedSignal] = []
        ) {
            self.profile = profile
            self.cardTier = cardTier
            self.purpose = purpose
            self.amount = amount
            self.signals = signals
        }
    }

    /// Standard, potential VIP or VIP; a visit only ever moves up this order.
    public enum Level: Int, Comparable, Sendable {
        case standard = 0, potential, vip

        public init(_ classification: Classification?) {
            switch classification {
            case .vip: self = .vip
            case .potential: self = .potential
            case nil: self = .standard
            }
        }

        public var classification: Classification? {
            switch self {
            case .standard: nil
            case .potential: .potential
            case .vip: .vip
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public struct Result: Sendable, Equatable {
        public var level: Level
        /// A VIP's tier; `nil` for potential and standard.
        public var tier: Tier?
        public var basis: IdentificationBasis?
        /// Why, for people (the register and `customer-identified`), each naming its rule.
        public var reasons: [String]
        /// A large-cash customer (C-07): served at the VIP window with priority whatever the level.
        public var largeCash: Bool

        public var classification: Classification? { level.classification }
    }

    /// Classifies a visit:
    /// 1. a `segmentOverride` of `A`, `B`, `C`, `potential` or `standard` in the profile decides (B-03);
    /// 2. VIP by average daily assets from the VIP threshold, tier by B-03 (B-01, B-03), unless core banking says
    ///    the customer holds no card yet;
    /// 3. VIP by a card the bank's table maps to a tier (B-04, B-05); with assets too, the higher tier wins;
    /// 4. potential VIP by assets at the VIP threshold with no card yet (B-01), or by any lead signal: another
    ///    bank's VIP card, large cash from the configured amount, a private car, a premium residence, high-end
    ///    venues, a stated wealth need or a listed occupation (B-01, B-02, A-05).
    public static func assess(_ facts: Facts, settings: IntakeSettings) -> Result {
        let largeCash = isLargeCash(facts, settings: settings)
        if let override = SegmentOverride(facts.profile?.segmentOverride) {
            return result(of: override, largeCash: largeCash)
        }

        var vipReasons: [String] = []
        var assetTier: Tier?
        var potentialByAssets = false
        if let profile = facts.profile, profile.aumDailyAvg >= settings.vipMinimum {
            if profile.cardHolder == false {
                potentialByAssets = true
            } else {
                let tier = settings.assetTiers.tier(for: profile.aumDailyAvg)
                assetTier = tier
                vipReasons.append(
                    "average daily assets \(profile.aumDailyAvg.decimalString) ≥ \(settings.vipMinimum.decimalString): "
                        + "VIP, tier \(tier.rawValue) (B-01, B-03)")
            }
        }
        let cardTier = settings.tier(forCard: facts.cardTier)
        if let cardTier, let text = facts.cardTier {
            vipReasons.append("\(text.lowercased()) card: VIP, tier \(cardTier.rawValue) (B-04, B-05)")
        }
        if let best = [assetTier, cardTier].compactMap({ $0 }).max() {
            // Equal tiers are credited to the assets, the primary rule.
            let basis: IdentificationBasis = assetTier == best ? .aum : .card
            return Result(level: .vip, tier: best, basis: basis, reasons: vipReasons, largeCash: largeCash)
        }

        var potentialReasons: [String] = []
        if potentialByAssets, let profile = facts.profile {
            potentialReasons.append(
                "average daily assets \(profile.aumDailyAvg.decimalString) ≥ \(settings.vipMinimum.decimalString) "
                    + "with no VIP card yet: potential VIP (B-01)")
        }
        potentialReasons += signalReasons(facts, settings: settings)
        guard !potentialReasons.isEmpty else {
            return Result(level: .standard, tier: nil, basis: nil, reasons: [], largeCash: largeCash)
        }
        return Result(
            level: .potential, tier: nil, basis: potentialByAssets ? .aum : .signals, reasons: potentialReasons,
            largeCash: largeCash)
    }

    /// Large cash (C-07, B-02): a cash visit of at least the configured amount, or a `large_cash` signal whose
    /// amount (when given) reaches it.
    static func isLargeCash(_ facts: Facts, settings: IntakeSettings) -> Bool {
        if [.cashLarge, .cashSmall].contains(facts.purpose), let amount = facts.amount,
            amount >= settings.largeCashMinimum
        {
            return true
        }
        return facts.signals.contains { $0.signal == .largeCash && ($0.amount ?? settings.largeCashMinimum) >= settings.largeCashMinimum }
    }

    private static func signalReasons(_ facts: Facts, settings: IntakeSettings) -> [String] {
        var reasons: [String] = []
        var seen: Set<LeadSignal> = []
        if [.cashLarge, .cashSmall].contains(facts.purpose), let amount = facts.amount,
            amount >= settings.largeCashMinimum
        {
            reasons.append(
                "large cash \(amount.decimalString) ≥ \(settings.largeCashMinimum.decimalString) (B-02, C-07)")
            seen.insert(.largeCash)
        }
        for raised in facts.signals where !seen.contains(raised.signal) {
            if raised.signal == .largeCash, let amount = raised.amount, amount < settings.largeCashMinimum {
                continue  // Below the bank's large-cash amount: not a signal.
            }
            seen.insert(raised.signal)
            reasons.append(describe(raised, settings: settings))
        }
        return reasons
    }

    private static func describe(_ raised: RaisedSignal, settings: IntakeSettings) -> String {
        switch raised.signal {
        case .otherBankVIPCard: "holds another bank's VIP card (B-01)"
        case .largeCash:
            raised.amount.map { "large cash \($0.decimalString) ≥ \(settings.largeCashMinimum.decimalString) (B-02)" }
                ?? "large cash (B-02)"
        case .privateCar: "owns a private car (B-01)"
        case .premiumResidence: "lives in an upscale community (B-01)"
        case .highEndVenues: "frequents high-end venues (B-01)"
        case .wealthNeed: "states a need for wealth services (B-01, A-05)"
        case .occupation(let occupation): "occupation \(occupation.rawValue) (B-01)"
        }
    }

    /// What a profile's `segmentOverride` makes of the visit.
    private static func result(of override: SegmentOverride, largeCash: Bool) -> Result {
        switch override {
        case .tier(let tier):
            Result(
                level: .vip, tier: tier, basis: .aum,
                reasons: ["segment override \(tier.rawValue) in the profile (B-03)"], largeCash: largeCash)
        case .potential:
            Result(
                level: .potential, tier: nil, basis: .aum,
                reasons: ["segment override potential in the profile (B-01)"], largeCash: largeCash)
        case .standard:
            Result(level: .standard, tier: nil, basis: nil, reasons: [], largeCash: largeCash)
        }
    }
}
