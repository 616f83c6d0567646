// MARK: - CustomerIdentified

/// Intake identifies a walk-in as a VIP or a potential VIP (rulebook B-01, B-02, B-03, C-02, C-05).
///
/// Type `concierge.intake.customer-identified.v1` on topic `intake.events`; Kafka key: `customerId` when known, else
/// `visitId`.
public enum CustomerIdentified {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CustomerIdentified.V1

extension CustomerIdentified {
    /// Version 1 of the `data` of `concierge.intake.customer-identified.v1`.
    public struct V1: EventData {
        /// `concierge.intake.customer-identified.v1`.
        public static let eventType = "concierge.intake.customer-identified.v1"
        /// `intake.events`.
        public static let topic = Topics.intakeEvents

        /// The visit.
        public var visitId: String
        /// The branch.
        public var branchId: String
        /// The customer; absent for an unknown walk-in.
        public var customerId: String?
        /// VIP or potential VIP.
        public var classification: Classification
        /// The tier; absent for a potential VIP.
        public var tier: Tier?
        /// What the identification rests on.
        public var basis: IdentificationBasis
        /// Why, for people, e.g. `aumDailyAvg 3200000.00 >= 3000000.00 (B-03)`.
        public var reasons: [String]
        /// The staffId credited with the identification (rulebook C-10 counts them).
        public var identifiedBy: String
        /// Their role, when the arrival said it (`recordedByRole` is optional on `visit-arrived`).
        public var identifiedByRole: StaffRole?
        /// When the customer was identified.
        public var at: Timestamp
        /// The average daily assets the tier was computed from. (Concierge addition to the contract.)
        public var aumDailyAvg: Amount?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            visitId: String,
            branchId: String,
            customerId: String? = nil,
            classification: Classification,
            tier: Tier? = nil,
            basis: IdentificationBasis,
            reasons: [String],
            identifiedBy: String,
            identifiedByRole: StaffRole?,
            at: Timestamp,
            aumDailyAvg: Amount? = nil
        ) {
            self.visitId = visitId
            self.branchId = branchId
            self.customerId = customerId
            self.classification = classification
            self.tier = tier
            self.basis = basis
            self.reasons = reasons
            self.identifiedBy = identifiedBy
            self.identifiedByRole = identifiedByRole
            self.at = at
            self.aumDailyAvg = aumDailyAvg
        }

        /// The Kafka key: `customerId` when known, else `visitId`.
        public var partitionKey: String { customerId ?? visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(identifiedBy, "identifiedBy")
            try Check.notNegative(aumDailyAvg, "aumDailyAvg")
            if classification == .potential, let tier {
                throw EventValidationError(
                    field: "tier", reason: "must be absent for a potential VIP, not \(tier.rawValue)")
            }
        }
    }
}
