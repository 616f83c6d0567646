// MARK: - VisitRouted

/// Intake routes an arriving customer to a zone of the branch (rulebook C-01, C-07).
///
/// Type `concierge.intake.visit-routed.v1` on topic `intake.events`; Kafka key: `customerId` when known, else
/// `visitId`.
public enum VisitRouted {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - VisitRouted.V1

extension VisitRouted {
    /// Version 1 of the `data` of `concierge.intake.visit-routed.v1`.
    public struct V1: EventData {
        /// `concierge.intake.visit-routed.v1`.
        public static let eventType = "concierge.intake.visit-routed.v1"
        /// `intake.events`.
        public static let topic = Topics.intakeEvents

        /// The visit.
        public var visitId: String
        /// The branch.
        public var branchId: String
        /// The customer, when known. (Concierge addition to the contract.)
        public var customerId: String?
        /// Where the customer is sent.
        public var zone: Zone
        /// Whether the customer is served with priority.
        public var priority: Bool
        /// Why this zone, for people, e.g. `large cash withdrawal (C-01)`. (Concierge addition to the contract.)
        public var reason: String
        /// The purpose of the visit. (Concierge addition to the contract.)
        public var purpose: VisitPurpose
        /// When the routing was decided. (Concierge addition to the contract.)
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            visitId: String,
            branchId: String,
            customerId: String? = nil,
            zone: Zone,
            priority: Bool,
            reason: String,
            purpose: VisitPurpose,
            at: Timestamp
        ) {
            self.visitId = visitId
            self.branchId = branchId
            self.customerId = customerId
            self.zone = zone
            self.priority = priority
            self.reason = reason
            self.purpose = purpose
            self.at = at
        }

        /// The Kafka key: `customerId` when known, else `visitId`.
        public var partitionKey: String { customerId ?? visitId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(customerId, "customerId")
        }
    }
}
