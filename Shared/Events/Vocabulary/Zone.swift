// MARK: - Zone

/// Where in the branch a visit is routed (`concierge.intake.visit-routed.v1` `zone`, rulebook C-01, C-07).
public enum Zone: String, WireEnum {
    /// Cash zone.
    case cash
    /// Self-service zone.
    case selfService = "self_service"
    /// Non-cash zone.
    case nonCash = "non_cash"
    /// Wealth-service zone (理财区).
    case wealth
    /// VIP counter window.
    case vipWindow = "vip_window"
    /// VIP room.
    case vipRoom = "vip_room"
}
