import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Assignment
@testable import Intake

/// Identification paths, the register, privacy and the queue alerts, against a real PostgreSQL schema.
@Suite("Intake identification, register and queue", .serialized, .timeLimit(.minutes(2)))
struct IntakeIdentificationTests {
    /// A fixed morning in the past, so that the queue checks below never straddle a business-day boundary.
    static let morning = "2026-11-20T10:00:00.000+08:00"

    func at(_ minutes: Int) throws -> Timestamp {
        try ts(Self.morning).adding(milliseconds: Int64(minutes) * 60_000)
    }

    func arrival(
        _ visitID: String, customer: String? = nil, purpose: VisitPurpose = .wealthConsultation,
        branch: String = "SH001", by staffID: String = "LM001", role: StaffRole = .lobbyManager,
        card: String? = nil, signals: [LeadSignal]? = nil, phone: String? = nil, at: Timestamp? = nil
    ) -> VisitArrived.V1 {
        VisitArrived.V1(
            visitId: visitID, branchId: branch, arrivedAt: at ?? nowInShanghai(), customerId: customer,
            cardTier: card, purpose: purpose, recordedBy: staffID, recordedByRole: role, signals: signals,
            contactPhone: phone)
    }

    func signal(
        _ visitID: String, _ signal: LeadSignal, by staffID: String = "TN001", role: StaffRole = .tellerNonCash,
        customer: String? = nil, card: String? = nil, branch: String = "SH001"
    ) -> VisitSignal.V1 {
        VisitSignal.V1(
            visitId: visitID, branchId: branch, staffId: staffID, role: role, signal: signal, at: nowInShanghai(),
            customerId: customer, cardTier: card)
    }

    func profile(_ customerID: String, aum: Int64, cardHolder: Bool? = nil, override: String? = nil) throws
        -> CustomerProfile.V1
    {
        CustomerProfile.V1(
            customerId: customerID, homeBranchId: "SH001", aumDailyAvg: Amount(units: aum), asOf: try day("2026-11-19"),
            cardHolder: cardHolder, segmentOverride: override)
    }

    // MARK: - Identification paths

