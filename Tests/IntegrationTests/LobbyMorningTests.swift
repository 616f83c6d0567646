import Events
import Foundation
import Messaging
import TestSupport
import Testing

/// Intake as a separate process over the development broker and the real PostgreSQL, fed a whole morning at one
/// branch: 200 mixed walk-ins, counter signals and a duplicate arrival or two. Exactly the expected routings,
/// identifications and referrals come out on `intake.events`, and the identified-customer register lists them.
@Suite("Lobby morning over Kafka", .serialized, .timeLimit(.minutes(5)))
struct LobbyMorningTests {
    @Test(
        "B-01 B-02 B-03 B-04 C-01 C-05 C-10 a morning of 200 mixed walk-ins gives exactly the expected routed, identified and referral counts; the register lists them"
    )
    func lobbyMorning() async throws {
        let stack = try await ConciergeStack.start(services: ["intake"])
        do {
            try await Self.runMorning(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    // MARK: - The scenario

    /// One walk-in of the morning and what intake must make of it.
    struct WalkIn {
        enum Kind: CaseIterable {
            /// A customer whose profile puts them at or above the VIP threshold: VIP by assets, tier by B-03.
            case vipByAssets
            /// A VIP card read at the door, no profile: VIP by card (B-04, B-05).
            case vipByCard
            /// A profile below the VIP threshold, no signal: standard.
            case standardWithProfile
            /// A known customer without a profile, with lead signals on arrival: potential.
            case potentialBySignals
            /// An unknown walk-in with lead signals on arrival: potential, registered under `visit/<visitId>`.
            case potentialUnknown
            /// Cash business of at least 50,000: potential (B-02, C-07).
            case largeCash
            /// Cash business below 50,000: standard.
            case cashBelowLarge
            /// Nothing to go on: standard.
            case standard
            /// Standard on arrival; a teller or the business officer raises a signal later: potential, credited to
            /// them (A-05, C-10).
            case upgradedAtCounter
            /// VIP on arrival; a later signal changes nothing.
            case vipThenSignal
            /// Potential on arrival; a later signal changes nothing.
            case potentialThenSignal
            /// Assets at the VIP threshold but no VIP card yet: potential by assets (B-01).
            case assetsWithoutCard
        }

        var kind: Kind
        var visitID: String
        var customerID: String?
        var profile: CustomerProfile.V1?
        var arrival: VisitArrived.V1
        var laterSignal: VisitSignal.V1?
        /// `nil`: standard, no identification.
        var classification: Classification?
        var tier: Tier?
        var basis: IdentificationBasis?
        var identifiedBy: String
        var identifiedByRole: StaffRole
        /// Served with priority on arrival (a VIP, or large cash).
        var priority: Bool

        var isIdentified: Bool { classification != nil }
    }

    /// The morning: walk-ins in arrival order, duplicate arrivals (same visit, new event id) to be ignored.
    struct Morning {
        var walkIns: [WalkIn]
        var duplicates: [VisitArrived.V1]
        /// Contact phones given on arrival, by visit, and how the register must show them.
        var phones: [String: (phone: String, masked: String)]

        var profiles: [CustomerProfile.V1] { walkIns.compactMap(\.profile) }
        var identified: [WalkIn] { walkIns.filter(\.isIdentified) }
        var signals: [VisitSignal.V1] { walkIns.compactMap(\.laterSignal) }

        func count(_ classification: Classification) -> Int {
            walkIns.count { $0.classification == classification }
        }

        func count(_ tier: Tier) -> Int { walkIns.count { $0.tier == tier } }

        func count(_ basis: IdentificationBasis) -> Int { walkIns.count { $0.basis == basis } }

        var byRole: [String: Int] {
            identified.reduce(into: [:]) { $0[$1.identifiedByRole.rawValue, default: 0] += 1 }
        }

        /// The records to publish, stamped at `start`: arrivals in order (a millisecond apart, just before
        /// `start`), then the duplicates, then the counter signals (at `start`). Same key per visit, so each
        /// visit's events keep their order.
        func records(at start: Timestamp) -> [KafkaOutgoingRecord] {
            var arrivals: [KafkaOutgoingRecord] = []
            for (position, walkIn) in walkIns.enumerated() {
                var arrival = walkIn.arrival
                arrival.arrivedAt = start.adding(milliseconds: Int64(position - walkIns.count))
                arrivals.append(TestEvents.record(arrival, time: arrival.arrivedAt, source: "branch/lobby-tablet"))
            }
            let repeated = duplicates.map { duplicate in
                var arrival = duplicate
                arrival.arrivedAt = start
                return TestEvents.record(arrival, time: start, source: "branch/lobby-tablet")
            }
            let raised = signals.map { signal in
                var signal = signal
                signal.at = start
                return TestEvents.record(signal, time: start, source: "branch/teller-desktop")
            }
            return arrivals + repeated + raised
        }
    }

    /// Builds the morning deterministically: each kind in a block (numbered `n` overall, `k` within the block),
    /// then the blocks interleaved by a fixed permutation so that kinds alternate through the morning.
    static func morning(runID: String, branch: String) -> Morning {
        let blocks: [(WalkIn.Kind, Int)] = [
            (.vipByAssets, 30), (.vipByCard, 15), (.standardWithProfile, 20), (.potentialBySignals, 15),
            (.potentialUnknown, 10), (.largeCash, 10), (.cashBelowLarge, 10), (.standard, 45),
            (.upgradedAtCounter, 25), (.vipThenSignal, 10), (.potentialThenSignal, 5), (.assetsWithoutCard, 5),
        ]
        let today = BusinessDate(localDateOf: .now(utcOffsetSeconds: 8 * 3600))
        let placeholder = Timestamp.now(utcOffsetSeconds: 8 * 3600)
        var built: [WalkIn] = []
        var phones: [String: (phone: String, masked: String)] = [:]
        var n = 0
        for (kind, size) in blocks {
            for k in 0..<size {
                n += 1
                let visitID = "V\(runID)-\(String(format: "%03d", n))"
                let customerID = "C\(runID)-\(String(format: "%03d", n))"
                let recorder: (String, StaffRole) =
                    k % 2 == 0 ? ("LM-\(runID)", .lobbyManager) : ("LA-\(runID)", .lobbyAssistant)
                func profile(_ minorUnits: Int64, cardHolder: Bool? = nil) -> CustomerProfile.V1 {
                    CustomerProfile.V1(
                        customerId: customerID, homeBranchId: branch, aumDailyAvg: Amount(minorUnits: minorUnits),
                        asOf: today, cardHolder: cardHolder)
                }
                func arrival(
                    customer: String?, purpose: VisitPurpose, amount: Int64? = nil, card: String? = nil,
                    signals: [LeadSignal]? = nil
                ) -> VisitArrived.V1 {
                    VisitArrived.V1(
                        visitId: visitID, branchId: branch, arrivedAt: placeholder, customerId: customer,
                        cardTier: card, purpose: purpose, amount: amount.map { Amount(minorUnits: $0) },
                        ticket: "A\(String(format: "%03d", n))", recordedBy: recorder.0, recordedByRole: recorder.1,
                        signals: signals)
                }
                func signal(_ signal: LeadSignal, by staff: (String, StaffRole)) -> VisitSignal.V1 {
                    VisitSignal.V1(
                        visitId: visitID, branchId: branch, staffId: staff.0, role: staff.1, signal: signal,
                        at: placeholder)
                }
                let calm: [VisitPurpose] = [.wealthConsultation, .nonCash, .passbookUpdate, .loan, .utilityPayment]
                var walkIn = WalkIn(
                    kind: kind, visitID: visitID, customerID: customerID, profile: nil,
                    arrival: arrival(customer: customerID, purpose: calm[k % calm.count]), laterSignal: nil,
                    classification: nil, tier: nil, basis: nil, identifiedBy: recorder.0,
                    identifiedByRole: recorder.1, priority: false)
                switch kind {
                case .vipByAssets:
                    // Both edges of every tier: 300,000.00 and 999,999.99 are A, 1,000,000.00 and 2,999,999.99 B.
                    let levels: [(Int64, Tier)] = [
                        (300_000_00, .a), (999_999_99, .a), (1_000_000_00, .b), (2_999_999_99, .b),
                        (3_000_000_00, .c), (12_500_000_00, .c),
                    ]
                    walkIn.profile = profile(levels[k % levels.count].0)
                    walkIn.classification = .vip
                    walkIn.tier = levels[k % levels.count].1
                    walkIn.basis = .aum
                    walkIn.priority = true
                case .vipByCard:
                    let cards: [(String, Tier)] = [("Diamond", .c), ("PLATINUM", .b), ("gold", .a)]
                    walkIn.arrival = arrival(
                        customer: customerID, purpose: calm[k % calm.count], card: cards[k % cards.count].0)
                    walkIn.classification = .vip
                    walkIn.tier = cards[k % cards.count].1
                    walkIn.basis = .card
                    walkIn.priority = true
                case .standardWithProfile:
                    walkIn.profile = profile([299_999_99, 0, 150_000_00, 1_000_00][k % 4])
                case .potentialBySignals:
                    let signals: [[LeadSignal]] = [
                        [.privateCar], [.occupation(.doctor)], [.premiumResidence, .highEndVenues],
                        [.otherBankVIPCard], [.occupation(.lawyer), .wealthNeed],
                    ]
                    walkIn.arrival = arrival(
                        customer: customerID, purpose: calm[k % calm.count], signals: signals[k % signals.count])
                    walkIn.classification = .potential
                    walkIn.basis = .signals
                case .potentialUnknown:
                    let signals: [[LeadSignal]] = [
                        [.wealthNeed], [.privateCar], [.occupation(.businessOwner)], [.highEndVenues],
                        [.occupation(.executive)],
                    ]
                    walkIn.customerID = nil
                    walkIn.arrival = arrival(customer: nil, purpose: calm[k % calm.count], signals: signals[k % 5])
                    walkIn.classification = .potential
                    walkIn.basis = .signals
                case .largeCash:
                    // From 50,000.00 (included), withdrawals or deposits, known or not.
                    let cash: [(VisitPurpose, Int64)] = [
                        (.cashLarge, 50_000_00), (.cashLarge, 120_000_00), (.cashSmall, 50_000_00),
                        (.cashLarge, 500_000_00), (.cashSmall, 75_000_50),
                    ]
                    walkIn.customerID = k % 3 == 2 ? nil : customerID
                    walkIn.arrival = arrival(
                        customer: walkIn.customerID, purpose: cash[k % 5].0, amount: cash[k % 5].1)
                    walkIn.classification = .potential
                    walkIn.basis = .signals
                    walkIn.priority = true
                case .cashBelowLarge:
                    let cash: [(VisitPurpose, Int64)] = [
                        (.cashLarge, 49_999_99), (.cashLarge, 20_000_00), (.cashSmall, 49_999_99), (.cashLarge, 1_00),
                    ]
                    walkIn.customerID = k % 4 == 3 ? nil : customerID
                    walkIn.arrival = arrival(
                        customer: walkIn.customerID, purpose: cash[k % 4].0, amount: cash[k % 4].1)
                case .standard:
                    let purposes: [VisitPurpose] = [
                        .wealthConsultation, .nonCash, .loan, .complaint, .other, .utilityPayment, .passbookUpdate,
                        .cashSmall,
                    ]
                    let purpose = purposes[k % purposes.count]
                    walkIn.customerID = k % 3 == 0 ? nil : customerID
                    walkIn.arrival = arrival(
                        customer: walkIn.customerID, purpose: purpose, amount: purpose == .cashSmall ? 500_00 : nil)
                case .upgradedAtCounter:
                    let staff: [(String, StaffRole)] = [
                        ("TC-\(runID)", .tellerCash), ("TN-\(runID)", .tellerNonCash),
                        ("BO-\(runID)", .businessOfficer),
                    ]
                    let raised: [LeadSignal] = [
                        .wealthNeed, .occupation(.doctor), .privateCar, .premiumResidence, .occupation(.finance),
                    ]
                    walkIn.customerID = k % 5 == 4 ? nil : customerID
                    walkIn.arrival = arrival(customer: walkIn.customerID, purpose: calm[k % calm.count])
                    walkIn.laterSignal = signal(raised[k % raised.count], by: staff[k % staff.count])
                    walkIn.classification = .potential
                    walkIn.basis = .signals
                    walkIn.identifiedBy = staff[k % staff.count].0
                    walkIn.identifiedByRole = staff[k % staff.count].1
                case .vipThenSignal:
                    if k < 5 {
                        walkIn.profile = profile(1_500_000_00)
                        walkIn.tier = .b
                        walkIn.basis = .aum
                    } else {
                        walkIn.arrival = arrival(customer: customerID, purpose: calm[k % calm.count], card: "Gold")
                        walkIn.tier = .a
                        walkIn.basis = .card
                    }
                    walkIn.laterSignal = signal(
                        .wealthNeed, by: k % 2 == 0 ? ("TC-\(runID)", .tellerCash) : ("BO-\(runID)", .businessOfficer))
                    walkIn.classification = .vip
                    walkIn.priority = true
                case .potentialThenSignal:
                    walkIn.arrival = arrival(
                        customer: customerID, purpose: calm[k % calm.count], signals: [.privateCar])
                    walkIn.laterSignal = signal(.occupation(.finance), by: ("TN-\(runID)", .tellerNonCash))
                    walkIn.classification = .potential
                    walkIn.basis = .signals
                case .assetsWithoutCard:
                    walkIn.profile = profile(400_000_00, cardHolder: false)
                    walkIn.classification = .potential
                    walkIn.basis = .aum
                }
                // Contact phones: on a VIP, on an unknown potential, and on a standard visit (never registered).
                let phone: String? =
                    switch (kind, k) {
                    case (.vipByAssets, 1): "13812345678"
                    case (.potentialUnknown, 0): "13987654321"
                    case (.standard, 1): "13700001111"
                    default: nil
                    }
                if let phone {
                    walkIn.arrival.contactPhone = phone
                    phones[visitID] = (phone, String(phone.prefix(3)) + "****" + String(phone.suffix(4)))
                }
                built.append(walkIn)
            }
        }
        // 77 is prime to 200: position p takes walk-in (p × 77) mod 200, a fixed shuffle of the blocks.
        let walkIns = built.indices.map { built[($0 * 77) % built.count] }

        // Sent again under a new event id, changed so that a second reading would identify them: ignored.
        var duplicates: [VisitArrived.V1] = []
        if var again = built.first(where: { $0.kind == .standard && $0.customerID == nil })?.arrival {
            again.cardTier = "diamond"
            again.signals = [.privateCar]
            duplicates.append(again)
        }
        if var again = built.first(where: { $0.kind == .standardWithProfile })?.arrival {
            again.cardTier = "platinum"
            duplicates.append(again)
        }
        if let again = built.first(where: { $0.kind == .vipByAssets })?.arrival {
            duplicates.append(again)
        }
        if var again = built.first(where: { $0.kind == .upgradedAtCounter })?.arrival {
            again.signals = [.wealthNeed]
            duplicates.append(again)
        }
        return Morning(walkIns: walkIns, duplicates: duplicates, phones: phones)
    }

    /// The scenario against numbers worked out by hand, so that a mistake in the generator shows.
    static func checkScenario(_ morning: Morning) {
        #expect(morning.walkIns.count == 200)
        #expect(Set(morning.walkIns.map(\.visitID)).count == 200)
        #expect(Set(morning.walkIns.compactMap(\.customerID)).count == morning.walkIns.count { $0.customerID != nil })
        #expect(morning.profiles.count == 60)
        #expect(morning.signals.count == 40)
        #expect(morning.duplicates.count == 4)
        // 30 by assets + 15 by card + 10 VIPs who later get a signal.
        #expect(morning.count(.vip) == 55)
        // 15 + 10 unknown by arrival signals, 10 large cash, 25 upgraded at the counter, 5 with a later signal,
        // 5 by assets without a card.
        #expect(morning.count(.potential) == 70)
        #expect(morning.identified.count == 125)
        #expect(morning.walkIns.count { !$0.isIdentified } == 75)
        #expect(morning.count(Tier.a) == 20)
        #expect(morning.count(Tier.b) == 20)
        #expect(morning.count(Tier.c) == 15)
        #expect(morning.count(IdentificationBasis.aum) == 40)
        #expect(morning.count(IdentificationBasis.card) == 20)
        #expect(morning.count(IdentificationBasis.signals) == 65)
        #expect(
            morning.byRole == [
                "lobby_manager": 52, "lobby_assistant": 48, "teller_cash": 9, "teller_noncash": 8,
                "business_officer": 8,
            ])
        #expect(morning.identified.count { $0.customerID == nil } == 18)
        #expect(morning.walkIns.count(where: \.priority) == 65)
        #expect(morning.phones.count == 3)
    }

    // MARK: - The run

    static func runMorning(_ stack: ConciergeStack) async throws {
        let branch = "M\(stack.runID)"
        let morning = Self.morning(runID: stack.runID, branch: branch)
        Self.checkScenario(morning)
        let intake = stack.url("intake")

        // Profiles first, on their own topic: wait until intake knows every one of them.
        let profiles = morning.profiles.map { TestEvents.record($0, source: "core-banking/crm") }
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(profiles) { _ = try result.get() }
        }
        for profile in morning.profiles {
            try await Self.waitFor("\(intake)/customers/\(profile.customerId)/profile")
        }

        let start = Timestamp.now(utcOffsetSeconds: 8 * 3600)
        let date = BusinessDate(localDateOf: start).description
        let records = morning.records(at: start)
        let published = ContinuousClock.now
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(records) { _ = try result.get() }
        }

        let expectedEvents = morning.walkIns.count + 2 * morning.identified.count
        #expect(expectedEvents == 450)
        let (events, reached) = try await Self.readIntakeEvents(
            stack, branch: branch, expected: expectedEvents, timeout: .seconds(60))
        let elapsed = reached.map { $0 - published }
        Self.checkEvents(events, morning: morning)

        let register = try await Self.checkRegister(
            "\(intake)/branches/\(branch)/identified?date=\(date)", morning: morning, events: events)
        print(
            "lobby morning: \(morning.walkIns.count) walk-ins (+\(morning.duplicates.count) duplicates, "
                + "\(morning.signals.count) counter signals) → \(events.routed.count) visit-routed, "
                + "\(events.identified.count) customer-identified, \(events.referrals.count) referral-requested, "
                + "\(events.others) other; register \(register) entries; "
                + "published → all \(expectedEvents) events seen in "
                + (elapsed.map { "\($0)" } ?? "never (timed out)"))
        #expect(elapsed != nil, "not all \(expectedEvents) intake events were seen within 60 s")
    }

