// MARK: - ReferralRequested

/// Intake asks for an identified customer to be referred to a manager (rulebook C-02, C-03).
///
/// Type `concierge.intake.referral-requested.v1` on topic `intake.events`; Kafka key: `customerId` when known, else
/// `visitId`.
public enum ReferralRequested {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ReferralRequested.V1

extension ReferralRequested {
    /// Version 1 of the `data` of `concierge.intake.referral-requested.v1`.
    public struct V1: EventData {
        /// `concierge.intake.referral-requested.v1`.
        public static let eventType = "concierge.intake.referral-requested.v1"
        /// `intake.events`.
        public static let topic = Topics.intakeEvents

        /// The referral.
        public var referralId: String
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
        /// When the referral was requested: when the customer started waiting (the arrival, or the signal that
        /// identified them).
        public var requestedAt: Timestamp
        /// For an outlet without wealth service (rulebook C-08): the centre whose managers take the referral. Absent
        /// when the visit's own branch serves it.
        public var designatedCentreId: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            referralId: String,
            visitId: String,
            branchId: String,
            customerId: String? = nil,
            classification: Classification,
            tier: Tier? = nil,
            requestedAt: Timestamp,
            designatedCentreId: String? = nil
        ) {
            self.referralId = referralId
            self.visitId = visitId
            self.branchId = branchId
            self.customerId = customerId
            self.classification = classification
            self.tier = tier
            self.requestedAt = requestedAt
            self.designatedCentreId = designatedCentreId
        }

        /// The branch whose managers serve the referral: the designated centre, else the visit's branch.
        public var servingBranchId: String { designatedCentreId ?? branchId }

        /// The Kafka key: `customerId` when known, else `visitId`.
        public var partitionKey: String { customerId ?? visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(referralId, "referralId")
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(designatedCentreId, "designatedCentreId")
        }
    }
}
