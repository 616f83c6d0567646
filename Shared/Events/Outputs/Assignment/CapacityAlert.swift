// MARK: - CapacityAlert

/// Assignment could not give a customer a manager within the caps of rulebook D-03 (400 customers, 320/80 split) and
/// the centre head holds the customer (D-01), or a manager holds more than allowed (soft caps, a tier change).
///
/// Type `concierge.assignment.capacity-alert.v1` on topic `assignment.events`; Kafka key: `customerId` when known, else
/// `referralId`, else `branchId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum CapacityAlert {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - CapacityAlert.V1

extension CapacityAlert {
    /// Version 1 of the `data` of `concierge.assignment.capacity-alert.v1`.
    public struct V1: EventData {
        /// `concierge.assignment.capacity-alert.v1`.
        public static let eventType = "concierge.assignment.capacity-alert.v1"
        /// `assignment.events`.
        public static let topic = Topics.assignmentEvents

        /// The alert.
        public var alertId: String
        /// The branch.
        public var branchId: String
        /// The customer concerned, when known.
        public var customerId: String?
        /// The referral concerned, if any.
        public var referralId: String?
        /// What happened and what follows, in words, e.g. `no eligible wealth manager with room in SH001 (D-03 caps 400, 320
        /// below / 80 from 1,000,000); held by centre head S0001`.
        public var reason: String
        /// Who holds the customer meanwhile (the centre head), or the manager pushed over a cap; `nil` when nobody can.
        public var heldBy: String?
        /// When the alert was raised.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            alertId: String,
            branchId: String,
            customerId: String? = nil,
            referralId: String? = nil,
            reason: String,
            heldBy: String? = nil,
            at: Timestamp
        ) {
            self.alertId = alertId
            self.branchId = branchId
            self.customerId = customerId
            self.referralId = referralId
            self.reason = reason
            self.heldBy = heldBy
            self.at = at
        }

        /// The Kafka key: `customerId` when known, else `referralId`, else `branchId`.
        public var partitionKey: String { customerId ?? referralId ?? branchId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(alertId, "alertId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(referralId, "referralId")
            try Check.notBlank(reason, "reason")
            try Check.notBlank(heldBy, "heldBy")
        }
    }
}
