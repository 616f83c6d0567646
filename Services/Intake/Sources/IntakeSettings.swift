import Events
import Foundation
import ServiceKit

/// Intake's rules that the sources leave to the bank, all configurable (see `docs/identification.md`).
public struct IntakeSettings: Sendable {
    /// VIP from `INTAKE_VIP_MIN_AUM` (default 300,000; B-01); tier B from `INTAKE_TIER_B_MIN_AUM` (default 1,000,000,
    /// included), tier C from `INTAKE_TIER_C_MIN_AUM` (default 3,000,000, included; B-03).
    public var assetTiers: AssetTiers
    public var vipMinimum: Amount { assetTiers.vipMinimum }
    /// Card-reader tier text (lower-cased) → tier (`INTAKE_CARD_TIERS`, default `diamond=C,platinum=B,gold=A`;
    /// B-04, B-05; a project choice).
    public var cardTiers: [String: Tier]
    /// A cash amount from which the customer is a large-cash customer: VIP window and a potential-VIP signal
    /// (`INTAKE_LARGE_CASH_MIN`, default 50,000; C-07, B-02; a project choice, the sources give no figure).
    public var largeCashMinimum: Amount
    /// A referred customer waiting longer than this raises a `long_wait` queue alert
    /// (`INTAKE_QUEUE_WAIT_LIMIT_MINUTES`, default 10; C-03; a project choice, the sources give no figure).
    public var queueWaitLimit: Duration
    /// Customers waiting and no visit served at the branch for this long raises a `stalled_queue` alert
    /// (`INTAKE_QUEUE_STALL_MINUTES`, default 15; C-04; a project choice, the sources say only "a long time").
    public var queueStallLimit: Duration
    /// How often the queue is checked (`INTAKE_QUEUE_CHECK_INTERVAL_MS`, default 30,000).
    public var queueCheckInterval: Duration
    /// Outlets without wealth service → the centre whose managers take their referrals
    /// (`INTAKE_NO_WEALTH_SERVICE_BRANCHES`, e.g. `SH009=SH001,SH010=SH001`, default none; C-08).
    public var designatedCentres: [String: String]

    public init(
        vipMinimum: Amount = Amount(units: 300_000),
        tierBMinimum: Amount = Amount(units: 1_000_000),
        tierCMinimum: Amount = Amount(units: 3_000_000),
        cardTiers: [String: Tier] = ["diamond": .c, "platinum": .b, "gold": .a],
        largeCashMinimum: Amount = Amount(units: 50_000),
        queueWaitLimit: Duration = .seconds(10 * 60),
        queueStallLimit: Duration = .seconds(15 * 60),
        queueCheckInterval: Duration = .seconds(30),
        designatedCentres: [String: String] = [:]
    ) {
        self.assetTiers = AssetTiers(vipMinimum: vipMinimum, tierBMinimum: tierBMinimum, tierCMinimum: tierCMinimum)
        self.cardTiers = cardTiers
        self.largeCashMinimum = largeCashMinimum
        self.queueWaitLimit = queueWaitLimit
        self.queueStallLimit = queueStallLimit
        self.queueCheckInterval = queueCheckInterval
        self.designatedCentres = designatedCentres
    }

    public static let defaults = IntakeSettings()

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self = .defaults
        assetTiers = try AssetTiers(environment: environment, prefix: "INTAKE")
        largeCashMinimum = try environment.amount("INTAKE_LARGE_CASH_MIN", default: largeCashMinimum)
        if let raw = environment.string("INTAKE_CARD_TIERS") { cardTiers = try Self.cardTiers(raw) }
        queueWaitLimit = .seconds(
            60 * (try environment.int("INTAKE_QUEUE_WAIT_LIMIT_MINUTES", default: 10, in: 1...480)))
        queueStallLimit = .seconds(60 * (try environment.int("INTAKE_QUEUE_STALL_MINUTES", default: 15, in: 1...480)))
        queueCheckInterval = .milliseconds(
            try environment.int("INTAKE_QUEUE_CHECK_INTERVAL_MS", default: 30_000, in: 100...3_600_000))
        if let raw = environment.string("INTAKE_NO_WEALTH_SERVICE_BRANCHES") {
            designatedCentres = try Self.designatedCentres(raw)
        }
    }

    /// Whether `branchID` offers wealth service itself (C-08).
    public func hasWealthService(_ branchID: String) -> Bool {
        designatedCentres[branchID] == nil
    }

    /// The tier a card-reader text maps to: trimmed, case-insensitive; `nil` when the bank's table has no entry.
    public func tier(forCard cardTier: String?) -> Tier? {
        guard let key = cardTier?.trimmingCharacters(in: .whitespaces).lowercased(), !key.isEmpty else { return nil }
        return cardTiers[key]
    }

    // MARK: - Parsing

    /// `diamond=C,platinum=B,gold=A`.
    static func cardTiers(_ raw: String) throws(ConfigurationError) -> [String: Tier] {
        var table: [String: Tier] = [:]
        for (name, value) in try pairs(raw, key: "INTAKE_CARD_TIERS", example: "diamond=C,platinum=B") {
            guard let tier = Tier(rawValue: value.uppercased()) else {
                throw ConfigurationError(key: "INTAKE_CARD_TIERS", reason: "\"\(value)\" is not a tier (A, B or C)")
            }
            table[name.lowercased()] = tier
        }
        return table
    }

    /// `SH009=SH001,SH010=SH001`: outlet without wealth service = its designated centre.
    static func designatedCentres(_ raw: String) throws(ConfigurationError) -> [String: String] {
        let key = "INTAKE_NO_WEALTH_SERVICE_BRANCHES"
        let table = try pairs(raw, key: key, example: "SH009=SH001")
        let centres = Dictionary(table, uniquingKeysWith: { first, _ in first })
        for (outlet, centre) in table {
            guard outlet != centre else {
                throw ConfigurationError(key: key, reason: "\(outlet) cannot be its own designated centre")
            }
            guard centres[centre] == nil else {
                throw ConfigurationError(
                    key: key, reason: "\(outlet)'s centre \(centre) is itself listed as having no wealth service")
            }
        }
        return centres
    }

    private static func pairs(_ raw: String, key: String, example: String) throws(ConfigurationError)
        -> [(String, String)]
    {
        var result: [(String, String)] = []
        var seen: Set<String> = []
        for entry in raw.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConfigurationError(key: key, reason: "expected name=value pairs such as \(example), got \"\(entry)\"")
            }
            guard seen.insert(parts[0].lowercased()).inserted else {
                throw ConfigurationError(key: key, reason: "\(parts[0]) is listed twice")
            }
            result.append((parts[0], parts[1]))
        }
        return result
    }
}
