// MARK: - AppointmentBooked

/// A customer appointment with a manager is booked.
///
/// Type `bank.crm.appointment-booked.v1` on topic `crm.activities`; Kafka key: `customerId`.
public enum AppointmentBooked {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - AppointmentBooked.V1

extension AppointmentBooked {
    /// Version 1 of the `data` of `bank.crm.appointment-booked.v1`.
    public struct V1: EventData {
        /// `bank.crm.appointment-booked.v1`.
        public static let eventType = "bank.crm.appointment-booked.v1"
        /// `crm.activities`.
        public static let topic = Topics.crmActivities

        /// The appointment.
        public var appointmentId: String
        /// The customer.
        public var customerId: String
        /// The manager.
        public var managerId: String
        /// Where the appointment is.
        public var branchId: String
        /// The appointment time.
        public var at: Timestamp

        /// Creates the event data; each parameter sets the property of the same name.
        public init(appointmentId: String, customerId: String, managerId: String, branchId: String, at: Timestamp) {
            self.appointmentId = appointmentId
            self.customerId = customerId
            self.managerId = managerId
            self.branchId = branchId
            self.at = at
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(appointmentId, "appointmentId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notBlank(branchId, "branchId")
        }
    }
}
