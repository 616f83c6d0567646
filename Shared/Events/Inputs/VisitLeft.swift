// MARK: - VisitLeft

/// The customer of a visit leaves the branch.
///
/// Type `bank.branch.visit-left.v1` on topic `branch.visits`; Kafka key: `visitId`, as for every event on
/// `branch.visits`.
public enum VisitLeft {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - VisitLeft.V1

extension VisitLeft {
    /// Version 1 of the `data` of `bank.branch.visit-left.v1`.
    public struct V1: EventData {
        /// `bank.branch.visit-left.v1`.
        public static let eventType = "bank.branch.visit-left.v1"
        /// `branch.visits`.
        public static let topic = Topics.branchVisits

        /// The visit.
        public var visitId: String
        /// When the customer left.
        public var at: Timestamp
        /// How the visit ended.
        public var outcome: VisitOutcome?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(visitId: String, at: Timestamp, outcome: VisitOutcome? = nil) {
            self.visitId = visitId
            self.at = at
            self.outcome = outcome
        }

        /// The Kafka key: `visitId`, as for every event on `branch.visits`.
        public var partitionKey: String { visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(visitId, "visitId")
        }
    }
}
