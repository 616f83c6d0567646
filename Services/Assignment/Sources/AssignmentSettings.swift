import Events
import ServiceKit

/// Assignment's policy (rulebook D-03, D-05, D-07, B-03), all configurable; see `docs/assignment.md`.
public struct AssignmentSettings: Sendable {
    /// The caps a new owner must stay under.
    public var capacity: CapacityPolicy
    /// Tiers of a customer from their profile (`ASSIGNMENT_VIP_MIN_AUM`, `ASSIGNMENT_TIER_B_MIN_AUM`,
    /// `ASSIGNMENT_TIER_C_MIN_AUM`; B-03). Tier B is also where the 1,000,000 segment of D-03 starts.
    public var assetTiers: AssetTiers
    /// A manager removed from the post is not eligible again for this many months after the removal's
    /// `effectiveAt` (`ASSIGNMENT_REMOVAL_BAN_MONTHS`, default 24; D-07).
    public var removalBanMonths: Int
    /// The new manager's first direct contact after a departure is due this many months after the departure's
    /// `effectiveAt` (`ASSIGNMENT_FIRST_CONTACT_MONTHS`, default 1; D-05).
    public var firstContactMonths: Int

    public init(
        capacity: CapacityPolicy = CapacityPolicy(), assetTiers: AssetTiers = AssetTiers(), removalBanMonths: Int = 24,
        firstContactMonths: Int = 1
    ) {
        self.capacity = capacity
        self.assetTiers = assetTiers
        self.removalBanMonths = removalBanMonths
        self.firstContactMonths = firstContactMonths
    }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        let defaults = CapacityPolicy()
        let mode = environment.string("ASSIGNMENT_CAP_MODE", default: "hard").lowercased()
        guard mode == "hard" || mode == "soft" else {
            throw ConfigurationError(key: "ASSIGNMENT_CAP_MODE", reason: "expected hard or soft, got \"\(mode)\"")
        }
        self.init(
            capacity: CapacityPolicy(
                total: try environment.int("ASSIGNMENT_MANAGER_CAPACITY", default: defaults.total, in: 1...100_000),
                standard: try environment.int("ASSIGNMENT_CAP_STANDARD", default: defaults.standard, in: 0...100_000),
                high: try environment.int("ASSIGNMENT_CAP_HIGH", default: defaults.high, in: 0...100_000),
                segmentCaps: try environment.bool("ASSIGNMENT_SEGMENT_CAPS", default: defaults.segmentCaps),
                hard: mode == "hard"),
            assetTiers: try AssetTiers(environment: environment, prefix: "ASSIGNMENT"),
            removalBanMonths: try environment.int("ASSIGNMENT_REMOVAL_BAN_MONTHS", default: 24, in: 0...240),
            firstContactMonths: try environment.int("ASSIGNMENT_FIRST_CONTACT_MONTHS", default: 1, in: 1...24))
    }
}
