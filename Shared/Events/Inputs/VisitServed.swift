// MARK: - VisitServed

/// A manager starts serving the customer of a visit (rulebook C-06).
///
/// Type `bank.branch.visit-served.v1` on topic `branch.visits`; Kafka key: `visitId`, as for every event on
/// `branch.visits`.
public enum VisitServed {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - VisitServed.V1

extension VisitServed {
    /// Version 1 of the `data` of `bank.branch.visit-served.v1`.
    public struct V1: EventData {
        /// `bank.branch.visit-served.v1`.
        public static let eventType = "bank.branch.visit-served.v1"
        /// `branch.visits`.
        public static let topic = Topics.branchVisits

        /// The visit.
        public var visitId: String
        /// The manager who started serving.
        public var staffId: String
        /// When service started.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(visitId: String, staffId: String, at: Timestamp) {
            self.visitId = visitId
            self.staffId = staffId
            self.at = at
        }

        /// The Kafka key: `visitId`, as for every event on `branch.visits`.
        public var partitionKey: String { visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(staffId, "staffId")
        }
    }
}
