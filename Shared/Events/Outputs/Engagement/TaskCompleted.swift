// MARK: - TaskCompleted

/// A manager completes a task.
///
/// Type `concierge.engagement.task-completed.v1` on topic `engagement.events`; Kafka key: `customerId` when known, else `taskId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum TaskCompleted {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - TaskCompleted.V1

extension TaskCompleted {
    /// Version 1 of the `data` of `concierge.engagement.task-completed.v1`.
    public struct V1: EventData {
        /// `concierge.engagement.task-completed.v1`.
        public static let eventType = "concierge.engagement.task-completed.v1"
        /// `engagement.events`.
        public static let topic = Topics.engagementEvents

        /// The task.
        public var taskId: String
        /// The customer.
        public var customerId: String?
        /// The manager whose task it was (a logged contact is matched to the task's manager).
        public var managerId: String
        /// What the task was.
        public var kind: TaskKind
        /// When it was completed.
        public var completedAt: Timestamp
        /// What came of it.
        public var outcome: String?
        /// Whether it was completed by its due time.
        public var onTime: Bool

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            taskId: String,
            customerId: String?,
            managerId: String,
            kind: TaskKind,
            completedAt: Timestamp,
            outcome: String? = nil,
            onTime: Bool
        ) {
            self.taskId = taskId
            self.customerId = customerId
            self.managerId = managerId
            self.kind = kind
            self.completedAt = completedAt
            self.outcome = outcome
            self.onTime = onTime
        }

        /// The Kafka key: `customerId` when known, else `taskId` (an unknown walk-in has no customer id yet).
        public var partitionKey: String { customerId ?? taskId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(taskId, "taskId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
        }
    }
}
