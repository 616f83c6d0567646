// MARK: - CaseOpened

/// Complaints opens a case for a branch complaint or a call-centre escalation (rulebook F-01, F-02).
///
/// Type `concierge.complaints.case-opened.v1` on topic `complaints.events`; Kafka key: `caseId`.
public enum CaseOpened {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseOpened.V1

extension CaseOpened {
    /// Version 1 of the `data` of `concierge.complaints.case-opened.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-opened.v1`.
        public static let eventType = "concierge.complaints.case-opened.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// Where it came from.
        public var source: CaseSource
        /// The `complaintId` or `caseRef` it was opened from.
        public var externalRef: String
        /// The customer, when known.
        public var customerId: String?
        /// The branch, when known.
        public var branchId: String?
        /// The complaint category.
        public var category: String
        /// How serious it is.
        public var severity: Severity
        /// When the reply is due: three working days (rulebook F-02).
        public var replyDueAt: Timestamp
        /// The staffId handling it, when assigned.
        public var ownerId: String?
        /// Where it sits in the escalation chain.
        public var level: CaseLevel
        /// When the complaint was received. (Concierge addition to the contract.)
        public var receivedAt: Timestamp
        /// Whether it was answered on the spot (rulebook F-02). (Concierge addition to the contract.)
        public var resolvedOnSpot: Bool

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            caseId: String,
            source: CaseSource,
            externalRef: String,
            customerId: String? = nil,
            branchId: String? = nil,
            category: String,
            severity: Severity,
            replyDueAt: Timestamp,
            ownerId: String? = nil,
            level: CaseLevel,
            receivedAt: Timestamp,
            resolvedOnSpot: Bool
        ) {
            self.caseId = caseId
            self.source = source
            self.externalRef = externalRef
            self.customerId = customerId
            self.branchId = branchId
            self.category = category
            self.severity = severity
            self.replyDueAt = replyDueAt
            self.ownerId = ownerId
            self.level = level
            self.receivedAt = receivedAt
            self.resolvedOnSpot = resolvedOnSpot
        }

        /// The Kafka key: `caseId`.
        public var partitionKey: String { caseId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(caseId, "caseId")
            try Check.notBlank(externalRef, "externalRef")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(category, "category")
            try Check.notBlank(ownerId, "ownerId")
        }
    }
}
