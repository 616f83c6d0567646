import Events
import Foundation
import Messaging
import PostgresNIO
import TestSupport

/// Outbox → topics, read back from the broker: every outbox row is on its topic with the same bytes, no event id
/// comes with two contents, and each key's events are in the order their transactions committed (outbox `(txid,
/// seq)`). Copies of an event (at-least-once: a relay killed before marking its rows sent) are allowed and counted;
/// the consumers' inboxes absorb them. The driver's own contacts are checked the same way: each customer's calls on
/// `crm.activities` in the order the driver produced them.
struct TopicCheck: Sendable {
    var outboxRows = 0
    var records = 0
    /// Outbox rows that are not on their topic.
    var missing = 0
    /// Event ids found with a content other than their outbox row's, or on no outbox at all.
    var differing = 0
    /// Extra copies of an event on its topic.
    var republished = 0
    /// Keys whose events are not in commit (or, for the driver's contacts, production) order.
    var reorderedKeys = 0
    /// The driver's inputs (walk-ins, complaints, escalations, contacts) whose delivery report said they were
    /// written, but which the broker does not hold: no service could have seen them, so their missing effects are
    /// the broker's loss, not Concierge's.
    var inputsAbsent: [String] = []
    var examples: [String] = []

    var isClean: Bool { missing == 0 && differing == 0 && reorderedKeys == 0 }

    private struct Row {
        var topic: String
        var id: String
        var key: String?
        var payload: Data
    }

    static func run(stack: ConciergeStack, db: PostgresClient, ledger: Ledger) async throws -> TopicCheck {
        var rows: [Row] = []
        for service in ConciergeStack.serviceNames {
            rows += try await Database.rows(
                "SELECT topic, id::text, message_key, payload FROM \(stack.schema(service)).outbox ORDER BY txid, seq",
                db: db, as: Row.self
            ) { row in
                let (topic, id, key, payload) = try row.decode((String, String, String?, Data).self)
                return Row(topic: topic, id: id, key: key, payload: payload)
            }
        }
        let wanted = Set(rows.map(\.id))
        let inputs = Set(ledger.walkIns.map(\.visitID) + ledger.complaints.map(\.ref) + ledger.contacts.map(\.activityID))
        let inputTopics = [Topics.branchVisits, Topics.branchComplaints, Topics.callcentreEscalations, Topics.crmActivities]
        let records = try await TestKafka.read(
            Topics.outputs + inputTopics, configuration: stack.kafkaConfiguration, timeout: .seconds(90)
        ) { records in
            let ids = Set(records.compactMap(eventID))
            return wanted.isSubset(of: ids)
                && records.count(where: { inputTopics.contains($0.topic) }) >= inputs.count
        }
        let inputsFound = Set(records.lazy.filter { inputTopics.contains($0.topic) }.compactMap(inputRef))

        var check = TopicCheck(outboxRows: rows.count, records: records.count)
        check.inputsAbsent = inputs.subtracting(inputsFound).sorted()
        var copies: [String: [KafkaRecord]] = [:]
        for record in records where !inputTopics.contains(record.topic) {
            guard let id = eventID(record) else { continue }
            copies[id, default: []].append(record)
        }
        let byID = Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for row in rows {
            guard let found = copies[row.id] else {
                check.missing += 1
                check.note("\(row.topic) \(row.id) never published")
                continue
            }
            check.republished += found.count - 1
            if found.contains(where: { $0.topic != row.topic || Data($0.value) != row.payload }) {
                check.differing += 1
                check.note("\(row.id) published with another content")
            }
        }
        for id in copies.keys where byID[id] == nil {
            check.differing += 1
            check.note("\(id) on a topic but in no outbox")
        }

        // Per key, the first copy of each event in commit order (the dead-letter topic has several writers).
        var committed: [String: [String]] = [:]
        for row in rows where row.topic != Topics.deadLetter {
            committed["\(row.topic) \(row.key ?? "")", default: []].append(row.id)
        }
        var published: [String: [String]] = [:]
        var seen = Set<String>()
        for record in records where record.topic != Topics.deadLetter && !inputTopics.contains(record.topic) {
            guard let id = eventID(record), seen.insert(id).inserted else { continue }
            published["\(record.topic) \(record.key.map { String(decoding: $0, as: UTF8.self) } ?? "")", default: []]
                .append(id)
        }
        for (key, order) in committed {
            // Compared on the events both have: a row never published counts as missing above, not here.
            let onTopic = published[key, default: []]
            let present = Set(onTopic)
            guard onTopic.filter(Set(order).contains) != order.filter(present.contains) else { continue }
            check.reorderedKeys += 1
            check.note("\(key): published out of commit order")
        }
        // The driver's contacts, per customer, in the order produced.
        var calls: [String: [String]] = [:]
        for record in records where record.topic == Topics.crmActivities {
            guard case .contactLogged(let contact)? = try? EventCatalog.decode(record.value).payload else { continue }
            calls[contact.customerId, default: []].append(contact.activityId)
        }
        for (customer, order) in ledger.contactOrder where calls[customer] != order {
            check.reorderedKeys += 1
            check.note("contacts of \(customer): \(calls[customer] ?? []) on the topic, \(order) produced")
        }
        return check
    }

    private mutating func note(_ example: String) {
        if examples.count < 5 { examples.append(example) }
    }

    /// The natural key the ledger knows an input by: a walk-in's visit id, a complaint's or escalation's reference,
    /// a contact's activity id.
    private static func inputRef(_ record: KafkaRecord) -> String? {
        switch try? EventCatalog.decode(record.value).payload {
        case .visitArrived(let visit)?: visit.visitId
        case .complaintLodged(let complaint)?: complaint.complaintId
        case .escalationRaised(let escalation)?: escalation.caseRef
        case .contactLogged(let contact)?: contact.activityId
        default: nil
        }
    }

    private static func eventID(_ record: KafkaRecord) -> String? {
        record.headers.first { $0.key == "ce_id" }.map { String(decoding: $0.value, as: UTF8.self) }
    }
}
