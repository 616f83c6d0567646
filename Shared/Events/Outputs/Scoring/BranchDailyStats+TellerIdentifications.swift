// MARK: - BranchDailyStats.V1.TellerIdentifications

extension BranchDailyStats.V1 {
    /// VIP customers identified at the counters in one day, by counter kind (rulebook C-10 item 3).
    public struct TellerIdentifications: Codable, Sendable, Equatable {
        /// Identified by cash tellers.
        public var cash: Int
        /// Identified by non-cash tellers.
        public var nonCash: Int
        /// Identified by business officers.
        public var businessOfficer: Int

        /// Creates the counts; each parameter sets the property of the same name.
        public init(cash: Int = 0, nonCash: Int = 0, businessOfficer: Int = 0) {
            self.cash = cash
            self.nonCash = nonCash
            self.businessOfficer = businessOfficer
        }

        /// The sum of the three counts.
        public var total: Int { cash + nonCash + businessOfficer }

        /// No count may be negative.
        func validate() throws(EventValidationError) {
            try Check.notNegative(cash, "vipsIdentifiedByTellers.cash")
            try Check.notNegative(nonCash, "vipsIdentifiedByTellers.nonCash")
            try Check.notNegative(businessOfficer, "vipsIdentifiedByTellers.businessOfficer")
        }
    }
}
