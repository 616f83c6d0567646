// MARK: - CustomerProfile

/// A snapshot of a customer from core banking or CRM: assets for tiering (rulebook B-03), life stage (B-09), risk
/// profile and financial figures for health flags (G-09).
///
/// Type `bank.core.customer-profile.v1` on topic `customer.profiles`; Kafka key: `customerId`.
public enum CustomerProfile {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CustomerProfile.V1

extension CustomerProfile {
    /// Version 1 of the `data` of `bank.core.customer-profile.v1`.
    public struct V1: EventData {
        /// `bank.core.customer-profile.v1`.
        public static let eventType = "bank.core.customer-profile.v1"
        /// `customer.profiles`.
        public static let topic = Topics.customerProfiles

        /// The customer.
        public var customerId: String
        /// The customer's home branch.
        public var homeBranchId: String
        /// The current year's average daily assets at the bank (rulebook B-03).
        public var aumDailyAvg: Amount
        /// The business date the snapshot describes.
        public var asOf: BusinessDate
        /// Whether the customer holds the VIP card.
        public var cardHolder: Bool?
        /// Financial life-cycle stage (rulebook B-09).
        public var lifeStage: String?
        /// Risk-tolerance profile from the latest assessment.
        public var riskProfile: String?
        /// Whether the customer has traded derivatives before.
        public var derivativesExperience: Bool?
        /// Financial figures, all optional.
        public var financials: Financials?
        /// A segment set by hand that overrides the computed one.
        public var segmentOverride: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            customerId: String,
            homeBranchId: String,
            aumDailyAvg: Amount,
            asOf: BusinessDate,
            cardHolder: Bool? = nil,
            lifeStage: String? = nil,
            riskProfile: String? = nil,
            derivativesExperience: Bool? = nil,
            financials: Financials? = nil,
            segmentOverride: String? = nil
        ) {
            self.customerId = customerId
            self.homeBranchId = homeBranchId
            self.aumDailyAvg = aumDailyAvg
            self.asOf = asOf
            self.cardHolder = cardHolder
            self.lifeStage = lifeStage
            self.riskProfile = riskProfile
            self.derivativesExperience = derivativesExperience
            self.financials = financials
            self.segmentOverride = segmentOverride
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(homeBranchId, "homeBranchId")
            try Check.notNegative(aumDailyAvg, "aumDailyAvg")
            try financials?.validate()
        }
    }
}