    @Test("B-04 B-05 C-07 a card-reader tier identifies a VIP with no profile: platinum is B, basis card, VIP room")
    func vipByCard() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            let out = try await harness.deliver(arrival("V100", card: "Platinum"))
            #expect(
                out.types == [VisitRouted.V1.eventType, CustomerIdentified.V1.eventType, ReferralRequested.V1.eventType])
            #expect(out.payloads(VisitRouted.V1.self).first?.zone == .vipRoom)
            let identified = try #require(out.payloads(CustomerIdentified.V1.self).first)
            #expect(identified.classification == .vip)
            #expect(identified.tier == .b)
            #expect(identified.basis == .card)
            #expect(identified.customerId == nil)
            #expect(out.payloads(ReferralRequested.V1.self).first?.tier == .b)
            // An unknown customer is keyed by the visit (contract §1.3).
            #expect(out.allSatisfy { $0.subject == "visit/V100" && $0.payload.data.partitionKey == "V100" })
        }
    }

    @Test("B-01 B-02 an unknown walk-in with signals is a potential VIP keyed by visitId, with its reasons")
    func unknownPotential() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            let out = try await harness.deliver(
                arrival("V101", purpose: .nonCash, by: "LA001", role: .lobbyAssistant,
                    signals: [.otherBankVIPCard, .occupation(.lawyer)]))
            #expect(
                out.types == [VisitRouted.V1.eventType, CustomerIdentified.V1.eventType, ReferralRequested.V1.eventType])
            let routed = try #require(out.payloads(VisitRouted.V1.self).first)
            #expect(routed.zone == .nonCash)
            #expect(!routed.priority)
            let identified = try #require(out.payloads(CustomerIdentified.V1.self).first)
            #expect(identified.classification == .potential)
            #expect(identified.tier == nil)
            #expect(identified.basis == .signals)
            #expect(identified.reasons == ["holds another bank's VIP card (B-01)", "occupation lawyer (B-01)"])
            #expect(identified.identifiedBy == "LA001")
            #expect(identified.identifiedByRole == .lobbyAssistant)
            let referral = try #require(out.payloads(ReferralRequested.V1.self).first)
            #expect(referral.classification == .potential)
            #expect(referral.customerId == nil)
            #expect(referral.partitionKey == "V101")
            let register = try await harness.service.register(branchID: "SH001", date: harness.calendar.businessDate(of: nowInShanghai()))
            #expect(register.identifications.map(\.customerKey) == ["visit/V101"])
        }
    }

    @Test("A-05 B-02 C-02 a teller's later signal upgrades a standard visit: identified by the teller, referral once")
    func tellerSignalUpgrades() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            try await harness.deliver(try profile("C200", aum: 120_000))
            let first = try await harness.deliver(arrival("V200", customer: "C200", purpose: .nonCash))
            #expect(first.types == [VisitRouted.V1.eventType])

            let upgrade = try await harness.deliver(signal("V200", .wealthNeed), id: "signal-1")
            #expect(upgrade.types == [CustomerIdentified.V1.eventType, ReferralRequested.V1.eventType])
            let identified = try #require(upgrade.payloads(CustomerIdentified.V1.self).first)
            #expect(identified.classification == .potential)
            #expect(identified.identifiedBy == "TN001")
            #expect(identified.identifiedByRole == .tellerNonCash)
            #expect(identified.reasons == ["states a need for wealth services (B-01, A-05)"])
            #expect(upgrade.allSatisfy { $0.causationID == "signal-1" && $0.subject == "customer/C200" })

            // A second signal at the same level, and the same signal again, change nothing.
            #expect(try await harness.deliver(signal("V200", .privateCar, by: "BO001", role: .businessOfficer)).isEmpty)
            #expect(try await harness.deliver(signal("V200", .wealthNeed), id: "signal-1").isEmpty)

            let visit = try #require(try await harness.service.visit("V200"))
            #expect(visit.identification.classification == "potential")
            #expect(visit.identification.identifiedBy == "TN001")
            #expect(visit.identification.identifiedByRole == "teller_noncash")
            #expect(visit.signals.map(\.signal) == ["wealth_need", "private_car"])
            #expect(visit.status == "referral_requested")
            #expect(try await harness.allEmitted().payloads(ReferralRequested.V1.self).count == 1)
        }
    }

    @Test("B-04 A-05 standard → potential → VIP, never down: a card read at the counter makes the potential a VIP")
    func upgradeToVIP() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            try await harness.deliver(try profile("C300", aum: 50_000, override: "standard"))
            let potential = try await harness.deliver(arrival("V300", signals: [.privateCar]))
            let referral = try #require(potential.payloads(ReferralRequested.V1.self).first)

            // The teller reads a diamond card and learns who the customer is.
            let vip = try await harness.deliver(
                signal("V300", .wealthNeed, by: "TC001", role: .tellerCash, card: "diamond"))
            #expect(vip.types == [VisitRouted.V1.eventType, CustomerIdentified.V1.eventType])
            #expect(vip.payloads(VisitRouted.V1.self).first?.zone == .vipRoom)
            #expect(vip.payloads(VisitRouted.V1.self).first?.priority == true)
            let identified = try #require(vip.payloads(CustomerIdentified.V1.self).first)
            #expect(identified.classification == .vip)
            #expect(identified.tier == .c)
            #expect(identified.basis == .card)
            #expect(identified.identifiedByRole == .tellerCash)

            // Learning the customer now (whose profile says standard) never takes the visit back down.
            let learnt = try await harness.deliver(signal("V300", .highEndVenues, customer: "C300"))
            #expect(learnt.isEmpty)
            let visit = try #require(try await harness.service.visit("V300"))
            #expect(visit.identification.classification == "vip")
            #expect(visit.customerId == "C300")
            #expect(visit.referral?.referralId == referral.referralId)
            let register = try await harness.service.register(
                branchID: "SH001", date: harness.calendar.businessDate(of: nowInShanghai()))
            #expect(register.identifications.map(\.classification) == ["potential", "vip"])
            #expect(register.totals.vip == 1)
            #expect(register.totals.potential == 1)
        }
    }

    @Test("A-05 a signal that reaches intake before its arrival is kept and counted when the arrival comes")
    func signalBeforeArrival() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            #expect(try await harness.deliver(signal("V400", .occupation(.doctor))).isEmpty)
            let out = try await harness.deliver(arrival("V400", purpose: .nonCash))
            #expect(
                out.types == [VisitRouted.V1.eventType, CustomerIdentified.V1.eventType, ReferralRequested.V1.eventType])
            #expect(out.payloads(CustomerIdentified.V1.self).first?.identifiedBy == "TN001")
        }
    }

    @Test("B-01 assets from 300,000 without a card yet make a potential VIP; two visits on one day are two visits")
    func assetsWithoutCardAndTwoVisits() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            try await harness.deliver(try profile("C500", aum: 700_000, cardHolder: false))
            let first = try await harness.deliver(arrival("V500", customer: "C500"))
            let second = try await harness.deliver(arrival("V501", customer: "C500"))
            for out in [first, second] {
                #expect(out.payloads(CustomerIdentified.V1.self).first?.classification == .potential)
                #expect(out.payloads(CustomerIdentified.V1.self).first?.basis == .aum)
                #expect(out.payloads(ReferralRequested.V1.self).count == 1)
            }
            #expect(
                first.payloads(ReferralRequested.V1.self).first?.referralId
                    != second.payloads(ReferralRequested.V1.self).first?.referralId)
        }
    }

    // MARK: - Outlets without wealth service

    @Test("C-08 an outlet without wealth service refers to its designated centre, whose managers take the referral")
    func designatedCentre() async throws {
        let environment = ["INTAKE_NO_WEALTH_SERVICE_BRANCHES": "SH009=SH001"]
        let referral = try await ServiceHarness<IntakeService>.run(environment: environment) { harness in
            try await harness.deliver(try profile("C600", aum: 1_500_000))
            let out = try await harness.deliver(arrival("V600", customer: "C600", branch: "SH009"))
            let referral = try #require(out.payloads(ReferralRequested.V1.self).first)
            #expect(referral.branchId == "SH009")
            #expect(referral.designatedCentreId == "SH001")
            // A standard customer's wealth consultation goes to the non-cash zone there.
            let standard = try await harness.deliver(arrival("V601", branch: "SH009"))
            #expect(standard.payloads(VisitRouted.V1.self).first?.zone == .nonCash)
            // A lead for the centre, not a customer waiting in the outlet's queue.
            #expect(try await harness.service.queue(branchID: "SH009").waiting.isEmpty)
            #expect(try await harness.service.visit("V600")?.referral?.designatedCentreId == "SH001")
            return referral
        }
        try await ServiceHarness<AssignmentService>.run { harness in
            try await harness.deliver(
                StaffUpdated.V1(
                    staffId: "WM-SH001", branchId: "SH001", role: .wealthManager, status: .active,
                    effectiveAt: try ts("2026-11-01T09:00:00.000+08:00")))
            let out = try await harness.deliver(referral)
            #expect(out.payloads(ManagerAssigned.V1.self).first?.managerId == "WM-SH001")
            #expect(out.payloads(ManagerAssigned.V1.self).first?.branchId == "SH001")
            #expect(out.payloads(ReferralRouted.V1.self).first?.managerId == "WM-SH001")
            #expect(out.payloads(CapacityAlert.V1.self).isEmpty)
        }
    }

    // MARK: - Register and privacy

    @Test("C-05 H-02 C-10 the register lists the day's identifications with who, why, tier and role totals")
    func register() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            try await harness.deliver(try profile("C700", aum: 3_200_000))
            try await harness.deliver(arrival("V700", customer: "C700", phone: "13812345678"))
            try await harness.deliver(arrival("V701", by: "LA001", role: .lobbyAssistant, signals: [.privateCar]))
            try await harness.deliver(arrival("V702", purpose: .nonCash))
            try await harness.deliver(signal("V702", .wealthNeed, by: "TC009", role: .tellerCash))
            try await harness.deliver(arrival("V703", branch: "SH002", card: "gold"))

            let today = harness.calendar.businessDate(of: nowInShanghai())
            let register = try await harness.service.register(branchID: "SH001", date: today)
            #expect(register.count == 3)
            #expect(register.identifications.map(\.visitId) == ["V700", "V701", "V702"])
            #expect(register.totals.vip == 1)
            #expect(register.totals.potential == 2)
            #expect(register.totals.byRole == ["lobby_manager": 1, "lobby_assistant": 1, "teller_cash": 1])
            let vip = try #require(register.identifications.first)
            #expect(vip.tier == "C")
            #expect(vip.basis == "aum")
            #expect(vip.identifiedBy == "LM001")
            #expect(vip.customerKey == "C700")
            #expect(vip.referralId != nil)
            #expect(vip.contactPhone == "138****5678")
            #expect(register.identifications[2].identifiedBy == "TC009")
            #expect(try await harness.service.register(branchID: "SH001", date: try day("2026-01-05")).count == 0)
            #expect(try await harness.service.register(branchID: "SH002", date: today).count == 1)
        }
    }

    @Test("H-01 H-03 the contact phone is stored only as AES-GCM ciphertext with its key id and never in an event")
    func phoneEncrypted() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            try await harness.deliver(try profile("C800", aum: 900_000))
            let out = try await harness.deliver(arrival("V800", customer: "C800", phone: "13912345678"))
            #expect(out.count == 3)
            let rows = try await harness.client.query(
                "SELECT contact_phone_key_id, contact_phone_ciphertext FROM visits WHERE visit_id = 'V800'"
            ).collect()
            let (keyID, sealed) = try #require(rows.first).decode((String, ByteBuffer).self)
            #expect(keyID == "test-1")
            #expect(!String(decoding: Array(buffer: sealed), as: UTF8.self).contains("13912345678"))
            #expect(
                try await scalar(
                    harness.client,
                    "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%13912345678%'") == 0)
            let visit = try #require(try await harness.service.visit("V800"))
            #expect(visit.hasContactPhone)
            // Moved to another visit's row, the ciphertext no longer opens: the register shows no number.
            try await harness.deliver(arrival("V801", customer: "C800"))
            try await harness.client.query(
                """
                UPDATE visits SET contact_phone_key_id = 'test-1',
                    contact_phone_ciphertext = (SELECT contact_phone_ciphertext FROM visits WHERE visit_id = 'V800')
                WHERE visit_id = 'V801'
                """)
            let register = try await harness.service.register(
                branchID: "SH001", date: harness.calendar.businessDate(of: nowInShanghai()))
            #expect(register.identifications.map(\.contactPhone) == ["139****5678", nil])
        }
    }

    @Test(
        "H-07 D-10 a visit event carrying a password, PIN, certificate or CVV field is refused with that reason",
        arguments: ["password", "pin", "cvv", "eBankingCertificate"])
    func credentialsRefused(field: String) async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            let envelope = Envelope(id: "cred-\(field)", source: "test", data: arrival("V900"))
            let json = String(decoding: envelope.encode(), as: UTF8.self)
                .replacingOccurrences(of: "\"branchId\"", with: "\"\(field)\":\"secret-123\",\"branchId\"")
            do {
                try await harness.deliver(bytes: Array(json.utf8), topic: Topics.branchVisits)
                Issue.record("an event with \(field) was accepted")
            } catch let error as EventDecodingError {
                #expect(error.containsCredentials)
                #expect(error.reason.contains(field))
                #expect(!error.reason.contains("secret-123"))
            }
            #expect(try await scalar(harness.client, "SELECT count(*) FROM visits") == 0)
        }
    }

    // MARK: - Queue alerts

    @Test("C-03 a referred customer waiting past 10 minutes raises one long_wait alert; served and fresh ones do not")
    func longWait() async throws {
        try await ServiceHarness<IntakeService>.run { harness in
            try await harness.deliver(try profile("C1000", aum: 1_200_000))
            try await harness.deliver(arrival("V1000", customer: "C1000", at: try at(0)))
            try await harness.deliver(arrival("V1001", signals: [.wealthNeed], at: try at(1)))
            try await harness.deliver(arrival("V1002", customer: "C1000", at: try at(5)))
            try await harness.deliver(arrival("V1003", customer: "C1000", at: try at(0)))
            try await harness.deliver(VisitServed.V1(visitId: "V1003", staffId: "WM001", at: try at(4)))

            #expect(try await harness.service.checkQueues(at: try at(10)).isEmpty)
            let alerts = try await harness.service.checkQueues(at: try at(12))
            #expect(alerts.map(\.visitId) == ["V1000", "V1001"])
            #expect(alerts.allSatisfy { $0.kind == "long_wait" && $0.branchId == "SH001" })
            #expect(alerts.first?.waitingMinutes == 12)
            #expect(alerts.first?.classification == .vip)
            #expect(alerts.first?.tier == .b)
            #expect(alerts.last?.classification == .potential)
            #expect(alerts.last?.waitingMinutes == 11)
            // Once per referral; the alert went out through the outbox.
            #expect(try await harness.service.checkQueues(at: try at(13)).isEmpty)
            let emitted = try await harness.allEmitted().payloads(QueueAlert.V1.self)
            #expect(emitted.map(\.visitId) == ["V1000", "V1001"])
        }
    }

    @Test("C-03 the queue limit is configuration: 5 minutes alerts earlier")
    func configurableWaitLimit() async throws {
        try await ServiceHarness<IntakeService>.run(environment: ["INTAKE_QUEUE_WAIT_LIMIT_MINUTES": "5"]) { harness in
            try await harness.deliver(arrival("V1100", card: "gold", at: try at(0)))
            #expect(try await harness.service.checkQueues(at: try at(6)).map(\.kind) == ["long_wait"])
        }
    }

    @Test("C-04 customers waiting and no visit served for 15 minutes raise one stalled_queue alert per episode")
    func stalledQueue() async throws {
        try await ServiceHarness<IntakeService>.run(environment: ["INTAKE_QUEUE_WAIT_LIMIT_MINUTES": "60"]) { harness in
            try await harness.deliver(arrival("V1200", branch: "SH002", card: "gold", at: try at(0)))
            try await harness.deliver(arrival("V1201", branch: "SH002", signals: [.privateCar], at: try at(2)))
            #expect(try await harness.service.checkQueues(at: try at(14)).isEmpty)
            let stalled = try await harness.service.checkQueues(at: try at(16))
            #expect(stalled.map(\.kind) == ["stalled_queue"])
            #expect(stalled.first?.branchId == "SH002")
            #expect(stalled.first?.waitingCount == 2)
            #expect(stalled.first?.minutesSinceLastServed == 16)
            #expect(try await harness.service.checkQueues(at: try at(20)).isEmpty)

            // A manager serves one customer at 10:21; the other still waits. A new episode starts from that serve.
            try await harness.deliver(VisitServed.V1(visitId: "V1200", staffId: "WM001", at: try at(21)))
            #expect(try await harness.service.checkQueues(at: try at(35)).isEmpty)
            let again = try await harness.service.checkQueues(at: try at(37))
            #expect(again.map(\.kind) == ["stalled_queue"])
            #expect(again.first?.waitingCount == 1)
            #expect(again.first?.minutesSinceLastServed == 16)
            // Another branch with nobody waiting never stalls.
            #expect(!again.contains { $0.branchId == "SH001" })
        }
    }
}
