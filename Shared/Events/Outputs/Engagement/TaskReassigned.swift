// MARK: - TaskReassigned

/// A task moves to another manager: after a handover (rulebook D-05) or another change of the customer's exclusive
/// manager (a transfer, D-08).
///
/// Type `concierge.engagement.task-reassigned.v1` on topic `engagement.events`; Kafka key: `customerId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum TaskReassigned {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - TaskReassigned.V1

extension TaskReassigned {
    /// Version 1 of the `data` of `concierge.engagement.task-reassigned.v1`.
    public struct V1: EventData {
        /// `concierge.engagement.task-reassigned.v1`.
        public static let eventType = "concierge.engagement.task-reassigned.v1"
        /// `engagement.events`.
        public static let topic = Topics.engagementEvents

        /// The task.
        public var taskId: String
        /// The customer.
        public var customerId: String
        /// The previous owner.
        public var fromManagerId: String
        /// The new owner.
        public var toManagerId: String
        /// Why: `handover` (D-05), or the `manager-assigned` reason (`transfer`, `rebalance`, `manual`).
        public var reason: String
        /// When it was reassigned.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            taskId: String,
            customerId: String,
            fromManagerId: String,
            toManagerId: String,
            reason: String,
            at: Timestamp
        ) {
            self.taskId = taskId
            self.customerId = customerId
            self.fromManagerId = fromManagerId
            self.toManagerId = toManagerId
            self.reason = reason
            self.at = at
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(taskId, "taskId")
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
