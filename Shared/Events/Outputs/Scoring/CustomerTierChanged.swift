// MARK: - CustomerTierChanged

/// A customer's tier changes with their average daily assets, their VIP card or their profile's override
/// (rulebook B-03); a customer who stops being a VIP changes to no tier.
///
/// Type `concierge.scoring.customer-tier-changed.v1` on topic `scoring.events`; Kafka key: `customerId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum CustomerTierChanged {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CustomerTierChanged.V1

extension CustomerTierChanged {
    /// Version 1 of the `data` of `concierge.scoring.customer-tier-changed.v1`.
    public struct V1: EventData {
        /// `concierge.scoring.customer-tier-changed.v1`.
        public static let eventType = "concierge.scoring.customer-tier-changed.v1"
        /// `scoring.events`.
        public static let topic = Topics.scoringEvents

        /// The values `basis` may take: `assets`, `card`, `override`.
        public static let bases = ["assets", "card", "override"]

        /// The customer.
        public var customerId: String
        /// The tier before; absent when the customer had none.
        public var previousTier: Tier?
        /// The new tier; absent when the customer is no longer a VIP (below the VIP asset threshold and not a VIP
        /// card holder, or a `potential` or `standard` override).
        public var tier: Tier?
        /// The average daily assets the tier was computed from.
        public var aumDailyAvg: Amount
        /// The business date of the profile snapshot used.
        public var asOf: BusinessDate
        /// When the change was computed.
        public var at: Timestamp
        /// What decided the tier, one of ``bases``: `assets` (the average daily assets), `card` (a VIP card holder
        /// below the VIP asset threshold is tier A) or `override` (the profile's `segmentOverride`).
        public var basis: String?
        /// The customer's home branch, when known.
        public var homeBranchId: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            customerId: String,
            previousTier: Tier? = nil,
            tier: Tier?,
            aumDailyAvg: Amount,
            asOf: BusinessDate,
            at: Timestamp,
            basis: String? = nil,
            homeBranchId: String? = nil
        ) {
            self.customerId = customerId
            self.previousTier = previousTier
            self.tier = tier
            self.aumDailyAvg = aumDailyAvg
            self.asOf = asOf
            self.at = at
            self.basis = basis
            self.homeBranchId = homeBranchId
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(customerId, "customerId")
            try Check.notNegative(aumDailyAvg, "aumDailyAvg")
            if previousTier == tier {
                throw EventValidationError(field: "tier", reason: "\(tier?.rawValue ?? "no tier") equals previousTier")
            }
            if let basis, !Self.bases.contains(basis) {
                throw EventValidationError(
                    field: "basis",
                    reason: "\(basis.quotedForMessage()) is not one of \(Self.bases.joined(separator: ", "))")
            }
            try Check.notBlank(homeBranchId, "homeBranchId")
        }
    }
}
