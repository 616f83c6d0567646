import Events

/// Who is a VIP at the door (rulebook B-01, B-03).
public enum Identification {
    /// The profile facts identification needs.
    public struct Profile: Sendable, Equatable {
        public var aumDailyAvg: Amount
        public var segmentOverride: String?

        public init(aumDailyAvg: Amount, segmentOverride: String?) {
            self.aumDailyAvg = aumDailyAvg
            self.segmentOverride = segmentOverride
        }
    }

    public struct Result: Sendable, Equatable {
        public var tier: Tier
        public var basis: IdentificationBasis
        public var reasons: [String]
    }

    /// The tier for an asset level: A below the tier-B threshold, B from it (included), C from the tier-C
    /// threshold (included).
    public static func tier(for aum: Amount, settings: IntakeSettings) -> Tier {
        if aum >= settings.tierCMinimum { return .c }
        if aum >= settings.tierBMinimum { return .b }
        return .a
    }

    /// A VIP when the latest profile's average daily assets reach the VIP threshold, or when the profile carries
    /// a segment override (`A`, `B` or `C`), which wins. `nil` when the profile does not make a VIP.
    public static func identify(_ profile: Profile, settings: IntakeSettings) -> Result? {
        if let override = profile.segmentOverride.flatMap({ Tier(rawValue: $0.uppercased()) }) {
            return Result(tier: override, basis: .aum, reasons: ["segment override \(override.rawValue) in profile"])
        }
        guard profile.aumDailyAvg >= settings.vipMinimum else { return nil }
        let tier = tier(for: profile.aumDailyAvg, settings: settings)
        return Result(
            tier: tier, basis: .aum,
            reasons: ["average daily assets \(profile.aumDailyAvg.decimalString) ≥ \(settings.vipMinimum.decimalString) (B-01)",
                "tier \(tier.rawValue) by average daily assets (B-03)"])
    }
}