    // MARK: - intake.events

    /// What intake published for the branch, decoded, with where each record sits.
    struct Published {
        struct Position: Comparable {
            var partition: Int32
            var offset: Int64
            static func < (lhs: Position, rhs: Position) -> Bool {
                (lhs.partition, lhs.offset) < (rhs.partition, rhs.offset)
            }
        }
        var routed: [(VisitRouted.V1, Position)] = []
        var identified: [(CustomerIdentified.V1, Position)] = []
        var referrals: [(ReferralRequested.V1, Position)] = []
        /// Other events for the branch (queue alerts).
        var others = 0
        /// The raw text of every record on the topic.
        var raw: [String] = []
    }

    static func branch(of record: KafkaRecord) -> String? {
        guard let event = try? EventCatalog.decode(record.value) else { return nil }
        return switch event.payload {
        case .visitRouted(let data): data.branchId
        case .customerIdentified(let data): data.branchId
        case .referralRequested(let data): data.branchId
        case .queueAlert(let data): data.branchId
        default: nil
        }
    }

    /// Reads `intake.events` from the beginning until `expected` events of the branch are there, then two seconds
    /// more for any extra; returns them and when the expected number was first reached.
    static func readIntakeEvents(
        _ stack: ConciergeStack, branch: String, expected: Int, timeout: Duration
    ) async throws -> (Published, ContinuousClock.Instant?) {
        var scanned = 0
        var matching = 0
        var reached: ContinuousClock.Instant?
        let records = try await TestKafka.read(
            Topics.intakeEvents, configuration: stack.kafkaConfiguration, timeout: timeout
        ) { records in
            for record in records[scanned...] where Self.branch(of: record) == branch { matching += 1 }
            scanned = records.count
            guard matching >= expected else { return false }
            let now = ContinuousClock.now
            if reached == nil { reached = now }
            return matching > expected || now - (reached ?? now) >= .seconds(2)
        }
        var events = Published()
        for record in records {
            events.raw.append(String(decoding: record.value, as: UTF8.self))
            guard Self.branch(of: record) == branch else { continue }
            let event = try EventCatalog.decode(record.value)
            let position = Published.Position(partition: record.partition, offset: record.offset)
            switch event.payload {
            case .visitRouted(let data):
                #expect(event.type == VisitRouted.V1.eventType)
                events.routed.append((data, position))
            case .customerIdentified(let data):
                #expect(event.type == CustomerIdentified.V1.eventType)
                events.identified.append((data, position))
            case .referralRequested(let data):
                #expect(event.type == ReferralRequested.V1.eventType)
                events.referrals.append((data, position))
            default:
                events.others += 1
            }
        }
        return (events, reached)
    }

