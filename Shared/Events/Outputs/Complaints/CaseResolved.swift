// MARK: - CaseResolved

/// A case is resolved.
///
/// Type `concierge.complaints.case-resolved.v1` on topic `complaints.events`; Kafka key: `caseId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum CaseResolved {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseResolved.V1

extension CaseResolved {
    /// Version 1 of the `data` of `concierge.complaints.case-resolved.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-resolved.v1`.
        public static let eventType = "concierge.complaints.case-resolved.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// How it was resolved.
        public var resolution: String?
        /// When.
        public var at: Timestamp
        /// Whether the customer had the reply by the reply deadline (an on-the-spot answer always did).
        public var onTime: Bool?
        /// The staffId who resolved it.
        public var by: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(caseId: String, resolution: String? = nil, at: Timestamp, onTime: Bool? = nil, by: String? = nil) {
            self.caseId = caseId
            self.resolution = resolution
            self.at = at
            self.onTime = onTime
            self.by = by
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
