// MARK: - ManagerAssigned

/// A customer gets an exclusive manager and service team (rulebook D-01, D-03, D-04, B-03).
///
/// Type `concierge.assignment.manager-assigned.v1` on topic `assignment.events`; Kafka key: `customerId`.
public enum ManagerAssigned {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ManagerAssigned.V1

extension ManagerAssigned {
    /// Version 1 of the `data` of `concierge.assignment.manager-assigned.v1`.
    public struct V1: EventData {
        /// `concierge.assignment.manager-assigned.v1`.
        public static let eventType = "concierge.assignment.manager-assigned.v1"
        /// `assignment.events`.
        public static let topic = Topics.assignmentEvents

        /// The customer.
        public var customerId: String
        /// The exclusive manager.
        public var managerId: String
        /// The branch the relationship belongs to.
        public var branchId: String
        /// The customer's tier, when known.
        public var tier: Tier?
        /// The staffIds serving the customer: the manager, plus the branch sales supervisor for tier B, plus the
        /// regional supervisor for tier C (rulebook B-03).
        public var serviceTeam: [String]
        /// Why the manager was assigned.
        public var reason: AssignmentReason
        /// The previous manager, if any.
        public var previousManagerId: String?
        /// When the assignment took effect.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            customerId: String,
            managerId: String,
            branchId: String,
            tier: Tier? = nil,
            serviceTeam: [String],
            reason: AssignmentReason,
            previousManagerId: String? = nil,
            at: Timestamp
        ) {
            self.customerId = customerId
            self.managerId = managerId
            self.branchId = branchId
            self.tier = tier
            self.serviceTeam = serviceTeam
            self.reason = reason
            self.previousManagerId = previousManagerId
            self.at = at
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(serviceTeam, "serviceTeam")
            try Check.notBlank(previousManagerId, "previousManagerId")
            if !serviceTeam.contains(managerId) {
                throw EventValidationError(field: "serviceTeam", reason: "must include the manager \(managerId)")
            }
        }
    }
}
