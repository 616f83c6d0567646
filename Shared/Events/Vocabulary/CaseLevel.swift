// MARK: - CaseLevel

/// Where a complaint case sits in the escalation chain (rulebook F-04). Ordered from `front_line` up.
public enum CaseLevel: String, WireEnum {
    /// Front-line staff.
    case frontLine = "front_line"
    /// Centre head.
    case centreHead = "centre_head"
    /// Sub-branch VIP service group (优质客户服务组).
    case subbranchVIPGroup = "subbranch_vip_group"
    /// Branch VIP service section (要客服务科).
    case branchVIPService = "branch_vip_service"
    /// Head-office customer service department (客户服务处).
    case headOfficeService = "head_office_service"
}

// MARK: - CaseLevel + Comparable

extension CaseLevel: Comparable {
    /// Orders by declaration order.
    public static func < (lhs: CaseLevel, rhs: CaseLevel) -> Bool {
        lhs.ordinal < rhs.ordinal
    }
}

// MARK: - CaseLevel + escalation

extension CaseLevel {
    /// The next level up the chain, or `nil` at `head_office_service`.
    public var next: CaseLevel? {
        let all = CaseLevel.allCases
        return ordinal + 1 < all.count ? all[ordinal + 1] : nil
    }
}
