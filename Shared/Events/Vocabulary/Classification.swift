// MARK: - Classification

/// Whether an identified customer is a VIP or a potential VIP (rulebook B-01, B-02).
public enum Classification: String, WireEnum {
    /// An existing VIP customer.
    case vip
    /// A potential VIP, identified from signals.
    case potential
}
