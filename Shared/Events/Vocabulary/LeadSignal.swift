// MARK: - LeadSignal

/// A sign that a walk-in customer may be a VIP, raised by lobby staff or tellers (rulebook B-02): the entries of
/// `signals` in `bank.branch.visit-arrived.v1` and the `signal` of `bank.branch.visit-signal.v1`.
///
/// On the wire a signal is one string: `large_cash`, or `occupation:<occupation>` such as `occupation:doctor`.
public enum LeadSignal: Hashable, Sendable, CaseIterable {
    /// Holds another bank's VIP card (`other_bank_vip_card`).
    case otherBankVIPCard
    /// Deals in large amounts of cash (`large_cash`).
    case largeCash
    /// Arrives in a private car (`private_car`).
    case privateCar
    /// Lives in a premium residence (`premium_residence`).
    case premiumResidence
    /// Frequents high-end venues (`high_end_venues`).
    case highEndVenues
    /// Expresses a wealth-management need (`wealth_need`).
    case wealthNeed
    /// Works in a VIP-typical occupation (`occupation:<occupation>`).
    case occupation(Occupation)

    /// Every signal, occupations included.
    public static var allCases: [LeadSignal] {
        [.otherBankVIPCard, .largeCash, .privateCar, .premiumResidence, .highEndVenues, .wealthNeed]
            + Occupation.allCases.map { .occupation($0) }
    }

    /// The allowed wire values, comma-separated, for error messages.
    public static var allowedValues: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}

// MARK: - LeadSignal + RawRepresentable

extension LeadSignal: RawRepresentable {
    /// The prefix of occupation signals.
    private static let occupationPrefix = "occupation:"

    /// Reads a wire value such as `large_cash` or `occupation:doctor`; `nil` for anything else.
    ///
    /// - Parameter rawValue: The wire text.
    public init?(rawValue: String) {
        switch rawValue {
        case "other_bank_vip_card": self = .otherBankVIPCard
        case "large_cash": self = .largeCash
        case "private_car": self = .privateCar
        case "premium_residence": self = .premiumResidence
        case "high_end_venues": self = .highEndVenues
        case "wealth_need": self = .wealthNeed
        default:
            guard rawValue.hasPrefix(Self.occupationPrefix),
                let occupation = Occupation(rawValue: String(rawValue.dropFirst(Self.occupationPrefix.count)))
            else { return nil }
            self = .occupation(occupation)
        }
    }

    /// The wire text.
    public var rawValue: String {
        switch self {
        case .otherBankVIPCard: "other_bank_vip_card"
        case .largeCash: "large_cash"
        case .privateCar: "private_car"
        case .premiumResidence: "premium_residence"
        case .highEndVenues: "high_end_venues"
        case .wealthNeed: "wealth_need"
        case .occupation(let occupation): Self.occupationPrefix + occupation.rawValue
        }
    }
}

// MARK: - LeadSignal + Codable

extension LeadSignal: Codable {
    /// Decodes the wire string; an unknown signal or occupation throws `DecodingError.dataCorrupted` listing the
    /// allowed values.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let rawValue = try container.decode(String.self)
        guard let signal = LeadSignal(rawValue: rawValue) else {
            let reason: String
            if rawValue.hasPrefix(Self.occupationPrefix) {
                let occupation = String(rawValue.dropFirst(Self.occupationPrefix.count))
                reason = "occupation \(occupation.quotedForMessage()) is not one of \(Occupation.allowedValues)"
            } else {
                reason = "\(rawValue.quotedForMessage()) is not one of \(Self.allowedValues)"
            }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: reason)
        }
        self = signal
    }

    /// Encodes the wire string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
