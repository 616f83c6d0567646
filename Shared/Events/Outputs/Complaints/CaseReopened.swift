// MARK: - CaseReopened

/// A resolved case is reopened; a new reply deadline runs.
///
/// Type `concierge.complaints.case-reopened.v1` on topic `complaints.events`; Kafka key: `caseId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum CaseReopened {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseReopened.V1

extension CaseReopened {
    /// Version 1 of the `data` of `concierge.complaints.case-reopened.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-reopened.v1`.
        public static let eventType = "concierge.complaints.case-reopened.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// The staffId who reopened it.
        public var by: String?
        /// When.
        public var at: Timestamp
        /// The new reply deadline.
        public var replyDueAt: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(caseId: String, by: String? = nil, at: Timestamp, replyDueAt: Timestamp) {
            self.caseId = caseId
            self.by = by
            self.at = at
            self.replyDueAt = replyDueAt
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
