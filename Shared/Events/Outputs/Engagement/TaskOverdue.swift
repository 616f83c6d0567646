// MARK: - TaskOverdue

/// A task passed its due time without being completed.
///
/// Type `concierge.engagement.task-overdue.v1` on topic `engagement.events`; Kafka key: `customerId`, else `taskId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum TaskOverdue {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - TaskOverdue.V1

extension TaskOverdue {
    /// Version 1 of the `data` of `concierge.engagement.task-overdue.v1`.
    public struct V1: EventData {
        /// `concierge.engagement.task-overdue.v1`.
        public static let eventType = "concierge.engagement.task-overdue.v1"
        /// `engagement.events`.
        public static let topic = Topics.engagementEvents

        /// The task.
        public var taskId: String
        /// The customer; `nil` for a task about an unknown walk-in (no customer id yet).
        public var customerId: String?
        /// The manager who owns it.
        public var managerId: String
        /// What the task is.
        public var kind: TaskKind
        /// When it was due.
        public var dueAt: Timestamp
        /// When it was found overdue.
        public var at: Timestamp
        /// The staffId it was escalated to (e.g. the team lead), if any.
        public var escalatedTo: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            taskId: String,
            customerId: String?,
            managerId: String,
            kind: TaskKind,
            dueAt: Timestamp,
            at: Timestamp,
            escalatedTo: String? = nil
        ) {
            self.taskId = taskId
            self.customerId = customerId
            self.managerId = managerId
            self.kind = kind
            self.dueAt = dueAt
            self.at = at
            self.escalatedTo = escalatedTo
        }

        /// The Kafka key: `customerId`, else `taskId`.
        public var partitionKey: String { customerId ?? taskId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(taskId, "taskId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notBlank(escalatedTo, "escalatedTo")
        }
    }
}
