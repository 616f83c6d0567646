// MARK: - CaseSource

/// Where a complaint case came from (`concierge.complaints.case-opened.v1` `source`).
public enum CaseSource: String, WireEnum {
    /// A branch complaint (`bank.branch.complaint-lodged.v1`).
    case branch
    /// A call-centre escalation (`bank.callcentre.escalation-raised.v1`).
    case callCentre = "callcentre"
}
