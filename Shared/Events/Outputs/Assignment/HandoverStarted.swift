// MARK: - HandoverStarted

/// A customer has a new owner because the old one transferred, left or was removed (rulebook D-05, D-07): ownership
/// moved at once; the new manager's first direct contact is due by `firstContactDueAt`.
///
/// Type `concierge.assignment.handover-started.v1` on topic `assignment.events`; Kafka key: `customerId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum HandoverStarted {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - HandoverStarted.V1

extension HandoverStarted {
    /// Version 1 of the `data` of `concierge.assignment.handover-started.v1`.
    public struct V1: EventData {
        /// `concierge.assignment.handover-started.v1`.
        public static let eventType = "concierge.assignment.handover-started.v1"
        /// `assignment.events`.
        public static let topic = Topics.assignmentEvents

        /// The handover.
        public var handoverId: String
        /// The customer.
        public var customerId: String
        /// The departing manager.
        public var fromManagerId: String
        /// The new manager.
        public var toManagerId: String
        /// Why the old manager can no longer serve: `transferred`, `left`, `removed` (HR status), `role_changed` (no
        /// longer a wealth manager) or `branch_changed` (rulebook D-05, D-07).
        public var reason: String
        /// When the departure took effect (HR's `effectiveAt`); the deadline counts from it.
        public var effectiveAt: Timestamp
        /// When the new manager's first contact is due: within one month (rulebook D-05).
        public var firstContactDueAt: Timestamp
        /// When this event happened.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            handoverId: String,
            customerId: String,
            fromManagerId: String,
            toManagerId: String,
            reason: String,
            effectiveAt: Timestamp,
            firstContactDueAt: Timestamp,
            at: Timestamp
        ) {
            self.handoverId = handoverId
            self.customerId = customerId
            self.fromManagerId = fromManagerId
            self.toManagerId = toManagerId
            self.reason = reason
            self.effectiveAt = effectiveAt
            self.firstContactDueAt = firstContactDueAt
            self.at = at
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(handoverId, "handoverId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(fromManagerId, "fromManagerId")
            try Check.notBlank(toManagerId, "toManagerId")
            try Check.notBlank(reason, "reason")
            if fromManagerId == toManagerId {
                throw EventValidationError(field: "toManagerId", reason: "must differ from fromManagerId")
            }
        }
    }
}