    static func checkEvents(_ events: Published, morning: Morning) {
        let walkIns = Dictionary(uniqueKeysWithValues: morning.walkIns.map { ($0.visitID, $0) })
        let identifiedVisits = Set(morning.identified.map(\.visitID))

        // Exactly one visit-routed per walk-in: the duplicates and the signals routed nothing more.
        #expect(events.routed.count == morning.walkIns.count)
        #expect(events.routed.count == 200)
        let routedByVisit = Dictionary(grouping: events.routed, by: { $0.0.visitId })
        #expect(Set(routedByVisit.keys) == Set(walkIns.keys))
        #expect(routedByVisit.values.filter { $0.count > 1 }.map { $0[0].0.visitId }.sorted() == [])
        let wrongPriority = events.routed.filter { walkIns[$0.0.visitId].map(\.priority) != $0.0.priority }
        #expect(wrongPriority.map { "\($0.0.visitId) \($0.0.zone.rawValue)" } == [], "priority (C-02, C-07)")
        #expect(
            events.routed.filter { walkIns[$0.0.visitId]?.kind == .largeCash }.allSatisfy { $0.0.zone == .vipWindow },
            "large cash goes to the VIP window (C-07)")

        // Exactly one customer-identified per identified walk-in, as classified, credited to whoever identified.
        #expect(events.identified.count == morning.identified.count)
        #expect(events.identified.count == 125)
        #expect(events.identified.count { $0.0.classification == .vip } == morning.count(.vip))
        #expect(events.identified.count { $0.0.classification == .potential } == morning.count(.potential))
        #expect(events.identified.count { $0.0.classification == .vip } == 55)
        #expect(events.identified.count { $0.0.classification == .potential } == 70)
        let byRole = events.identified.reduce(into: [String: Int]()) {
            $0[$1.0.identifiedByRole?.rawValue ?? "unknown", default: 0] += 1
        }
        #expect(byRole == morning.byRole)
        let identifiedByVisit = Dictionary(grouping: events.identified, by: { $0.0.visitId })
        #expect(Set(identifiedByVisit.keys) == identifiedVisits)
        var mismatches: [String] = []
        for (visitID, identifications) in identifiedByVisit {
            guard let walkIn = walkIns[visitID], identifications.count == 1, let identified = identifications.first?.0
            else {
                mismatches.append("\(visitID): \(identifications.count) identifications")
                continue
            }
            let expected =
                "\(walkIn.classification?.rawValue ?? "-") \(walkIn.tier?.rawValue ?? "-") "
                + "\(walkIn.basis?.rawValue ?? "-") \(walkIn.identifiedBy) \(walkIn.identifiedByRole.rawValue) "
                + "\(walkIn.customerID ?? "-")"
            let actual =
                "\(identified.classification.rawValue) \(identified.tier?.rawValue ?? "-") "
                + "\(identified.basis.rawValue) \(identified.identifiedBy) "
                + "\(identified.identifiedByRole?.rawValue ?? "unknown") \(identified.customerId ?? "-")"
            if expected != actual {
                mismatches.append("\(visitID) \(walkIn.kind): expected \(expected), got \(actual)")
            }
            if identified.reasons.isEmpty { mismatches.append("\(visitID): no reasons") }
        }
        #expect(mismatches.sorted() == [], "customer-identified as the scenario says")

