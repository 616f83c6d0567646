// MARK: - VisitArrived

/// A customer arrives at a branch and is recorded by the queue machine, a lobby tablet or a teller desktop (rulebook
/// C-00, C-01, B-02).
///
/// Type `bank.branch.visit-arrived.v1` on topic `branch.visits`; Kafka key: `visitId`, as for every event on
/// `branch.visits`.
public enum VisitArrived {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - VisitArrived.V1

extension VisitArrived {
    /// Version 1 of the `data` of `bank.branch.visit-arrived.v1`.
    public struct V1: EventData {
        /// `bank.branch.visit-arrived.v1`.
        public static let eventType = "bank.branch.visit-arrived.v1"
        /// `branch.visits`.
        public static let topic = Topics.branchVisits

        /// The visit, e.g. `V20261123-SH001-0042`.
        public var visitId: String
        /// The branch, e.g. `SH001`.
        public var branchId: String
        /// When the customer arrived.
        public var arrivedAt: Timestamp
        /// The customer, when known (card read or identity checked), e.g. `C000123`.
        public var customerId: String?
        /// Free text from the card reader, e.g. `platinum`.
        public var cardTier: String?
        /// Why the customer came.
        public var purpose: VisitPurpose
        /// The amount involved, for cash purposes.
        public var amount: Amount?
        /// The queue ticket, e.g. `A042`.
        public var ticket: String?
        /// The staffId of whoever recorded the arrival.
        public var recordedBy: String
        /// The recorder's role; one of ``StaffRole/frontLine``.
        public var recordedByRole: StaffRole?
        /// Lead signals noticed on arrival (rulebook B-02).
        public var signals: [LeadSignal]?
        /// A contact phone number. Personal data: store encrypted and never log it; `description` and `dump` show it
        /// redacted.
        public var contactPhone: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            visitId: String,
            branchId: String,
            arrivedAt: Timestamp,
            customerId: String? = nil,
            cardTier: String? = nil,
            purpose: VisitPurpose,
            amount: Amount? = nil,
            ticket: String? = nil,
            recordedBy: String,
            recordedByRole: StaffRole? = nil,
            signals: [LeadSignal]? = nil,
            contactPhone: String? = nil
        ) {
            self.visitId = visitId
            self.branchId = branchId
            self.arrivedAt = arrivedAt
            self.customerId = customerId
            self.cardTier = cardTier
            self.purpose = purpose
            self.amount = amount
            self.ticket = ticket
            self.recordedBy = recordedBy
            self.recordedByRole = recordedByRole
            self.signals = signals
            self.contactPhone = contactPhone
        }

        /// The Kafka key: `visitId`, as for every event on `branch.visits`.
        public var partitionKey: String { visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(customerId, "customerId")
            try Check.notNegative(amount, "amount")
            try Check.notBlank(recordedBy, "recordedBy")
            if let recordedByRole, !recordedByRole.isFrontLine {
                throw EventValidationError(
                    field: "recordedByRole",
                    reason: "\(recordedByRole.rawValue) is not one of "
                        + StaffRole.frontLine.map(\.rawValue).joined(separator: ", "))
            }
        }
    }
}
