import Events

/// The asset thresholds of rulebook B-01 and B-03: VIP from 300,000 of average daily assets; tier A below
/// 1,000,000, B from 1,000,000 (included), C from 3,000,000 (included). Every service that reads tiers from assets
/// takes them from its own `<SERVICE>_VIP_MIN_AUM`, `<SERVICE>_TIER_B_MIN_AUM` and `<SERVICE>_TIER_C_MIN_AUM`.
public struct AssetTiers: Sendable, Equatable {
    public var vipMinimum: Amount
    public var tierBMinimum: Amount
    public var tierCMinimum: Amount

    public init(
        vipMinimum: Amount = Amount(units: 300_000), tierBMinimum: Amount = Amount(units: 1_000_000),
        tierCMinimum: Amount = Amount(units: 3_000_000)
    ) {
        self.vipMinimum = vipMinimum
        self.tierBMinimum = tierBMinimum
        self.tierCMinimum = tierCMinimum
    }

    /// Reads `<prefix>_VIP_MIN_AUM`, `<prefix>_TIER_B_MIN_AUM` and `<prefix>_TIER_C_MIN_AUM`; they must rise.
    public init(environment: EnvironmentReader, prefix: String) throws(ConfigurationError) {
        let defaults = AssetTiers()
        self.init(
            vipMinimum: try environment.amount("\(prefix)_VIP_MIN_AUM", default: defaults.vipMinimum),
            tierBMinimum: try environment.amount("\(prefix)_TIER_B_MIN_AUM", default: defaults.tierBMinimum),
            tierCMinimum: try environment.amount("\(prefix)_TIER_C_MIN_AUM", default: defaults.tierCMinimum))
        guard vipMinimum <= tierBMinimum, tierBMinimum <= tierCMinimum else {
            throw ConfigurationError(
                key: "\(prefix)_TIER_B_MIN_AUM", reason: "thresholds must rise: VIP ≤ tier B ≤ tier C")
        }
    }

    /// The tier for an asset level: A below the tier-B threshold, B from it (included), C from the tier-C
    /// threshold (included).
    public func tier(for aum: Amount) -> Tier {
        if aum >= tierCMinimum { return .c }
        if aum >= tierBMinimum { return .b }
        return .a
    }
}
