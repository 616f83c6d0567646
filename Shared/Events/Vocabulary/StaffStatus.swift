// MARK: - StaffStatus

/// A staff member's employment status (`bank.hr.staff-updated.v1` `status`).
public enum StaffStatus: String, WireEnum {
    /// Working.
    case active
    /// On leave; `coveringStaffId` names who covers (rulebook D-06).
    case onLeave = "on_leave"
    /// Transferred away; customers are handed over (D-05).
    case transferred
    /// Left the bank; customers are handed over (D-05).
    case left
    /// Removed from post (D-07).
    case removed
}
