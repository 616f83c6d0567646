import Events
import Foundation
import PostgresNIO
import Messaging
import ServiceKit
import TestSupport
import Testing

@testable import Scoring

@Suite("Scoring service", .serialized, .timeLimit(.minutes(2)))
struct ScoringTests {
    func identified(
        by staffID: String, role: StaffRole?, classification: Classification = .vip, branch: String = "SH001",
        at: Timestamp
    ) -> CustomerIdentified.V1 {
        CustomerIdentified.V1(
            visitId: "V-\(UUID().uuidString.prefix(8))", branchId: branch, customerId: "C-\(staffID)",
            classification: classification, tier: classification == .vip ? .a : nil,
            basis: classification == .vip ? .aum : .signals, reasons: ["test"], identifiedBy: staffID,
            identifiedByRole: role, at: at)
    }

    func routed(manager: String, branch: String? = "SH001", classification: Classification? = .vip, at: Timestamp)
        -> ReferralRouted.V1
    {
        let referralID = UUID().uuidString.lowercased()
        return ReferralRouted.V1(
            referralId: referralID, visitId: "V-\(referralID.prefix(8))", customerId: "C-\(referralID.prefix(4))",
            managerId: manager, at: at, branchId: branch, tier: .a, classification: classification)
    }

    func caseOpened(branch: String?, receivedAt: Timestamp) -> CaseOpened.V1 {
        CaseOpened.V1(
            caseId: UUID().uuidString.lowercased(), source: .branch, externalRef: "K-\(UUID().uuidString.prefix(6))",
            branchId: branch, category: "waiting_time", severity: .normal,
            replyDueAt: receivedAt.adding(milliseconds: 3 * 86_400_000), level: .frontLine, receivedAt: receivedAt,
            resolvedOnSpot: false)
    }

    @Test("C-10 identifications by lobby manager, assistant, cash and non-cash tellers, business officer are counted")
    func identificationCounts() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let at = try ts("2026-11-24T10:00:00.000+08:00")
            for (staffID, role) in [
                ("LM001", StaffRole.lobbyManager), ("LA001", .lobbyAssistant), ("LA002", .lobbyAssistant),
                ("TC001", .tellerCash), ("TN001", .tellerNonCash), ("TN002", .tellerNonCash),
                ("BO001", .businessOfficer),
            ] {
                let out = try await harness.deliver(identified(by: staffID, role: role, at: at))
                #expect(out.isEmpty)
            }
            // Potential VIPs are counted apart, whoever identified them; a missing role counts as "other".
            try await harness.deliver(identified(by: "LM001", role: .lobbyManager, classification: .potential, at: at))
            try await harness.deliver(identified(by: "TC001", role: .tellerCash, classification: .potential, at: at))
            try await harness.deliver(identified(by: "XX001", role: nil, at: at))
            // Another branch and another day do not count here.
            try await harness.deliver(identified(by: "LM900", role: .lobbyManager, branch: "SH002", at: at))
            try await harness.deliver(
                identified(by: "LM001", role: .lobbyManager, at: try ts("2026-11-25T10:00:00.000+08:00")))

