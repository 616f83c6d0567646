import Events
import Messaging

// MARK: - SimulationKind

/// The kinds of event a simulation sends, named as in its progress line and JSON summary.
enum SimulationKind: String, CaseIterable, Sendable, Codable {
    case staff
    case profiles
    case walkIns
    case signals
    case served
    case left
    case complaints
    case escalations
    case contacts
    case sales
    case appointments

    /// Short label for the progress line.
    var label: String {
        switch self {
        case .staff: "staff"
        case .profiles: "profiles"
        case .walkIns: "walk-ins"
        case .signals: "signals"
        case .served: "served"
        case .left: "left"
        case .complaints: "complaints"
        case .escalations: "escalations"
        case .contacts: "contacts"
        case .sales: "sales"
        case .appointments: "appts"
        }
    }

    /// Roster and profiles: published before the day starts.
    var isReference: Bool { self == .staff || self == .profiles }
}

// MARK: - SimulationVisitLink

/// An event's place in its visit: an arrival that more events follow, one of those, or the last of them.
enum SimulationVisitLink: Sendable, Equatable {
    case none
    case opens
    case follows
    case closes
}

// MARK: - SimulationPayload

/// The typed `data` of one simulated event.
enum SimulationPayload: Sendable {
    case staff(StaffUpdated.Latest)
    case profile(CustomerProfile.Latest)
    case walkIn(VisitArrived.Latest)
    case signal(VisitSignal.Latest)
    case served(VisitServed.Latest)
    case left(VisitLeft.Latest)
    case complaint(ComplaintLodged.Latest)
    case escalation(EscalationRaised.Latest)
    case contact(ContactLogged.Latest)
    case sale(ProductSold.Latest)
    case appointment(AppointmentBooked.Latest)
}

// MARK: - SimulationEvent

/// One contract event of the simulation, with the envelope attributes it is published with. `time` and every time
/// field of `payload` are simulated times; ``shifted(byMilliseconds:)`` moves them all, so that with
/// `--timestamps now` an event carries the moment it is sent while keeping its inner offsets (an appointment days
/// ahead, a risk assessment before the sale).
struct SimulationEvent: Sendable {
    var id: String
    var source: String
    var time: Timestamp
    var payload: SimulationPayload
    /// How the event belongs to a visit, so pacing can keep a visit's later events behind its arrival.
    var link = SimulationVisitLink.none

    var kind: SimulationKind {
        switch payload {
        case .staff: .staff
        case .profile: .profiles
        case .walkIn: .walkIns
        case .signal: .signals
        case .served: .served
        case .left: .left
        case .complaint: .complaints
        case .escalation: .escalations
        case .contact: .contacts
        case .sale: .sales
        case .appointment: .appointments
        }
    }

    /// The visit of an arrival, signal, service, departure or complaint.
    var visitID: String? {
        switch payload {
        case .walkIn(let data): data.visitId
        case .signal(let data): data.visitId
        case .served(let data): data.visitId
        case .left(let data): data.visitId
        case .complaint(let data): data.visitId
        default: nil
        }
    }

    /// The same event with `time` and the payload's times moved by `milliseconds`.
    func shifted(byMilliseconds milliseconds: Int64) -> SimulationEvent {
        let move = { (time: Timestamp) in time.adding(milliseconds: milliseconds) }
        var event = self
        event.time = move(time)
        switch payload {
        case .staff, .profile:
            break
        case .walkIn(var data):
            data.arrivedAt = move(data.arrivedAt)
            event.payload = .walkIn(data)
        case .signal(var data):
            data.at = move(data.at)
            event.payload = .signal(data)
        case .served(var data):
            data.at = move(data.at)
            event.payload = .served(data)
        case .left(var data):
            data.at = move(data.at)
            event.payload = .left(data)
        case .complaint(var data):
            data.receivedAt = move(data.receivedAt)
            event.payload = .complaint(data)
        case .escalation(var data):
            data.receivedAt = move(data.receivedAt)
            event.payload = .escalation(data)
        case .contact(var data):
            data.at = move(data.at)
            event.payload = .contact(data)
        case .sale(var data):
            data.at = move(data.at)
            if let assessed = data.riskAssessment?.assessedAt { data.riskAssessment?.assessedAt = move(assessed) }
            event.payload = .sale(data)
        case .appointment(var data):
            data.at = move(data.at)
            event.payload = .appointment(data)
        }
        return event
    }

    /// The Kafka record, built like every producer in Concierge builds one: the typed envelope, validated against
    /// the contract, encoded by the one event encoder, keyed by its partition key, with the CloudEvents headers.
    ///
    /// - Throws: ``EventValidationError`` if the simulation built an invalid event (a bug in the simulation).
    func record() throws(EventValidationError) -> KafkaOutgoingRecord {
        switch payload {
        case .staff(let data): try record(data)
        case .profile(let data): try record(data)
        case .walkIn(let data): try record(data)
        case .signal(let data): try record(data)
        case .served(let data): try record(data)
        case .left(let data): try record(data)
        case .complaint(let data): try record(data)
        case .escalation(let data): try record(data)
        case .contact(let data): try record(data)
        case .sale(let data): try record(data)
        case .appointment(let data): try record(data)
        }
    }

    private func record<Data: EventData>(_ data: Data) throws(EventValidationError) -> KafkaOutgoingRecord {
        let envelope = Envelope(id: id, source: source, time: time, data: data)
        try envelope.validate()
        return KafkaOutgoingRecord(
            topic: Data.topic, key: Array(data.partitionKey.utf8), value: envelope.encode(),
            headers: envelope.kafkaHeaders().map { KafkaHeader(key: $0.0, value: $0.1) })
    }
}
