// MARK: - Tier

/// A VIP's maintenance tier by current-year average daily assets (rulebook B-03). Ordered A < B < C.
public enum Tier: String, WireEnum {
    /// Below 1,000,000 yuan: one exclusive manager.
    case a = "A"
    /// 1,000,000 (inclusive) to 3,000,000 yuan: manager plus branch sales supervisor.
    case b = "B"
    /// 3,000,000 yuan and above: manager, branch and regional sales supervisors.
    case c = "C"
}

// MARK: - Tier + Comparable

extension Tier: Comparable {
    /// Orders by declaration order.
    public static func < (lhs: Tier, rhs: Tier) -> Bool {
        lhs.ordinal < rhs.ordinal
    }
}
