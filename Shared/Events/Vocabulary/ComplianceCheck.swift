// MARK: - ComplianceCheck

/// A sales-compliance check a sale can fail (rulebook H-04; `concierge.scoring.compliance-breach.v1` `check`).
public enum ComplianceCheck: String, WireEnum {
    /// A wealth, fund or derivative-linked sale has no risk assessment.
    case riskAssessmentMissing = "risk_assessment_missing"
    /// The risk assessment was not signed by the customer in person at the outlet (`signedInPerson` false or
    /// absent).
    case riskAssessmentNotInPerson = "risk_assessment_not_in_person"
    /// The risk assessment was made after the sale.
    case riskAssessmentAfterSale = "risk_assessment_after_sale"
    /// A derivative-linked sale to a customer whose profile (the latest on or before the sale's date) does not show
    /// derivatives experience.
    case noDerivativesExperience = "no_derivatives_experience"
}
