// MARK: - ComplaintLodged

/// A complaint is lodged at a branch: at a counter, in the lobby, in the opinion book, by letter, online or in the app
/// (rulebook F-01, F-02).
///
/// Type `bank.branch.complaint-lodged.v1` on topic `branch.complaints`; Kafka key: `complaintId`.
public enum ComplaintLodged {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ComplaintLodged.V1

extension ComplaintLodged {
    /// Version 1 of the `data` of `bank.branch.complaint-lodged.v1`.
    public struct V1: EventData {
        /// `bank.branch.complaint-lodged.v1`.
        public static let eventType = "bank.branch.complaint-lodged.v1"
        /// `branch.complaints`.
        public static let topic = Topics.branchComplaints

        /// The complaint's identifier at the branch front end.
        public var complaintId: String
        /// The branch.
        public var branchId: String
        /// The customer, when known.
        public var customerId: String?
        /// The visit during which it was lodged, if any.
        public var visitId: String?
        /// Where it came in.
        public var channel: ComplaintChannel
        /// The complaint category, e.g. `waiting_time`.
        public var category: String
        /// What the customer complains about.
        public var summary: String
        /// What the customer wants.
        public var customerNeed: String
        /// When it was received.
        public var receivedAt: Timestamp
        /// The staffId who recorded it.
        public var recordedBy: String
        /// Whether it was answered on the spot (rulebook F-02).
        public var resolvedOnSpot: Bool
        /// The answer given, when resolved on the spot.
        public var resolution: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            complaintId: String,
            branchId: String,
            customerId: String? = nil,
            visitId: String? = nil,
            channel: ComplaintChannel,
            category: String,
            summary: String,
            customerNeed: String,
            receivedAt: Timestamp,
            recordedBy: String,
            resolvedOnSpot: Bool,
            resolution: String? = nil
        ) {
            self.complaintId = complaintId
            self.branchId = branchId
            self.customerId = customerId
            self.visitId = visitId
            self.channel = channel
            self.category = category
            self.summary = summary
            self.customerNeed = customerNeed
            self.receivedAt = receivedAt
            self.recordedBy = recordedBy
            self.resolvedOnSpot = resolvedOnSpot
            self.resolution = resolution
        }

        /// The Kafka key: `complaintId`.
        public var partitionKey: String { complaintId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(complaintId, "complaintId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(visitId, "visitId")
            try Check.notBlank(category, "category")
            try Check.notBlank(summary, "summary")
            try Check.notBlank(customerNeed, "customerNeed")
            try Check.notBlank(recordedBy, "recordedBy")
        }
    }
}
