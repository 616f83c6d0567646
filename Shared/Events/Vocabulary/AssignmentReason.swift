// MARK: - AssignmentReason

/// Why a customer got (another) exclusive manager (`concierge.assignment.manager-assigned.v1`).
public enum AssignmentReason: String, WireEnum {
    /// First assignment.
    case new
    /// The previous manager transferred or left (rulebook D-05).
    case handover
    /// Marketing manager to wealth manager transfer (D-08).
    case transfer
    /// Workload rebalancing (D-03).
    case rebalance
    /// Assigned by hand.
    case manual
}
