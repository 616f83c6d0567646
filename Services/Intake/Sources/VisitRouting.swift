import Events

/// Where the lobby sends a visit (rulebook C-01 needs-based diversion, C-02 priority, C-07 VIP window and room,
/// C-08 outlets without wealth service).
public enum VisitRouting {
    public struct Decision: Sendable, Equatable {
        public var zone: Zone
        public var priority: Bool
        public var reason: String
    }

    /// The zone by need alone (C-01): large cash → cash; small cash, fee payments and passbook updates →
    /// self-service; non-cash business and loans → non-cash; wealth consultation → wealth (non-cash at an outlet
    /// without wealth service, C-08); complaints and anything else → non-cash, where the counter staff and the
    /// lobby manager take them.
    public static func ordinaryZone(for purpose: VisitPurpose, wealthService: Bool = true) -> (zone: Zone, need: String)
    {
        switch purpose {
        case .cashLarge: (.cash, "large cash business")
        case .cashSmall, .utilityPayment, .passbookUpdate: (.selfService, "small cash, fee payment or passbook update")
        case .nonCash, .loan: (.nonCash, "non-cash business")
        case .wealthConsultation:
            wealthService ? (.wealth, "wealth consultation") : (.nonCash, "wealth consultation (no wealth service here)")
        case .complaint, .other: (.nonCash, "a request for the counter")
        }
    }

    /// - Parameters:
    ///   - purpose: the customer's stated need.
    ///   - level: a VIP gets the VIP window for cash business and the VIP room for everything else, with priority
    ///     (C-02, C-07); a potential VIP keeps the zone of their need and gets a referral instead.
    ///   - largeCash: a large-cash customer goes to the VIP window with priority whoever they are (C-07).
    ///   - wealthService: whether the branch offers wealth service (C-08).
    public static func route(
        purpose: VisitPurpose, level: Identification.Level, largeCash: Bool, wealthService: Bool = true
    ) -> Decision {
        let (ordinary, need) = ordinaryZone(for: purpose, wealthService: wealthService)
        switch level {
        case .vip:
            let zone: Zone = ordinary == .cash || ordinary == .selfService ? .vipWindow : .vipRoom
            return Decision(zone: zone, priority: true, reason: "VIP with \(need): priority service (C-02, C-07)")
        case .potential, .standard:
            if largeCash {
                return Decision(
                    zone: .vipWindow, priority: true, reason: "large cash business: VIP window (C-01, C-07)")
            }
            let suffix = level == .potential ? "; potential VIP referred to a manager (C-02)" : ""
            return Decision(zone: ordinary, priority: false, reason: "\(need) (C-01)\(suffix)")
        }
    }
}
