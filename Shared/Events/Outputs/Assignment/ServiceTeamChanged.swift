// MARK: - ServiceTeamChanged

/// A customer's tier changed (from a new profile) or a supervisor in the team changed, and with it the service team
/// (rulebook A-16, B-03): tier B adds the branch sales supervisor, tier C the regional sales supervisor as well. The
/// exclusive manager stays.
///
/// Type `concierge.assignment.service-team-changed.v1` on topic `assignment.events`; Kafka key: `customerId`.
///
/// Not in the contract: added by Concierge (see `docs/events.md`).
public enum ServiceTeamChanged {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ServiceTeamChanged.V1

extension ServiceTeamChanged {
    /// Version 1 of the `data` of `concierge.assignment.service-team-changed.v1`.
    public struct V1: EventData {
        /// `concierge.assignment.service-team-changed.v1`.
        public static let eventType = "concierge.assignment.service-team-changed.v1"
        /// `assignment.events`.
        public static let topic = Topics.assignmentEvents

        /// The customer.
        public var customerId: String
        /// The exclusive manager (unchanged).
        public var managerId: String
        /// The branch the relationship belongs to.
        public var branchId: String
        /// The tier before, if known.
        public var previousTier: Tier?
        /// The tier now, if known.
        public var tier: Tier?
        /// The team before.
        public var previousServiceTeam: [String]
        /// The team now: the manager, plus the branch sales supervisor for B, plus the regional supervisor for C.
        public var serviceTeam: [String]
        /// Why: `tier_changed` or `supervisor_changed`.
        public var reason: String
        /// When the change took effect.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            customerId: String,
            managerId: String,
            branchId: String,
            previousTier: Tier? = nil,
            tier: Tier? = nil,
            previousServiceTeam: [String],
            serviceTeam: [String],
            reason: String,
            at: Timestamp
        ) {
            self.customerId = customerId
            self.managerId = managerId
            self.branchId = branchId
            self.previousTier = previousTier
            self.tier = tier
            self.previousServiceTeam = previousServiceTeam
            self.serviceTeam = serviceTeam
            self.reason = reason
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
            try Check.notBlank(reason, "reason")
            if !serviceTeam.contains(managerId) {
                throw EventValidationError(field: "serviceTeam", reason: "must include the manager \(managerId)")
            }
        }
    }
}
