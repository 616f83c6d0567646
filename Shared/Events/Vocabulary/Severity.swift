// MARK: - Severity

/// How serious a complaint is. Ordered from `low` to `critical`.
public enum Severity: String, WireEnum {
    /// Low.
    case low
    /// Normal.
    case normal
    /// High.
    case high
    /// Critical.
    case critical
}

// MARK: - Severity + Comparable

extension Severity: Comparable {
    /// Orders by declaration order.
    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        lhs.ordinal < rhs.ordinal
    }
}
