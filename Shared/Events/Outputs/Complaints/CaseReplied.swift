// MARK: - CaseReplied

/// The customer has had the reply to their complaint (rulebook F-02): the reply clock stops. The reply itself is kept
/// in the case, not in the event.
///
/// Type `concierge.complaints.case-replied.v1` on topic `complaints.events`; Kafka key: `caseId`.
///
/// Not in the contract: added by Concierge (see `docs/events.md`).
public enum CaseReplied {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseReplied.V1

extension CaseReplied {
    /// Version 1 of the `data` of `concierge.complaints.case-replied.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-replied.v1`.
        public static let eventType = "concierge.complaints.case-replied.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// The staffId who replied.
        public var by: String?
        /// When the reply was given.
        public var at: Timestamp
        /// The deadline it was due by.
        public var replyDueAt: Timestamp
        /// Whether it was no later than `replyDueAt`.
        public var onTime: Bool

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            caseId: String,
            by: String? = nil,
            at: Timestamp,
            replyDueAt: Timestamp,
            onTime: Bool
        ) {
            self.caseId = caseId
            self.by = by
            self.at = at
            self.replyDueAt = replyDueAt
            self.onTime = onTime
        }

        /// The Kafka key: `caseId`.
        public var partitionKey: String { caseId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(caseId, "caseId")
            try Check.notBlank(by, "by")
        }
    }
}
