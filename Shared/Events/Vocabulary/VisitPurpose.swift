// MARK: - VisitPurpose

/// Why a customer came to the branch (`bank.branch.visit-arrived.v1` `purpose`); drives the door-side
/// diversion of rulebook C-01.
public enum VisitPurpose: String, WireEnum {
    /// Large cash deposit or withdrawal (cash zone).
    case cashLarge = "cash_large"
    /// Small cash deposit or withdrawal (self-service zone).
    case cashSmall = "cash_small"
    /// Agency fee or utility payment (self-service zone).
    case utilityPayment = "utility_payment"
    /// Passbook update, 补登折 (self-service zone).
    case passbookUpdate = "passbook_update"
    /// Other non-cash business (non-cash zone).
    case nonCash = "non_cash"
    /// Wealth management consultation.
    case wealthConsultation = "wealth_consultation"
    /// Loan business.
    case loan
    /// The customer comes to complain.
    case complaint
    /// Anything else.
    case other
}
