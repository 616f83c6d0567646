// MARK: - CaseBreached

/// A case passed its reply deadline without a reply (rulebook F-02).
///
/// Type `concierge.complaints.case-breached.v1` on topic `complaints.events`; Kafka key: `caseId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum CaseBreached {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseBreached.V1

extension CaseBreached {
    /// Version 1 of the `data` of `concierge.complaints.case-breached.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-breached.v1`.
        public static let eventType = "concierge.complaints.case-breached.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// The staffId who owned the case when the deadline passed.
        public var by: String?
        /// When the breach was detected.
        public var at: Timestamp
        /// The deadline that was missed.
        public var replyDueAt: Timestamp
        /// The level the case was at.
        public var level: CaseLevel?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(caseId: String, by: String? = nil, at: Timestamp, replyDueAt: Timestamp, level: CaseLevel? = nil) {
            self.caseId = caseId
            self.by = by
            self.at = at
            self.replyDueAt = replyDueAt
            self.level = level
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
