// MARK: - StaffUpdated

/// A staff member's role, grade or status changes in HR (rulebook A-01, D-05, D-06, D-07).
///
/// Type `bank.hr.staff-updated.v1` on topic `staff.directory`; Kafka key: `staffId`.
public enum StaffUpdated {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - StaffUpdated.V1

extension StaffUpdated {
    /// Version 1 of the `data` of `bank.hr.staff-updated.v1`.
    public struct V1: EventData {
        /// `bank.hr.staff-updated.v1`.
        public static let eventType = "bank.hr.staff-updated.v1"
        /// `staff.directory`.
        public static let topic = Topics.staffDirectory

        /// The staff member.
        public var staffId: String
        /// The branch they work at.
        public var branchId: String
        /// Their role.
        public var role: StaffRole
        /// Their grade on the customer-manager ladder (rulebook A-02).
        public var grade: String?
        /// Their status.
        public var status: StaffStatus
        /// When the change takes effect.
        public var effectiveAt: Timestamp
        /// Who covers while they are `on_leave`.
        public var coveringStaffId: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            staffId: String,
            branchId: String,
            role: StaffRole,
            grade: String? = nil,
            status: StaffStatus,
            effectiveAt: Timestamp,
            coveringStaffId: String? = nil
        ) {
            self.staffId = staffId
            self.branchId = branchId
            self.role = role
            self.grade = grade
            self.status = status
            self.effectiveAt = effectiveAt
            self.coveringStaffId = coveringStaffId
        }

        /// The Kafka key: `staffId`.
        public var partitionKey: String { staffId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(staffId, "staffId")
            try Check.notBlank(branchId, "branchId")
            try Check.notBlank(coveringStaffId, "coveringStaffId")
            if coveringStaffId == staffId {
                throw EventValidationError(field: "coveringStaffId", reason: "must not be the staff member themself")
            }
        }
    }
}
