// MARK: - CaseEscalated

/// A case moves up the escalation chain (rulebook F-03, F-04).
///
/// Type `concierge.complaints.case-escalated.v1` on topic `complaints.events`; Kafka key: `caseId`.
public enum CaseEscalated {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseEscalated.V1

extension CaseEscalated {
    /// Version 1 of the `data` of `concierge.complaints.case-escalated.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-escalated.v1`.
        public static let eventType = "concierge.complaints.case-escalated.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// The level it was at.
        public var fromLevel: CaseLevel
        /// The level it moved to; higher than `fromLevel`.
        public var toLevel: CaseLevel
        /// Why, e.g. `reply overdue (F-02)`.
        public var reason: String
        /// When.
        public var at: Timestamp
        /// At the centre-head level, the case's owner: the centre head, or the previous owner when the directory names
        /// no centre head; `nil` at the higher levels, which are teams (added by Concierge).
        public var ownerId: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            caseId: String, fromLevel: CaseLevel, toLevel: CaseLevel, reason: String, at: Timestamp,
            ownerId: String? = nil
        ) {
            self.caseId = caseId
            self.fromLevel = fromLevel
            self.toLevel = toLevel
            self.reason = reason
            self.at = at
            self.ownerId = ownerId
        }

        /// The Kafka key: `caseId`.
        public var partitionKey: String { caseId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(caseId, "caseId")
            try Check.notBlank(reason, "reason")
            if toLevel <= fromLevel {
                throw EventValidationError(
                    field: "toLevel", reason: "\(toLevel.rawValue) is not above fromLevel \(fromLevel.rawValue)")
            }
        }
    }
}
