// MARK: - HotspotDetected

/// Complaints of one category concentrate at one branch (rulebook A-13: the 理财专家 analyse concentrated complaints):
/// at least a configured number of cases (default 5) within a configured window (default 7 days).
///
/// Type `concierge.complaints.hotspot-detected.v1` on topic `complaints.events`; Kafka key: `branchId`.
///
/// Not in the contract: added by Concierge (see `docs/events.md`).
public enum HotspotDetected {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - HotspotDetected.V1

extension HotspotDetected {
    /// Version 1 of the `data` of `concierge.complaints.hotspot-detected.v1`.
    public struct V1: EventData {
        /// `concierge.complaints.hotspot-detected.v1`.
        public static let eventType = "concierge.complaints.hotspot-detected.v1"
        /// `complaints.events`.
        public static let topic = Topics.complaintsEvents

        /// The detection.
        public var hotspotId: String
        /// The branch.
        public var branchId: String
        /// The complaint category.
        public var category: String
        /// How many cases of the category the branch received in the window.
        public var caseCount: Int
        /// Those cases, oldest first.
        public var caseIds: [String]
        /// The start of the window.
        public var windowStart: Timestamp
        /// When it was detected (the end of the window).
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            hotspotId: String,
            branchId: String,
            category: String,
            caseCount: Int,
            caseIds: [String],
            windowStart: Timestamp,
            at: Timestamp
        ) {
            self.hotspotId = hotspotId
            self.branchId = branchId
            self.category = category
            self.caseCount = caseCount
            self.caseIds = caseIds
            self.windowStart = windowStart
            self.at = at
        }

        /// The Kafka key: `branchId`.
        public var partitionKey: String { branchId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(hotspotId, "hotspotId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(category, "category")
            if caseCount < 1 || caseCount != caseIds.count {
                throw EventValidationError(field: "caseCount", reason: "must be positive and match caseIds")
            }
        }
    }
}
