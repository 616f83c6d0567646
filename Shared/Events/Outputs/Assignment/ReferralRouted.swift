// MARK: - ReferralRouted

/// Assignment sends a referred walk-in to the customer's own manager or, when absent, a covering colleague (rulebook
/// C-03, C-06, D-06).
///
/// Type `concierge.assignment.referral-routed.v1` on topic `assignment.events`; Kafka key: `customerId` when known,
/// else `visitId`.
public enum ReferralRouted {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ReferralRouted.V1

extension ReferralRouted {
    /// Version 1 of the `data` of `concierge.assignment.referral-routed.v1`.
    public struct V1: EventData {
        /// `concierge.assignment.referral-routed.v1`.
        public static let eventType = "concierge.assignment.referral-routed.v1"
        /// `assignment.events`.
        public static let topic = Topics.assignmentEvents

        /// The referral.
        public var referralId: String
        /// The visit.
        public var visitId: String
        /// The customer; absent for an unknown walk-in.
        public var customerId: String?
        /// The manager who will receive the customer.
        public var managerId: String
        /// The absent owner, when a covering colleague serves.
        public var coveringFor: String?
        /// When the referral was routed.
        public var at: Timestamp
        /// The branch. (Concierge addition to the contract.)
        public var branchId: String?
        /// The customer's tier, when known. (Concierge addition to the contract.)
        public var tier: Tier?
        /// VIP or potential VIP. (Concierge addition to the contract.)
        public var classification: Classification?
        /// When intake asked for the referral (the walk-in's time), so that a reception counts on the day of the
        /// visit however late it was routed. (Concierge addition to the contract.)
        public var requestedAt: Timestamp?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            referralId: String,
            visitId: String,
            customerId: String? = nil,
            managerId: String,
            coveringFor: String? = nil,
            at: Timestamp,
            branchId: String? = nil,
            tier: Tier? = nil,
            classification: Classification? = nil,
            requestedAt: Timestamp? = nil
        ) {
            self.referralId = referralId
            self.visitId = visitId
            self.customerId = customerId
            self.managerId = managerId
            self.coveringFor = coveringFor
            self.at = at
            self.branchId = branchId
            self.tier = tier
            self.classification = classification
            self.requestedAt = requestedAt
        }

        /// The Kafka key: `customerId` when known, else `visitId`.
        public var partitionKey: String { customerId ?? visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(referralId, "referralId")
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notBlank(coveringFor, "coveringFor")
            try Check.notBlank(branchId, "branchId")
        }
    }
}
