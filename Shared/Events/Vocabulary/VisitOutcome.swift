// MARK: - VisitOutcome

/// How a visit ended (`bank.branch.visit-left.v1` `outcome`).
public enum VisitOutcome: String, WireEnum {
    /// The customer was served.
    case served
    /// The customer declined the referral to a manager.
    case referralDeclined = "referral_declined"
    /// The customer left without being served.
    case leftUnserved = "left_unserved"
}