            let daily = try await harness.service.daily(branchID: "SH001", date: try day("2026-11-24"))
            #expect(daily.vipsIdentifiedByLobby == 3)
            #expect(daily.vipsIdentifiedByTellers.cash == 1)
            #expect(daily.vipsIdentifiedByTellers.nonCash == 2)
            #expect(daily.vipsIdentifiedByTellers.businessOfficer == 1)
            #expect(daily.potentialVipsIdentified == 2)
            #expect(daily.vipsIdentifiedOther == 1)
            #expect(daily.complaintsReceived == 0)
            #expect(daily.vipsReceivedByManager.isEmpty)
            #expect(
                try await harness.service.daily(branchID: "SH001", date: try day("2026-11-25")).vipsIdentifiedByLobby
                    == 1)
            #expect(
                try await harness.service.daily(branchID: "SH002", date: try day("2026-11-24")).vipsIdentifiedByLobby
                    == 1)
        }
    }

    @Test("C-10 an identification at 23:30 UTC counts on the next Shanghai business date")
    func identificationBusinessDate() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(
                identified(by: "TC001", role: .tellerCash, at: try ts("2026-11-23T23:30:00.000Z")))
            #expect(
                try await harness.service.daily(branchID: "SH001", date: try day("2026-11-23")).vipsIdentifiedByTellers
                    .cash == 0)
            #expect(
                try await harness.service.daily(branchID: "SH001", date: try day("2026-11-24")).vipsIdentifiedByTellers
                    .cash == 1)
        }
    }

    @Test("C-10 F-03 case-opened → complaintsReceived on the Shanghai business date of receivedAt")
    func complaintsReceived() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(caseOpened(branch: "SH001", receivedAt: try ts("2026-11-24T09:00:00.000+08:00")))
            // 17:30 UTC on the 24th is 01:30 on the 25th in Shanghai.
            try await harness.deliver(caseOpened(branch: "SH001", receivedAt: try ts("2026-11-24T17:30:00.000Z")))
            try await harness.deliver(caseOpened(branch: nil, receivedAt: try ts("2026-11-24T09:00:00.000+08:00")))
            #expect(
                try await harness.service.daily(branchID: "SH001", date: try day("2026-11-24")).complaintsReceived == 1)
            #expect(
                try await harness.service.daily(branchID: "SH001", date: try day("2026-11-25")).complaintsReceived == 1)
        }
    }

    @Test("C-10 referral-routed with a branch → vipsReceivedByManager, per manager; potential and branchless apart")
    func vipsReceived() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let at = try ts("2026-11-24T10:00:00.000+08:00")
            try await harness.deliver(routed(manager: "WM001", at: at))
            try await harness.deliver(routed(manager: "WM001", at: at.adding(milliseconds: 3_600_000)))
            try await harness.deliver(routed(manager: "WM002", classification: nil, at: at))
            try await harness.deliver(routed(manager: "WM003", classification: .potential, at: at))
            try await harness.deliver(routed(manager: "WM004", branch: nil, at: at))
            let daily = try await harness.service.daily(branchID: "SH001", date: try day("2026-11-24"))
            #expect(daily.vipsReceivedByManager == ["WM001": 2, "WM002": 1])
        }
    }

    /// Records of one partition, as the consumer would read them.
    static func records<Data: EventData>(_ events: [Data], from offset: Int64 = 0) -> [KafkaRecord] {
        events.enumerated().map { index, data in
            let envelope = Envelope(
                id: UUID().uuidString.lowercased(), source: "test", time: .now(utcOffsetSeconds: 8 * 3600), data: data)
            return KafkaRecord(
                topic: Data.topic, partition: 0, offset: offset + Int64(index), key: Array(data.partitionKey.utf8),
                value: envelope.encode())
        }
    }

    @Test("C-10 H-06 counts of shared transactions are added up and written once before the commit: the same figures as one by one, the day's version moved once per count, and two transactions touching the same branches in opposite orders both commit")
    func countsOfSharedTransactions() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let at = try ts("2026-11-24T10:00:00.000+08:00")
            let branches = (1...5).map { "SH00\($0)" }
            // Each of two partitions: every branch three times (lobby, cash teller, potential), in opposite orders.
            func identifications(_ order: [String]) -> [CustomerIdentified.V1] {
                order.flatMap { branch in
                    [
                        identified(by: "LM\(branch)", role: .lobbyManager, branch: branch, at: at),
                        identified(by: "TC\(branch)", role: .tellerCash, branch: branch, at: at),
                        identified(by: "TN\(branch)", role: .tellerNonCash, classification: .potential, branch: branch, at: at),
                    ]
                }
            }
            let first = harness.recordProcessor(transactionBatch: 100)
            let second = harness.recordProcessor(transactionBatch: 100)
            let firstRecords = Self.records(identifications(branches))
            async let one = first.process(inOrder: firstRecords)
            async let other = second.process(inOrder: Self.records(identifications(branches.reversed())))
            let (outcomes, otherOutcomes) = await (one, other)
            #expect(outcomes == Array(repeating: .processed, count: 15))
            #expect(otherOutcomes == Array(repeating: .processed, count: 15))

            let referrals = branches.flatMap { branch in
                [routed(manager: "WM1", branch: branch, at: at), routed(manager: "WM1", branch: branch, at: at),
                 routed(manager: "WM2", branch: branch, classification: .potential, at: at)]
            }
            let routedOutcomes = await first.process(inOrder: Self.records(referrals))
            #expect(routedOutcomes == Array(repeating: .processed, count: 15))

            for branch in branches {
                let daily = try await harness.service.daily(branchID: branch, date: try day("2026-11-24"))
                #expect(daily.vipsIdentifiedByLobby == 2)
                #expect(daily.vipsIdentifiedByTellers.cash == 2)
                #expect(daily.potentialVipsIdentified == 2)
                #expect(daily.vipsReceivedByManager == ["WM1": 2])
                // Six identifications and three referrals: the day changed nine times.
                let version = try await harness.client.query(
                    "SELECT version FROM branch_daily WHERE branch_id = \(branch) AND business_date = '2026-11-24'"
                ).collect().first?.decode(Int.self)
                #expect(version == 9)
            }
            let potentials = try await harness.client.query(
                "SELECT sum(potentials_received)::int FROM manager_daily WHERE manager_id = 'WM2'"
            ).collect().first?.decode(Int.self)
            #expect(potentials == 5)
            // Redelivered, nothing counts again.
            let again = await first.process(inOrder: firstRecords)
            #expect(again == Array(repeating: .duplicate, count: 15))
            let daily = try await harness.service.daily(branchID: "SH001", date: try day("2026-11-24"))
            #expect(daily.vipsIdentifiedByLobby == 2)
        }
    }

    @Test("G-01 E-03 tasks of a shared transaction are written once each before the commit: a completion read before its task-scheduled stands, a republished task-scheduled changes nothing, a task without a customer keeps none")
    func tasksOfSharedTransactions() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let due = try ts("2026-11-25T17:00:00.000+08:00")
            func scheduled(_ id: String, customer: String?) -> TaskScheduled.V1 {
                TaskScheduled.V1(
                    taskId: id, customerId: customer, managerId: "WM1", kind: .followUp, dueAt: due, ruleId: "E-03",
                    sourceEventId: "source-\(id)")
            }
            let completion = TaskCompleted.V1(
                taskId: "T1", customerId: "C1", managerId: "WM1", kind: .followUp,
                completedAt: try ts("2026-11-24T15:00:00.000+08:00"), onTime: true)
            let processor = harness.recordProcessor(transactionBatch: 100)
            let completed = await processor.process(inOrder: Self.records([completion]))
            #expect(completed == [.processed])
            let outcomes = await processor.process(
                inOrder: Self.records([scheduled("T1", customer: "C1"), scheduled("T2", customer: nil), scheduled("T1", customer: "C1")]))
            #expect(outcomes == [.processed, .processed, .processed])
            let rows = try await harness.client.query(
                "SELECT task_id, customer_id, manager_id, due_date::text, completed_at IS NOT NULL FROM tasks ORDER BY task_id"
            ).collect().map { try $0.decode((String, String?, String?, String, Bool).self) }
            #expect(rows.count == 2)
            #expect(rows.first.map { $0 == ("T1", "C1", "WM1", "2026-11-25", true) } == true)
            #expect(rows.last.map { $0 == ("T2", nil, "WM1", "2026-11-25", false) } == true)
        }
    }

    @Test("C-10 redelivered events are not counted twice")
    func redelivery() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let at = try ts("2026-11-24T10:00:00.000+08:00")
            let identification = identified(by: "LM001", role: .lobbyManager, at: at)
            let referral = routed(manager: "WM001", at: at)
            let complaint = caseOpened(branch: "SH001", receivedAt: at)
            for _ in 0..<3 {
                try await harness.deliver(identification, id: "identified-1")
                try await harness.deliver(referral, id: "routed-1")
                try await harness.deliver(complaint, id: "opened-1")
            }
            let daily = try await harness.service.daily(branchID: "SH001", date: try day("2026-11-24"))
            #expect(daily.vipsIdentifiedByLobby == 1)
            #expect(daily.vipsReceivedByManager == ["WM001": 1])
            #expect(daily.complaintsReceived == 1)
        }
    }

    @Test("C-10 a date with nothing → all zeros")
    func emptyDay() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(
                identified(by: "LM001", role: .lobbyManager, at: try ts("2026-11-24T10:00:00.000+08:00")))
            let daily = try await harness.service.daily(branchID: "SH001", date: try day("2026-11-22"))
            #expect(daily.branchId == "SH001")
            #expect(daily.date == (try day("2026-11-22")))
            #expect(daily.vipsIdentifiedByLobby == 0)
            #expect(daily.vipsIdentifiedByTellers.cash == 0)
            #expect(daily.vipsIdentifiedByTellers.nonCash == 0)
            #expect(daily.vipsIdentifiedByTellers.businessOfficer == 0)
            #expect(daily.vipsIdentifiedOther == 0)
            #expect(daily.potentialVipsIdentified == 0)
            #expect(daily.complaintsReceived == 0)
            #expect(daily.vipsReceivedByManager.isEmpty)
        }
    }
}
