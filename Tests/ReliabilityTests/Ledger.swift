import Events
import Foundation

/// Everything the load driver sent during one fault case: the inputs whose business effects the reconciliation
/// expects, each with the instant it was generated (for the recovery time).
struct Ledger: Sendable {
    struct Customer: Sendable {
        var id: String
        var branch: String
        var aum: Int64
        var tier: Tier
    }

    struct WalkIn: Sendable {
        var visitID: String
        var branch: String
        var customerID: String
        var arrivedAt: Timestamp
        var generated: ContinuousClock.Instant
    }

    /// A branch complaint (`complaint-lodged`) or a call-centre escalation (`escalation-raised`); both open a case.
    struct Complaint: Sendable {
        enum Source: Sendable { case branch, callCentre }

        var ref: String
        var source: Source
        var branch: String
        var customerID: String
        var category: String
        var receivedAt: Timestamp
        var resolvedOnSpot = false
        var critical = false
        var generated: ContinuousClock.Instant
    }

    struct Contact: Sendable {
        var activityID: String
        var customerID: String
        var managerID: String
        var at: Timestamp
        var generated: ContinuousClock.Instant
    }

    /// Staff events and profiles published before the stream (reference data).
    var referenceEvents = 0
    var customers: [Customer] = []
    var walkIns: [WalkIn] = []
    var complaints: [Complaint] = []
    var contacts: [Contact] = []
    /// Records whose delivery report was an error (the driver's producer retries for `message.timeout.ms`, so
    /// any is a failure of the case).
    var failedSends: [String] = []
    /// Per Kafka key of `crm.activities`, the activity ids in the order the driver produced them.
    var contactOrder: [String: [String]] = [:]

    /// Inputs sent, reference data included.
    var eventsIn: Int { referenceEvents + walkIns.count + complaints.count + contacts.count }

    /// The customers who walked in: each must have exactly one owner (D-01) and one active plan (E-03).
    var walkedIn: Set<String> { Set(walkIns.map(\.customerID)) }
}
