// MARK: - ComplianceBreach

/// A sale breaks a sales-compliance rule (rulebook H-04: the customer's risk assessment, signed in person at the
/// outlet before the sale, and derivatives experience for a derivative-linked product), or such a breach is
/// withdrawn.
///
/// Type `concierge.scoring.compliance-breach.v1` on topic `scoring.events`; Kafka key: `customerId`.
///
/// Not in the contract: added by Concierge (see `docs/events.md`).
public enum ComplianceBreach {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ComplianceBreach.V1

extension ComplianceBreach {
    /// Version 1 of the `data` of `concierge.scoring.compliance-breach.v1`.
    public struct V1: EventData {
        /// `concierge.scoring.compliance-breach.v1`.
        public static let eventType = "concierge.scoring.compliance-breach.v1"
        /// `scoring.events`.
        public static let topic = Topics.scoringEvents

        /// The breach, stable across its announcements: `<saleId>/<check>`.
        public var breachId: String
        /// The sale.
        public var saleId: String
        /// The customer.
        public var customerId: String
        /// The manager who made the sale, when known.
        public var managerId: String?
        /// The customer's home branch, when known.
        public var branchId: String?
        /// What was sold.
        public var productType: ProductType
        /// The check the sale failed.
        public var check: ComplianceCheck
        /// The rule, `H-04`.
        public var ruleId: String
        /// `raised` when the breach is found; `withdrawn` when a profile recorded later, dated on or before the sale,
        /// shows the customer had derivatives experience.
        public var status: ComplianceStatus
        /// What is wrong, as a sentence a person can act on; never the customer's personal data.
        public var detail: String
        /// When the sale was made.
        public var saleAt: Timestamp
        /// When the breach was found or withdrawn.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            breachId: String,
            saleId: String,
            customerId: String,
            managerId: String? = nil,
            branchId: String? = nil,
            productType: ProductType,
            check: ComplianceCheck,
            ruleId: String,
            status: ComplianceStatus,
            detail: String,
            saleAt: Timestamp,
            at: Timestamp
        ) {
            self.breachId = breachId
            self.saleId = saleId
            self.customerId = customerId
            self.managerId = managerId
            self.branchId = branchId
            self.productType = productType
            self.check = check
            self.ruleId = ruleId
            self.status = status
            self.detail = detail
            self.saleAt = saleAt
            self.at = at
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(breachId, "breachId")
            try Check.notBlank(saleId, "saleId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(ruleId, "ruleId")
            try Check.notBlank(detail, "detail")
        }
    }
}
