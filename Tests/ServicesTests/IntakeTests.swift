import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Intake

@Suite("Intake service", .serialized, .timeLimit(.minutes(2)))
struct IntakeTests {
    static let environment = ["INTAKE_VIP_MIN_AUM": "300000"]

    func profile(_ customerID: String, aum: Amount, asOf: String = "2026-11-20", override: String? = nil) throws
        -> CustomerProfile.V1
    {
        CustomerProfile.V1(
            customerId: customerID, homeBranchId: "SH001", aumDailyAvg: aum, asOf: try day(asOf),
            segmentOverride: override)
    }

    func arrival(
        _ visitID: String, customer: String?, purpose: VisitPurpose = .wealthConsultation, branch: String = "SH001",
        by staffID: String = "LM001", role: StaffRole = .lobbyManager
    ) -> VisitArrived.V1 {
        VisitArrived.V1(
            visitId: visitID, branchId: branch, arrivedAt: nowInShanghai(), customerId: customer, purpose: purpose,
            recordedBy: staffID, recordedByRole: role)
    }

    // MARK: - Arrivals

    @Test("B-01 B-03 C-02 C-05 C-07 a VIP arrival emits exactly visit-routed, customer-identified, referral-requested")
    func vipArrival() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            let profileEvents = try await harness.deliver(try profile("C001", aum: Amount(units: 1_500_000)))
            #expect(profileEvents.isEmpty)

