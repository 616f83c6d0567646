// MARK: - EventData

/// The typed `data` of one version of one event type.
///
/// Each event has a namespace enum holding one struct per version and a `Latest` typealias
/// (`VisitArrived.V1`, `VisitArrived.Latest`); house style §7.4. Adding an optional field keeps the version; removing,
/// renaming or changing the meaning of a field makes a new struct `V2` with type `….v2`.
///
/// Properties are spelled exactly like the JSON fields of the contract (`visitId`, `customerId`), so the Swift name
/// of a field is never in doubt.
public protocol EventData: Codable, Sendable, Equatable {
    /// The full CloudEvents `type`, ending in the version, e.g. `bank.branch.visit-arrived.v1`. Never renamed.
    static var eventType: String { get }

    /// The Kafka topic the event belongs on (contract §1.2, §1.3), one of ``Topics/all``.
    static var topic: String { get }

    /// The Kafka message key: the `customerId` when known, else the identifier the topic table names
    /// (`visitId`, `complaintId`, `caseRef`, `staffId`, `caseId`, …). Events with one key keep their order.
    var partitionKey: String { get }

    /// Checks what JSON decoding cannot: required text is not blank, amounts and counts are not negative, values
    /// that depend on each other agree.
    ///
    /// ``EventCatalog`` calls this after decoding; producers should call it (or ``Envelope/validate()``) before
    /// publishing.
    ///
    /// - Throws: ``EventValidationError`` naming the field, relative to `data` (e.g. `visitId`).
    func validate() throws(EventValidationError)
}
