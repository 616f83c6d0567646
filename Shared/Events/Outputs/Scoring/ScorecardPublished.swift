// MARK: - ScorecardPublished

/// A manager's monthly scorecard is published (rulebook G-01…G-06).
///
/// Type `concierge.scoring.scorecard-published.v1` on topic `scoring.events`; Kafka key: `staffId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum ScorecardPublished {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ScorecardPublished.V1

extension ScorecardPublished {
    /// Version 1 of the `data` of `concierge.scoring.scorecard-published.v1`.
    public struct V1: EventData {
        /// `concierge.scoring.scorecard-published.v1`.
        public static let eventType = "concierge.scoring.scorecard-published.v1"
        /// `scoring.events`.
        public static let topic = Topics.scoringEvents

        /// The manager.
        public var staffId: String
        /// The month, `YYYY-MM`.
        public var month: String
        /// When it was published.
        public var at: Timestamp
        /// The KPIs by name; values are text (decimal strings for amounts and ratios), e.g. `"proactiveContacts":
        /// "132"`.
        public var kpis: [String: String]
        /// The manager's branch, when known.
        public var branchId: String?
        /// Which publication of the manager's scorecard for `month` this is: 1 for the first; a later publication,
        /// after late events changed the figures, carries 2, 3, ….
        public var revision: Int?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            staffId: String,
            month: String,
            at: Timestamp,
            kpis: [String: String],
            branchId: String? = nil,
            revision: Int? = nil
        ) {
            self.staffId = staffId
            self.month = month
            self.at = at
            self.kpis = kpis
            self.branchId = branchId
            self.revision = revision
        }

        /// The Kafka key: `staffId`.
        public var partitionKey: String { staffId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(staffId, "staffId")
            try Check.yearMonth(month, "month")
            for name in kpis.keys { try Check.notBlank(name, "kpis") }
            try Check.notBlank(branchId, "branchId")
            if let revision, revision < 1 {
                throw EventValidationError(field: "revision", reason: "\(revision) must be 1 or more")
            }
        }
    }
}
