// MARK: - ContactLogged

/// A manager logs a contact with a customer: a call, meeting, visit or message (rulebook E-03, E-10).
///
/// Type `bank.crm.contact-logged.v1` on topic `crm.activities`; Kafka key: `customerId`.
public enum ContactLogged {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ContactLogged.V1

extension ContactLogged {
    /// Version 1 of the `data` of `bank.crm.contact-logged.v1`.
    public struct V1: EventData {
        /// `bank.crm.contact-logged.v1`.
        public static let eventType = "bank.crm.contact-logged.v1"
        /// `crm.activities`.
        public static let topic = Topics.crmActivities

        /// The CRM activity.
        public var activityId: String
        /// The customer.
        public var customerId: String
        /// The manager who made the contact.
        public var managerId: String
        /// How the contact was made.
        public var kind: ContactKind
        /// Whether the manager initiated it (rulebook E-03 counts proactive contacts).
        public var proactive: Bool
        /// When the contact happened.
        public var at: Timestamp
        /// What came of it.
        public var outcome: String?
        /// The engagement task it fulfils, if any.
        public var taskId: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            activityId: String,
            customerId: String,
            managerId: String,
            kind: ContactKind,
            proactive: Bool,
            at: Timestamp,
            outcome: String? = nil,
            taskId: String? = nil
        ) {
            self.activityId = activityId
            self.customerId = customerId
            self.managerId = managerId
            self.kind = kind
            self.proactive = proactive
            self.at = at
            self.outcome = outcome
            self.taskId = taskId
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(activityId, "activityId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notBlank(taskId, "taskId")
        }
    }
}
