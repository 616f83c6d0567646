// MARK: - CaseDueSoon

/// A case has used a configured share of its reply time (default 75%) without a reply: a warning to its owner before
/// the deadline passes (a project choice; peers such as Znuny warn the same way).
///
/// Type `concierge.complaints.case-due-soon.v1` on topic `complaints.events`; Kafka key: `caseId`.
///
/// Not in the contract: added by Concierge (see `docs/events.md`).
public enum CaseDueSoon {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CaseDueSoon.V1

extension CaseDueSoon {
    /// Version 1 of the `data` of `concierge.complaints.case-due-soon.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.case-due-soon.v1`.
        public static let eventType = "concierge.complaints.case-due-soon.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The case.
        public var caseId: String
        /// Who is warned: the case's owner, when known.
        public var ownerId: String?
        /// The level the case is at.
        public var level: CaseLevel
        /// The reply deadline.
        public var replyDueAt: Timestamp
        /// The configured share of the reply time (clock time from receipt or reopening) after which the warning is
        /// raised, in percent (`COMPLAINTS_WARN_PERCENT`).
        public var sharePercent: Int
        /// When the warning was raised.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            caseId: String,
            ownerId: String? = nil,
            level: CaseLevel,
            replyDueAt: Timestamp,
            sharePercent: Int,
            at: Timestamp
        ) {
            self.caseId = caseId
            self.ownerId = ownerId
            self.level = level
            self.replyDueAt = replyDueAt
            self.sharePercent = sharePercent
            self.at = at
        }

        /// The Kafka key: `caseId`.
        public var partitionKey: String { caseId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(caseId, "caseId")
            try Check.notBlank(ownerId, "ownerId")
            if !(1...100).contains(sharePercent) {
                throw EventValidationError(field: "sharePercent", reason: "must be between 1 and 100")
            }
        }
    }
}
