// MARK: - BranchDailyStats

/// A branch's daily lobby statistics (rulebook C-10).
///
/// Type `concierge.scoring.branch-daily-stats.v1` on topic `scoring.events`; Kafka key: `branchId`.
///
/// The contract names this event but not its fields; every field is defined by Concierge (see `docs/events.md`).
public enum BranchDailyStats {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - BranchDailyStats.V1

extension BranchDailyStats {
    /// Version 1 of the `data` of `concierge.scoring.branch-daily-stats.v1`.
    public struct V1: EventData {
        /// `concierge.scoring.branch-daily-stats.v1`.
        public static let eventType = "concierge.scoring.branch-daily-stats.v1"
        /// `scoring.events`.
        public static let topic = Topics.scoringEvents

        /// The branch.
        public var branchId: String
        /// The business day.
        public var date: BusinessDate
        /// VIP customers received, by manager staffId (C-10 item 1).
        public var vipsReceivedByManager: [String: Int]
        /// VIP customers identified by lobby staff (C-10 item 2).
        public var vipsIdentifiedByLobby: Int
        /// VIP customers identified at counters (C-10 item 3).
        public var vipsIdentifiedByTellers: TellerIdentifications
        /// Complaints received (C-10 item 4).
        public var complaintsReceived: Int
        /// When the statistics were computed.
        public var at: Timestamp
        /// VIP customers identified by staff whose role was not given.
        public var vipsIdentifiedOther: Int?
        /// Potential VIP customers identified, by staff of any role.
        public var potentialVipsIdentified: Int?
        /// Which publication of the branch's figures for `date` this is: 1 for the first; a later publication, after
        /// late events changed the figures, carries 2, 3, ….
        public var revision: Int?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            branchId: String,
            date: BusinessDate,
            vipsReceivedByManager: [String: Int],
            vipsIdentifiedByLobby: Int,
            vipsIdentifiedByTellers: TellerIdentifications,
            complaintsReceived: Int,
            at: Timestamp,
            vipsIdentifiedOther: Int? = nil,
            potentialVipsIdentified: Int? = nil,
            revision: Int? = nil
        ) {
            self.branchId = branchId
            self.date = date
            self.vipsReceivedByManager = vipsReceivedByManager
            self.vipsIdentifiedByLobby = vipsIdentifiedByLobby
            self.vipsIdentifiedByTellers = vipsIdentifiedByTellers
            self.complaintsReceived = complaintsReceived
            self.at = at
            self.vipsIdentifiedOther = vipsIdentifiedOther
            self.potentialVipsIdentified = potentialVipsIdentified
            self.revision = revision
        }

        /// The Kafka key: `branchId`.
        public var partitionKey: String { branchId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(branchId, "branchId")
            try Check.notNegative(vipsIdentifiedByLobby, "vipsIdentifiedByLobby")
            try Check.notNegative(complaintsReceived, "complaintsReceived")
            for (managerId, count) in vipsReceivedByManager {
                try Check.notBlank(managerId, "vipsReceivedByManager")
                try Check.notNegative(count, "vipsReceivedByManager.\(managerId)")
            }
            try vipsIdentifiedByTellers.validate()
            try Check.notNegative(vipsIdentifiedOther, "vipsIdentifiedOther")
            try Check.notNegative(potentialVipsIdentified, "potentialVipsIdentified")
            if let revision, revision < 1 {
                throw EventValidationError(field: "revision", reason: "\(revision) must be 1 or more")
            }
        }
    }
}
