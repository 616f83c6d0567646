// MARK: - ComplianceStatus

/// Whether a compliance breach stands (`concierge.scoring.compliance-breach.v1` `status`).
public enum ComplianceStatus: String, WireEnum {
    /// The breach was found.
    case raised
    /// The breach no longer stands: a profile recorded later, dated on or before the sale, shows the customer had
    /// derivatives experience.
    case withdrawn
}