        // One referral per identified visit, none for any other; after its routing and identification.
        #expect(events.referrals.count == morning.identified.count)
        #expect(events.referrals.count == 125)
        let referralsByVisit = Dictionary(grouping: events.referrals, by: { $0.0.visitId })
        #expect(
            Set(referralsByVisit.keys).subtracting(identifiedVisits).sorted() == [], "referral without identification")
        #expect(referralsByVisit.values.filter { $0.count > 1 }.map { $0[0].0.visitId }.sorted() == [])
        #expect(Set(events.referrals.map { $0.0.referralId }).count == events.referrals.count)
        var outOfOrder: [String] = []
        for (visitID, referrals) in referralsByVisit {
            guard let referral = referrals.first, let identified = identifiedByVisit[visitID]?.first,
                let routed = routedByVisit[visitID]?.first
            else { continue }
            if referral.0.classification != identified.0.classification || referral.0.tier != identified.0.tier {
                outOfOrder.append("\(visitID): referral \(referral.0.classification) ≠ identification")
            }
            // Same key (customer, else visit): same partition, so the offsets give the order.
            if !(routed.1 < identified.1 && identified.1 < referral.1) {
                outOfOrder.append("\(visitID): routed \(routed.1), identified \(identified.1), referral \(referral.1)")
            }
        }
        #expect(outOfOrder.sorted() == [], "visit-routed, customer-identified, referral-requested in that order")

        // Contact phones never leave intake in clear (H-03).
        for (visitID, phone) in morning.phones {
            #expect(!events.raw.contains { $0.contains(phone.phone) }, "\(visitID)'s phone is on intake.events")
        }
    }

    // MARK: - The register

    /// Checks the identified-customer register for the day against the scenario and the events; returns its count.
    static func checkRegister(_ url: String, morning: Morning, events: Published) async throws -> Int {
        let expected = morning.identified.count
        let response = await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
            () -> TestHTTP.Response? in
            guard let response = await TestHTTP.get(url), response.status == 200,
                let body = try? response.json() as? [String: Any], let count = body["count"] as? Int,
                count >= expected
            else { return nil }
            return response
        }
        let body = try #require(try response?.json() as? [String: Any], "register did not list \(expected) in 30 s")
        let count = try #require(body["count"] as? Int)
        #expect(count == expected)
        #expect(count == 125)
        let entries = try #require(body["identifications"] as? [[String: Any]])
        #expect(entries.count == expected)
        #expect(body["branchId"] as? String == morning.walkIns.first?.arrival.branchId)

        let totals = try #require(body["totals"] as? [String: Any])
        #expect(totals["vip"] as? Int == morning.count(.vip))
        #expect(totals["potential"] as? Int == morning.count(.potential))
        #expect(totals["vip"] as? Int == 55)
        #expect(totals["potential"] as? Int == 70)
        #expect((totals["byRole"] as? [String: Int]) == morning.byRole)

        let walkIns = Dictionary(uniqueKeysWithValues: morning.walkIns.map { ($0.visitID, $0) })
        let referralIDs = Dictionary(events.referrals.map { ($0.0.visitId, $0.0.referralId) }) { first, _ in first }
        let visitIDs = entries.compactMap { $0["visitId"] as? String }
        #expect(visitIDs.count == Set(visitIDs).count, "a visit listed twice")
        #expect(Set(visitIDs) == Set(morning.identified.map(\.visitID)))
        var mismatches: [String] = []
        for entry in entries {
            guard let visitID = entry["visitId"] as? String, let walkIn = walkIns[visitID] else {
                mismatches.append("unexpected entry \(entry["visitId"] ?? "?")")
                continue
            }
            let customerKey = walkIn.customerID ?? "visit/\(visitID)"
            if entry["customerKey"] as? String != customerKey {
                mismatches.append("\(visitID): customerKey \(entry["customerKey"] ?? "nil"), expected \(customerKey)")
            }
            if entry["customerId"] as? String != walkIn.customerID {
                mismatches.append("\(visitID): customerId \(entry["customerId"] ?? "nil")")
            }
            if entry["classification"] as? String != walkIn.classification?.rawValue
                || entry["tier"] as? String != walkIn.tier?.rawValue
                || entry["basis"] as? String != walkIn.basis?.rawValue
            {
                mismatches.append(
                    "\(visitID): \(entry["classification"] ?? "nil") \(entry["tier"] ?? "nil") "
                        + "\(entry["basis"] ?? "nil"), expected \(walkIn.classification?.rawValue ?? "-") "
                        + "\(walkIn.tier?.rawValue ?? "-") \(walkIn.basis?.rawValue ?? "-")")
            }
            if entry["identifiedBy"] as? String != walkIn.identifiedBy
                || entry["identifiedByRole"] as? String != walkIn.identifiedByRole.rawValue
            {
                mismatches.append("\(visitID): identified by \(entry["identifiedBy"] ?? "nil")")
            }
            if entry["referralId"] as? String != referralIDs[visitID] {
                mismatches.append("\(visitID): referralId \(entry["referralId"] ?? "nil") ≠ the event's")
            }
            if entry["contactPhone"] as? String != morning.phones[visitID]?.masked {
                mismatches.append("\(visitID): contactPhone \(entry["contactPhone"] ?? "nil")")
            }
        }
        #expect(mismatches.sorted() == [], "the register lists the identifications as the scenario says")
        // The phones on identified visits are shown masked, never in full.
        let listed = morning.phones.filter { walkIns[$0.key]?.isIdentified == true }
        #expect(listed.count == 2)
        #expect(Set(listed.values.map { $0.masked }) == ["138****5678", "139****4321"])
        let text = String(decoding: response?.body ?? Data(), as: UTF8.self)
        for phone in morning.phones.values { #expect(!text.contains(phone.phone)) }
        return count
    }

    static func waitFor(_ url: String, timeout: Duration = .seconds(30)) async throws {
        let ok = await TestHTTP.eventually(timeout: timeout) { () -> Bool? in
            await TestHTTP.get(url)?.status == 200 ? true : nil
        }
        try #require(ok == true, "\(url) did not answer 200 within \(timeout)")
    }
}
