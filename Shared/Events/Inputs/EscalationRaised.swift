// MARK: - EscalationRaised

/// The call centre escalates a customer case to the branch network (rulebook A-17, F-04).
///
/// Type `bank.callcentre.escalation-raised.v1` on topic `callcentre.escalations`; Kafka key: `caseRef`.
public enum EscalationRaised {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - EscalationRaised.V1

extension EscalationRaised {
    /// Version 1 of the `data` of `bank.callcentre.escalation-raised.v1`.
    public struct V1: EventData {
        /// `bank.callcentre.escalation-raised.v1`.
        public static let eventType = "bank.callcentre.escalation-raised.v1"
        /// `callcentre.escalations`.
        public static let topic = Topics.callcentreEscalations

        /// The call centre's case reference.
        public var caseRef: String
        /// The customer, when known.
        public var customerId: String?
        /// The branch concerned, when known.
        public var branchId: String?
        /// The complaint category.
        public var category: String
        /// How serious the case is.
        public var severity: Severity
        /// What the customer complains about.
        public var summary: String
        /// What the customer wants.
        public var customerNeed: String
        /// When the call centre received it.
        public var receivedAt: Timestamp
        /// The call-centre agent who escalated it.
        public var agentId: String
        /// Whether the first line tried to resolve it before escalating.
        public var firstLineAttempted: Bool

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            caseRef: String,
            customerId: String? = nil,
            branchId: String? = nil,
            category: String,
            severity: Severity,
            summary: String,
            customerNeed: String,
            receivedAt: Timestamp,
            agentId: String,
            firstLineAttempted: Bool
        ) {
            self.caseRef = caseRef
            self.customerId = customerId
            self.branchId = branchId
            self.category = category
            self.severity = severity
            self.summary = summary
            self.customerNeed = customerNeed
            self.receivedAt = receivedAt
            self.agentId = agentId
            self.firstLineAttempted = firstLineAttempted
        }

        /// The Kafka key: `caseRef`.
        public var partitionKey: String { caseRef }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(caseRef, "caseRef")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(category, "category")
            try Check.notBlank(summary, "summary")
            try Check.notBlank(customerNeed, "customerNeed")
            try Check.notBlank(agentId, "agentId")
        }
    }
}
