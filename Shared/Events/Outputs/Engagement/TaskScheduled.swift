// MARK: - TaskScheduled

/// A task is put on a manager's agenda by a rulebook rule (rulebook C-05, C-06, D-05, E-03, E-05, E-07,
/// E-09, F-05).
///
/// Type `concierge.engagement.task-scheduled.v1` on topic `engagement.events`; Kafka key: `customerId` when known,
/// else `visitId`, else `taskId`.
public enum TaskScheduled {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - TaskScheduled.V1

extension TaskScheduled {
    /// Version 1 of the `data` of `concierge.engagement.task-scheduled.v1`.
    public struct V1: EventData {
        /// `concierge.engagement.task-scheduled.v1`.
        public static let eventType = "concierge.engagement.task-scheduled.v1"
        /// `engagement.events`.
        public static let topic = Topics.engagementEvents

        /// The task.
        public var taskId: String
        /// The customer.
        public var customerId: String?
        /// The manager who must do it.
        public var managerId: String
        /// What the task is.
        public var kind: TaskKind
        /// When it is due.
        public var dueAt: Timestamp
        /// The rulebook rule that caused it, e.g. `E-03`.
        public var ruleId: String
        /// The CloudEvents `id` of the event that caused it.
        public var sourceEventId: String
        /// The visit that caused it, if any. (Concierge addition to the contract.)
        public var visitId: String?
        /// The referral that caused it, if any. (Concierge addition to the contract.)
        public var referralId: String?
        /// The branch, when relevant. (Concierge addition to the contract.)
        public var branchId: String?
        /// A short title for the agenda, e.g. `Follow up the walk-in visit`. (Concierge addition to the contract.)
        public var title: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            taskId: String,
            customerId: String?,
            managerId: String,
            kind: TaskKind,
            dueAt: Timestamp,
            ruleId: String,
            sourceEventId: String,
            visitId: String? = nil,
            referralId: String? = nil,
            branchId: String? = nil,
            title: String? = nil
        ) {
            self.taskId = taskId
            self.customerId = customerId
            self.managerId = managerId
            self.kind = kind
            self.dueAt = dueAt
            self.ruleId = ruleId
            self.sourceEventId = sourceEventId
            self.visitId = visitId
            self.referralId = referralId
            self.branchId = branchId
            self.title = title
        }

        /// The Kafka key: `customerId` when known, else `visitId`, else `taskId` (an unknown walk-in has no customer id yet).
        public var partitionKey: String { customerId ?? visitId ?? taskId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(taskId, "taskId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notBlank(ruleId, "ruleId")
            try Check.notBlank(sourceEventId, "sourceEventId")
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(referralId, "referralId")
            try Check.notBlank(branchId, "branchId")
        }
    }
}
