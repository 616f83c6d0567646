// MARK: - Occupation

/// An occupation that marks a potential VIP (rulebook B-02), used in the `occupation:<value>` lead signal.
public enum Occupation: String, WireEnum {
    /// Business owner.
    case businessOwner = "business_owner"
    /// Company executive.
    case executive
    /// Public figure.
    case publicFigure = "public_figure"
    /// Professor.
    case professor
    /// Accountant.
    case accountant
    /// Lawyer.
    case lawyer
    /// Architect.
    case architect
    /// Doctor.
    case doctor
    /// Finance professional.
    case finance
}
