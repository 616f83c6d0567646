// MARK: - QueueAlert

/// Intake warns lobby staff about the queue, e.g. a VIP waiting too long for a manager (rulebook C-03, C-04).
///
/// Type `concierge.intake.queue-alert.v1` on topic `intake.events`; Kafka key: `customerId` when known, else `visitId`,
/// else `branchId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum QueueAlert {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - QueueAlert.V1

extension QueueAlert {
    /// Version 1 of the `data` of `concierge.intake.queue-alert.v1`.
    public struct V1: EventData {
        /// `concierge.intake.queue-alert.v1`.
        public static let eventType = "concierge.intake.queue-alert.v1"
        /// `intake.events`.
        public static let topic = Topics.intakeEvents

        /// The alert.
        public var alertId: String
        /// The branch.
        public var branchId: String
        /// What kind of alert: `long_wait` (one referred customer has waited past the limit) or `stalled_queue`
        /// (customers are waiting and no visit has been served for too long), rulebook C-03, C-04.
        public var kind: String
        /// What happened, for people.
        public var detail: String
        /// When the alert was raised.
        public var at: Timestamp
        /// The visit concerned, if any.
        public var visitId: String?
        /// The referral concerned, if any.
        public var referralId: String?
        /// The customer concerned, when known.
        public var customerId: String?
        /// How long the customer has waited, in minutes.
        public var waitingMinutes: Int?
        /// The waiting customer's classification (`long_wait`).
        public var classification: Classification?
        /// The waiting customer's tier (`long_wait`, VIPs).
        public var tier: Tier?
        /// How many referred customers are waiting at the branch (`stalled_queue`).
        public var waitingCount: Int?
        /// Minutes since a manager last started serving a visit at the branch, or since the oldest waiting referral
        /// when none has been served since (`stalled_queue`).
        public var minutesSinceLastServed: Int?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            alertId: String,
            branchId: String,
            kind: String,
            detail: String,
            at: Timestamp,
            visitId: String? = nil,
            referralId: String? = nil,
            customerId: String? = nil,
            waitingMinutes: Int? = nil,
            classification: Classification? = nil,
            tier: Tier? = nil,
            waitingCount: Int? = nil,
            minutesSinceLastServed: Int? = nil
        ) {
            self.alertId = alertId
            self.branchId = branchId
            self.kind = kind
            self.detail = detail
            self.at = at
            self.visitId = visitId
            self.referralId = referralId
            self.customerId = customerId
            self.waitingMinutes = waitingMinutes
            self.classification = classification
            self.tier = tier
            self.waitingCount = waitingCount
            self.minutesSinceLastServed = minutesSinceLastServed
        }

        /// The Kafka key: `customerId` when known, else `visitId`, else `branchId`.
        public var partitionKey: String { customerId ?? visitId ?? branchId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(alertId, "alertId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(kind, "kind")
            try Check.notBlank(detail, "detail")
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(referralId, "referralId")
            try Check.notBlank(customerId, "customerId")
            try Check.notNegative(waitingMinutes, "waitingMinutes")
            try Check.notNegative(waitingCount, "waitingCount")
            try Check.notNegative(minutesSinceLastServed, "minutesSinceLastServed")
        }
    }
}
