// MARK: - DeadLetter

/// A message a service could not process, kept whole so that it can be inspected and replayed (contract §1.4).
///
/// Type `concierge.deadletter.v1` on topic `concierge.deadletter`; Kafka key: the original `key`; without one the
/// original `eventId`, else `<originalTopic>/<partition>/<offset>`.
public enum DeadLetter {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - DeadLetter.V1

extension DeadLetter {
    /// Version 1 of the `data` of `concierge.deadletter.v1`.
    public struct V1: EventData {
        /// `concierge.deadletter.v1`.
        public static let eventType = "concierge.deadletter.v1"
        /// `concierge.deadletter`.
        public static let topic = Topics.deadLetter

        /// The topic the message was read from.
        public var originalTopic: String
        /// Its partition.
        public var partition: Int32
        /// Its offset.
        public var offset: Int64
        /// Its key, decoded as UTF-8 (invalid bytes replaced).
        public var key: String?
        /// Its value, base64-encoded (standard alphabet, padded).
        public var valueBase64: String
        /// Why it could not be processed, as a sentence a person can act on.
        public var error: String
        /// The service that gave up on it, e.g. `intake`.
        public var service: String
        /// When it was dead-lettered.
        public var at: Timestamp
        /// The CloudEvents `id`, when it could be read. (Concierge addition to the contract.)
        public var eventId: String?
        /// The CloudEvents `type`, when it could be read. (Concierge addition to the contract.)
        public var eventType: String?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            originalTopic: String,
            partition: Int32,
            offset: Int64,
            key: String? = nil,
            valueBase64: String,
            error: String,
            service: String,
            at: Timestamp,
            eventId: String? = nil,
            eventType: String? = nil
        ) {
            self.originalTopic = originalTopic
            self.partition = partition
            self.offset = offset
            self.key = key
            self.valueBase64 = valueBase64
            self.error = error
            self.service = service
            self.at = at
            self.eventId = eventId
            self.eventType = eventType
        }

        /// The Kafka key: the original `key`; without one the original `eventId`, else
        /// `<originalTopic>/<partition>/<offset>`.
        public var partitionKey: String { key ?? eventId ?? "\(originalTopic)/\(partition)/\(offset)" }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(originalTopic, "originalTopic")
            try Check.notBlank(error, "error")
            try Check.notBlank(service, "service")
            guard partition >= 0 else {
                throw EventValidationError(field: "partition", reason: "\(partition) must not be negative")
            }
            guard offset >= 0 else {
                throw EventValidationError(field: "offset", reason: "\(offset) must not be negative")
            }
            guard originalValue != nil else {
                throw EventValidationError(field: "valueBase64", reason: "is not valid base64")
            }
        }
    }
}
