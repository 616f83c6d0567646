// MARK: - IdentificationBasis

/// What an identification rests on (`concierge.intake.customer-identified.v1` `basis`).
public enum IdentificationBasis: String, WireEnum {
    /// The customer's average daily assets.
    case aum
    /// Lead signals raised by staff (rulebook B-02).
    case signals
    /// The customer's card tier.
    case card
}
