import Events

/// Where the lobby sends a visit (rulebook C-01 needs-based diversion, C-02 priority, C-07 VIP window and room).
public enum VisitRouting {
    public struct Decision: Sendable, Equatable {
        public var zone: Zone
        public var priority: Bool
        public var reason: String
    }

    /// - Parameters:
    ///   - purpose: the customer's stated need.
    ///   - isVIP: an identified VIP (or potential VIP) gets the VIP window for cash business and the VIP room for
    ///     everything else, with priority.
    public static func route(purpose: VisitPurpose, isVIP: Bool) -> Decision {
        let ordinary: Zone
        let need: String
        switch purpose {
        case .cashLarge:
            ordinary = .cash
            need = "large cash business"
        case .cashSmall, .utilityPayment, .passbookUpdate:
            ordinary = .selfService
            need = "small cash, fee payment or passbook update"
        case .nonCash, .loan:
            ordinary = .nonCash
            need = "non-cash business"
        case .wealthConsultation:
            ordinary = .wealth
            need = "wealth consultation"
        case .complaint, .other:
            ordinary = .nonCash
            need = "a request for the counter"
        }
        if isVIP {
            let zone: Zone = ordinary == .cash || ordinary == .selfService ? .vipWindow : .vipRoom
            return Decision(zone: zone, priority: true, reason: "VIP with \(need): priority service (C-02, C-07)")
        }
        if purpose == .cashLarge {
            // Large cash goes to the VIP window with priority whoever the customer is (C-07).
            return Decision(zone: .vipWindow, priority: true, reason: "large cash business: VIP window (C-01, C-07)")
        }
        return Decision(zone: ordinary, priority: false, reason: "\(need) (C-01)")
    }
}