            let out = try await harness.deliver(arrival("V001", customer: "C001"), id: "arrival-1")
            #expect(
                out.types == [
                    VisitRouted.V1.eventType, CustomerIdentified.V1.eventType, ReferralRequested.V1.eventType,
                ])
            for event in out {
                #expect(event.causationID == "arrival-1")
                #expect(event.correlationID == "arrival-1")
                #expect(event.source == "concierge/intake")
                #expect(event.subject == "customer/C001")
            }
            let routed = try #require(out.payloads(VisitRouted.V1.self).first)
            #expect(routed.visitId == "V001")
            #expect(routed.branchId == "SH001")
            #expect(routed.zone == .vipRoom)
            #expect(routed.priority)

            let identified = try #require(out.payloads(CustomerIdentified.V1.self).first)
            #expect(identified.visitId == "V001")
            #expect(identified.customerId == "C001")
            #expect(identified.classification == .vip)
            #expect(identified.tier == .b)
            #expect(identified.basis == .aum)
            #expect(identified.identifiedBy == "LM001")
            #expect(identified.identifiedByRole == .lobbyManager)
            #expect(identified.aumDailyAvg == Amount(units: 1_500_000))

            let referral = try #require(out.payloads(ReferralRequested.V1.self).first)
            #expect(referral.visitId == "V001")
            #expect(referral.branchId == "SH001")
            #expect(referral.customerId == "C001")
            #expect(referral.classification == .vip)
            #expect(referral.tier == .b)
            #expect(UUID(uuidString: referral.referralId) != nil)

            let visit = try #require(try await harness.service.visit("V001"))
            #expect(visit.status == "referral_requested")
            #expect(visit.routing.zone == "vip_room")
            #expect(visit.identification.classification == "vip")
            #expect(visit.identification.tier == "B")
            #expect(visit.referral?.referralId == referral.referralId)
            #expect(visit.referral?.status == "waiting_for_manager")
        }
    }

    @Test("C-02 emitted events carry the arrival's correlation id over and name the arrival as their cause")
    func correlationCarriedOver() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C001", aum: Amount(units: 300_000)))
            let envelope = Envelope(
                id: "arrival-7", source: "branch/SH001/lobby-tablet-2", correlationID: "visit/V007",
                data: arrival("V007", customer: "C001"))
            let out = try await harness.deliver(bytes: envelope.encode(), topic: VisitArrived.V1.topic)
            #expect(out.count == 3)
            #expect(out.allSatisfy { $0.correlationID == "visit/V007" && $0.causationID == "arrival-7" })
            // 300,000.00 exactly is a VIP, tier A (B-01, B-03).
            #expect(out.payloads(CustomerIdentified.V1.self).first?.tier == .a)
        }
    }

    @Test("B-01 C-01 a standard customer (299,999.99) gets only visit-routed, by need, without priority")
    func standardCustomer() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C002", aum: Amount(minorUnits: 29_999_999)))
            let out = try await harness.deliver(arrival("V002", customer: "C002"))
            #expect(out.types == [VisitRouted.V1.eventType])
            let routed = try #require(out.payloads(VisitRouted.V1.self).first)
            #expect(routed.zone == .wealth)
            #expect(!routed.priority)
            let visit = try #require(try await harness.service.visit("V002"))
            #expect(visit.status == "routed")
            #expect(visit.identification.classification == "standard")
            #expect(visit.referral == nil)
        }
    }

    @Test("C-01 C-07 B-02 cash_large below 50,000 goes to the cash zone; from 50,000 the VIP window and a potential VIP")
    func largeCash() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C003", aum: Amount(units: 1_000)))
            var small = arrival("V003", customer: "C003", purpose: .cashLarge)
            small.amount = Amount(minorUnits: 4_999_999)
            let out = try await harness.deliver(small)
            #expect(out.types == [VisitRouted.V1.eventType])
            #expect(out.payloads(VisitRouted.V1.self).first?.zone == .cash)
            #expect(out.payloads(VisitRouted.V1.self).first?.priority == false)

            var large = arrival("V003b", customer: "C003", purpose: .cashLarge, by: "TC001", role: .tellerCash)
            large.amount = Amount(units: 50_000)
            let big = try await harness.deliver(large)
            #expect(
                big.types == [VisitRouted.V1.eventType, CustomerIdentified.V1.eventType, ReferralRequested.V1.eventType])
            #expect(big.payloads(VisitRouted.V1.self).first?.zone == .vipWindow)
            #expect(big.payloads(VisitRouted.V1.self).first?.priority == true)
            let identified = try #require(big.payloads(CustomerIdentified.V1.self).first)
            #expect(identified.classification == .potential)
            #expect(identified.tier == nil)
            #expect(identified.basis == .signals)
            #expect(identified.identifiedByRole == .tellerCash)
            #expect(try await harness.service.visit("V003b")?.largeCash == true)
        }
    }

    @Test("C-07 a VIP with cash business goes to the VIP window; a segment override makes a VIP (B-03)")
    func vipCashAndOverride() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C004", aum: Amount(units: 5_000), override: "C"))
            let out = try await harness.deliver(arrival("V004", customer: "C004", purpose: .cashSmall))
            #expect(out.payloads(VisitRouted.V1.self).first?.zone == .vipWindow)
            #expect(out.payloads(VisitRouted.V1.self).first?.priority == true)
            #expect(out.payloads(CustomerIdentified.V1.self).first?.tier == .c)
            #expect(out.payloads(ReferralRequested.V1.self).first?.tier == .c)
        }
    }

    @Test("C-01 an unknown walk-in (no customerId, no signals) and a customer without a profile get only visit-routed")
    func unknownCustomer() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            let out = try await harness.deliver(arrival("V005", customer: nil, purpose: .cashSmall))
            #expect(out.types == [VisitRouted.V1.eventType])
            #expect(out.first?.subject == "visit/V005")
            #expect(out.payloads(VisitRouted.V1.self).first?.zone == .selfService)
            let noProfile = try await harness.deliver(arrival("V006", customer: "C-NOBODY", purpose: .nonCash))
            #expect(noProfile.types == [VisitRouted.V1.eventType])
            #expect(noProfile.payloads(VisitRouted.V1.self).first?.zone == .nonCash)
        }
    }

    // MARK: - Idempotency and ordering

    @Test("B-01 the same event id delivered twice emits nothing the second time (inbox)")
    func redeliveredEvent() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C001", aum: Amount(units: 400_000)))
            let event = arrival("V010", customer: "C001")
            let first = try await harness.deliver(event, id: "arrival-10")
            #expect(first.count == 3)
            let second = try await harness.deliver(event, id: "arrival-10")
            #expect(second.isEmpty)
            #expect(try await harness.allEmitted().count == 3)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM visits") == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM inbox WHERE event_id = 'arrival-10'") == 1)
        }
    }

    @Test("C-05 the same visitId under a new event id is ignored: no second referral, the first arrival stands")
    func sameVisitNewEventID() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C001", aum: Amount(units: 400_000)))
            let first = try await harness.deliver(arrival("V011", customer: "C001"), id: "arrival-11a")
            let referralID = first.payloads(ReferralRequested.V1.self).first?.referralId
            let again = try await harness.deliver(
                arrival("V011", customer: "C001", purpose: .cashLarge, by: "TC001", role: .tellerCash),
                id: "arrival-11b")
            #expect(again.isEmpty)
            let visit = try #require(try await harness.service.visit("V011"))
            #expect(visit.purpose == "wealth_consultation")
            #expect(visit.referral?.referralId == referralID)
            #expect(try await harness.allEmitted().payloads(ReferralRequested.V1.self).count == 1)
        }
    }

    @Test("B-01 B-03 an older profile (earlier asOf) arriving after a newer one does not overwrite it")
    func olderProfileIgnored() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C001", aum: Amount(units: 2_000_000), asOf: "2026-11-20"))
            try await harness.deliver(try profile("C001", aum: Amount(units: 100_000), asOf: "2026-11-10"))
            let stored = try #require(try await harness.service.profile("C001"))
            #expect(stored.asOf == "2026-11-20")
            #expect(stored.aumDailyAvg == Amount(units: 2_000_000))
            #expect(stored.tier == .b)
            let out = try await harness.deliver(arrival("V012", customer: "C001"))
            #expect(out.payloads(CustomerIdentified.V1.self).first?.tier == .b)

            // A newer snapshot does replace it: the customer drops below the VIP threshold.
            try await harness.deliver(try profile("C001", aum: Amount(units: 100_000), asOf: "2026-11-21"))
            #expect(try await harness.service.profile("C001")?.isVIP == false)
            let later = try await harness.deliver(arrival("V013", customer: "C001"))
            #expect(later.types == [VisitRouted.V1.eventType])
        }
    }

    // MARK: - Visit lifecycle and the queue

    @Test("C-03 referral-routed marks the visit routed; the queue shows it with the manager and waiting minutes")
    func referralRoutedAndQueue() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C001", aum: Amount(units: 3_000_000)))
            let out = try await harness.deliver(arrival("V020", customer: "C001"))
            let referral = try #require(out.payloads(ReferralRequested.V1.self).first)

            let waiting = try await harness.service.queue(branchID: "SH001")
            #expect(waiting.waiting.map(\.visitId) == ["V020"])
            #expect(waiting.waiting.first?.status == "waiting_for_manager")
            #expect(waiting.waiting.first?.managerId == nil)
            #expect(waiting.waiting.first?.tier == "C")

            let routedEvents = try await harness.deliver(
                ReferralRouted.V1(
                    referralId: referral.referralId, visitId: "V020", customerId: "C001", managerId: "WM001",
                    at: nowInShanghai(), branchId: "SH001", tier: .c, classification: .vip))
            #expect(routedEvents.isEmpty)

            let visit = try #require(try await harness.service.visit("V020"))
            #expect(visit.status == "referral_routed")
            #expect(visit.referral?.status == "routed")
            #expect(visit.referral?.managerId == "WM001")
            #expect(visit.referral?.routedAt != nil)

            // Backdate the request so that the waiting time is measurable.
            try await harness.client.query(
                "UPDATE visits SET referral_requested_at = now() - interval '25 minutes' WHERE visit_id = 'V020'")
            let queue = try await harness.service.queue(branchID: "SH001")
            let entry = try #require(queue.waiting.first)
            #expect(queue.waiting.count == 1)
            #expect(entry.status == "routed")
            #expect(entry.managerId == "WM001")
            #expect(entry.referralId == referral.referralId)
            #expect(entry.waitingMinutes >= 0)
            #expect((25...26).contains(entry.waitingMinutes))
            #expect(try await harness.service.queue(branchID: "SH999").waiting.isEmpty)
        }
    }

    @Test("C-03 D-06 a covering colleague is shown on the visit; visit-served and visit-left update the status")
    func servedAndLeft() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(try profile("C001", aum: Amount(units: 800_000)))
            let out = try await harness.deliver(arrival("V030", customer: "C001"))
            let referral = try #require(out.payloads(ReferralRequested.V1.self).first)
            try await harness.deliver(
                ReferralRouted.V1(
                    referralId: referral.referralId, visitId: "V030", customerId: "C001", managerId: "WM002",
                    coveringFor: "WM001", at: nowInShanghai(), branchId: "SH001"))
            #expect(try await harness.service.visit("V030")?.referral?.coveringFor == "WM001")

            let servedAt = nowInShanghai()
            try await harness.deliver(VisitServed.V1(visitId: "V030", staffId: "WM002", at: servedAt))
            let served = try #require(try await harness.service.visit("V030"))
            #expect(served.status == "served")
            #expect(served.servedBy == "WM002")
            #expect(try #require(served.servedAt).isSameInstant(as: servedAt))
            #expect(try await harness.service.queue(branchID: "SH001").waiting.isEmpty)

            let leftAt = servedAt.adding(milliseconds: 600_000)
            try await harness.deliver(VisitLeft.V1(visitId: "V030", at: leftAt, outcome: .served))
            let left = try #require(try await harness.service.visit("V030"))
            #expect(left.status == "left")
            #expect(left.outcome == "served")
            #expect(try #require(left.leftAt).isSameInstant(as: leftAt))

            // A late visit-served never reopens a visit that has left.
            try await harness.deliver(VisitServed.V1(visitId: "V030", staffId: "WM003", at: leftAt))
            #expect(try await harness.service.visit("V030")?.status == "left")
        }
    }

    @Test("C-01 a visit left unserved before routing is recorded with its outcome")
    func leftUnserved() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(arrival("V040", customer: nil, purpose: .passbookUpdate))
            try await harness.deliver(VisitLeft.V1(visitId: "V040", at: nowInShanghai(), outcome: .leftUnserved))
            let visit = try #require(try await harness.service.visit("V040"))
            #expect(visit.status == "left")
            #expect(visit.outcome == "left_unserved")
            #expect(try await harness.service.visit("V-UNKNOWN") == nil)
        }
    }

    @Test("C-03 a timestamp read back from the database keeps its millisecond")
    func databaseTimestampsKeepTheirMillisecond() async throws {
        try await ServiceHarness<IntakeService>.run(environment: Self.environment) { harness in
            try await harness.deliver(arrival("V050", customer: nil))
            // 2026-11-23T13:04:09.692Z comes back from PostgreSQL as …691999 µs: it must still read .692.
            let servedAt = Timestamp(millisecondsSinceEpoch: 1_795_439_049_692, utcOffsetSeconds: 8 * 3600)
            try await harness.deliver(VisitServed.V1(visitId: "V050", staffId: "WM001", at: servedAt))
            let served = try #require(try await harness.service.visit("V050")?.servedAt)
            #expect(served.rfc3339 == "2026-11-23T21:04:09.692+08:00")
        }
    }
}
