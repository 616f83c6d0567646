// MARK: - ContactKind

/// How a manager contacted a customer (`bank.crm.contact-logged.v1` `kind`).
public enum ContactKind: String, WireEnum {
    /// Telephone call.
    case call
    /// Face-to-face meeting.
    case meeting
    /// Visit.
    case visit
    /// Message.
    case message
}
