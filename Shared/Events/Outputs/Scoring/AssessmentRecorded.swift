// MARK: - AssessmentRecorded

/// A supervisor records a qualitative assessment of a manager for a month (rulebook G-02).
///
/// Type `concierge.scoring.assessment-recorded.v1` on topic `scoring.events`; Kafka key: `staffId`.
///
/// Not in the contract: added by Concierge (see `docs/events.md`).
public enum AssessmentRecorded {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - AssessmentRecorded.V1

extension AssessmentRecorded {
    /// Version 1 of the `data` of `concierge.scoring.assessment-recorded.v1`.
    public struct V1: EventData {
        /// `concierge.scoring.assessment-recorded.v1`.
        public static let eventType = "concierge.scoring.assessment-recorded.v1"
        /// `scoring.events`.
        public static let topic = Topics.scoringEvents

        /// The longest `comment` accepted, in characters.
        public static let maxCommentLength = 2000

        /// The assessment.
        public var assessmentId: String
        /// The manager assessed.
        public var staffId: String
        /// The month assessed, `YYYY-MM`.
        public var month: String
        /// The supervisor's staffId.
        public var assessedBy: String
        /// The scores, 0…100 each.
        public var items: Items
        /// The supervisor's remarks, at most ``maxCommentLength`` characters.
        public var comment: String?
        /// When it was recorded.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            assessmentId: String,
            staffId: String,
            month: String,
            assessedBy: String,
            items: Items,
            comment: String? = nil,
            at: Timestamp
        ) {
            self.assessmentId = assessmentId
            self.staffId = staffId
            self.month = month
            self.assessedBy = assessedBy
            self.items = items
            self.comment = comment
            self.at = at
        }

        /// The Kafka key: `staffId`.
        public var partitionKey: String { staffId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(assessmentId, "assessmentId")
            try Check.notBlank(staffId, "staffId")
            try Check.yearMonth(month, "month")
            try Check.notBlank(assessedBy, "assessedBy")
            try items.validate()
            if let comment, comment.count > Self.maxCommentLength {
                throw EventValidationError(
                    field: "comment",
                    reason: "has \(comment.count) characters, more than \(Self.maxCommentLength)")
            }
        }
    }
}
