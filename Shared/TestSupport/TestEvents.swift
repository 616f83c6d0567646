import Events
import Foundation
import Messaging

/// Contract events as Kafka records, the way a branch front end or HR would publish them.
public enum TestEvents {
    public static func record<Data: EventData>(
        _ data: Data, id: String = UUID().uuidString.lowercased(), time: Timestamp = .now(utcOffsetSeconds: 8 * 3600),
        source: String = "test/front-end"
    ) -> KafkaOutgoingRecord {
        let envelope = Envelope(id: id, source: source, time: time, data: data)
        return KafkaOutgoingRecord(
            topic: Data.topic, key: Array(data.partitionKey.utf8), value: envelope.encode(),
            headers: envelope.kafkaHeaders().map { KafkaHeader(key: $0.0, value: $0.1) })
    }

    public static func staff(
        _ staffID: String, branch: String, role: StaffRole, status: StaffStatus = .active
    ) -> KafkaOutgoingRecord {
        record(
            StaffUpdated.V1(
                staffId: staffID, branchId: branch, role: role, status: status,
                effectiveAt: .now(utcOffsetSeconds: 8 * 3600).adding(milliseconds: -86_400_000)))
    }

    public static func profile(_ customerID: String, branch: String, aum: Int64) -> KafkaOutgoingRecord {
        let today = BusinessDate(localDateOf: .now(utcOffsetSeconds: 8 * 3600))
        return record(
            CustomerProfile.V1(customerId: customerID, homeBranchId: branch, aumDailyAvg: Amount(units: aum), asOf: today))
    }

    public static func walkIn(
        _ visitID: String, branch: String, customerID: String?, purpose: VisitPurpose = .wealthConsultation,
        recordedBy: String = "LM001", role: StaffRole = .lobbyManager
    ) -> KafkaOutgoingRecord {
        record(
            VisitArrived.V1(
                visitId: visitID, branchId: branch, arrivedAt: .now(utcOffsetSeconds: 8 * 3600),
                customerId: customerID, purpose: purpose, recordedBy: recordedBy, recordedByRole: role))
    }
}
