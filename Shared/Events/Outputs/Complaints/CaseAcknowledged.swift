// MARK: - CaseAcknowledged

/// Someone acknowledges a case.
///
/// Type `concierge.complaints.case-acknowledged.v1` on topic `complaints.events`; Kafka key: `caseId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum CaseAcknowledged {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseAcknowledged.V1

extension CaseAcknowledged {
    /// Version 1 of the `data` of `concierge.complaints.case-acknowledged.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-acknowledged.v1`.
        public static let eventType = "concierge.complaints.case-acknowledged.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// The staffId who acknowledged it.
        public var by: String?
        /// When.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(caseId: String, by: String? = nil, at: Timestamp) {
            self.caseId = caseId
            self.by = by
            self.at = at
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
