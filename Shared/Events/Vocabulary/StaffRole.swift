// MARK: - StaffRole

/// A staff member's role (HR `role`; the roles of whoever records a visit or raises a signal).
public enum StaffRole: String, WireEnum {
    /// Lobby manager, 大堂经理 (rulebook A-03).
    case lobbyManager = "lobby_manager"
    /// Lobby-manager assistant or receptionist.
    case lobbyAssistant = "lobby_assistant"
    /// Cash teller.
    case tellerCash = "teller_cash"
    /// Non-cash teller.
    case tellerNonCash = "teller_noncash"
    /// Business officer or supervisor, 业务主办.
    case businessOfficer = "business_officer"
    /// Wealth manager, 理财经理.
    case wealthManager = "wealth_manager"
    /// Marketing manager, 营销经理.
    case marketingManager = "marketing_manager"
    /// Customer-manager team lead.
    case teamLead = "team_lead"
    /// Wealth-centre or outlet head.
    case centreHead = "centre_head"
    /// Branch (网点) sales supervisor; joins tier B and C service teams (B-03).
    case branchSalesSupervisor = "branch_sales_supervisor"
    /// Regional or branch sales supervisor; joins tier C service teams (B-03).
    case regionalSalesSupervisor = "regional_sales_supervisor"
}

// MARK: - StaffRole + front line

extension StaffRole {
    /// The roles that record visits at the door or counter (`recordedByRole` of `bank.branch.visit-arrived.v1`).
    public static let frontLine: [StaffRole] = [
        .lobbyManager, .lobbyAssistant, .tellerCash, .tellerNonCash, .businessOfficer,
    ]

    /// Whether this role is one of ``frontLine``.
    public var isFrontLine: Bool { Self.frontLine.contains(self) }
}
