import Events
import ServiceKit

/// Intake's thresholds (rulebook B-01, B-03), all configurable.
public struct IntakeSettings: Sendable {
    /// Average daily assets from which a customer is a VIP (`INTAKE_VIP_MIN_AUM`, default 300,000; B-01).
    public var vipMinimum: Amount
    /// Tier B from this amount, included (`INTAKE_TIER_B_MIN_AUM`, default 1,000,000; B-03).
    public var tierBMinimum: Amount
    /// Tier C from this amount, included (`INTAKE_TIER_C_MIN_AUM`, default 3,000,000; B-03).
    public var tierCMinimum: Amount

    public init(vipMinimum: Amount, tierBMinimum: Amount, tierCMinimum: Amount) {
        self.vipMinimum = vipMinimum
        self.tierBMinimum = tierBMinimum
        self.tierCMinimum = tierCMinimum
    }

    public static let defaults = IntakeSettings(
        vipMinimum: Amount(units: 300_000), tierBMinimum: Amount(units: 1_000_000),
        tierCMinimum: Amount(units: 3_000_000))

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self = .defaults
        vipMinimum = try Self.amount(environment, "INTAKE_VIP_MIN_AUM", default: vipMinimum)
        tierBMinimum = try Self.amount(environment, "INTAKE_TIER_B_MIN_AUM", default: tierBMinimum)
        tierCMinimum = try Self.amount(environment, "INTAKE_TIER_C_MIN_AUM", default: tierCMinimum)
        guard vipMinimum <= tierBMinimum, tierBMinimum <= tierCMinimum else {
            throw ConfigurationError(
                key: "INTAKE_TIER_B_MIN_AUM", reason: "thresholds must rise: VIP ≤ tier B ≤ tier C")
        }
    }

    static func amount(_ environment: EnvironmentReader, _ key: String, default value: Amount)
        throws(ConfigurationError) -> Amount
    {
        guard let raw = environment.string(key) else { return value }
        guard let amount = (try? Amount(parsing: raw)) else {
            throw ConfigurationError(key: key, reason: "expected an amount such as 300000.00, got \"\(raw)\"")
        }
        return amount
    }
}
