// MARK: - VisitSignal

/// A teller or lobby staff member raises a lead signal during a visit (rulebook A-05, B-02).
///
/// Type `bank.branch.visit-signal.v1` on topic `branch.visits`; Kafka key: `visitId`, as for every event on
/// `branch.visits`.
public enum VisitSignal {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - VisitSignal.V1

extension VisitSignal {
    /// Version 1 of the `data` of `bank.branch.visit-signal.v1`.
    public struct V1: EventData {
        /// `bank.branch.visit-signal.v1`.
        public static let eventType = "bank.branch.visit-signal.v1"
        /// `branch.visits`.
        public static let topic = Topics.branchVisits

        /// The visit.
        public var visitId: String
        /// The branch.
        public var branchId: String
        /// Who raised the signal.
        public var staffId: String
        /// The role of whoever raised the signal.
        public var role: StaffRole
        /// The signal, e.g. `large_cash` or `occupation:doctor`.
        public var signal: LeadSignal
        /// The amount involved, e.g. for `large_cash`.
        public var amount: Amount?
        /// When the signal was raised.
        public var at: Timestamp
        /// The customer, when the signal's raiser learnt who they are (a card read or identity check at the counter)
        /// and the arrival did not say.
        public var customerId: String?
        /// Free text from a card reader at the counter, e.g. `platinum` (as on the arrival).
        public var cardTier: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            visitId: String,
            branchId: String,
            staffId: String,
            role: StaffRole,
            signal: LeadSignal,
            amount: Amount? = nil,
            at: Timestamp,
            customerId: String? = nil,
            cardTier: String? = nil
        ) {
            self.visitId = visitId
            self.branchId = branchId
            self.staffId = staffId
            self.role = role
            self.signal = signal
            self.amount = amount
            self.at = at
            self.customerId = customerId
            self.cardTier = cardTier
        }

        /// The Kafka key: `visitId`, as for every event on `branch.visits`.
        public var partitionKey: String { visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(staffId, "staffId")
            try Check.notNegative(amount, "amount")
            try Check.notBlank(customerId, "customerId")
        }
    }
}
