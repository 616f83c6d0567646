import Events
import Foundation
import Messaging
import TestSupport
import Testing

/// Two assignment processes in one consumer group, on one schema, fed 1,000 referrals for 100 new customers in a
/// random order, keyed so that both processes race on every customer: still exactly one owner per customer (D-01)
/// and no manager over a cap (D-03), with caps chosen so that the 100 customers fill every cap exactly.
@Suite("Assignment under concurrency", .serialized, .timeLimit(.minutes(5)))
struct AssignmentConcurrencyTests {
    static let managerCount = 4
    static let standardCustomers = 80
    static let highCustomers = 20
    static let referralsPerCustomer = 10
    /// 4 × 25 = 100 customers and 4 × (20 + 5) = 80 standard + 20 high: every cap is exactly full at the end.
    static let capacity = 25
    static let standardCap = 20
    static let highCap = 5

    @Test(
        "D-01 D-03 two assignment processes in one consumer group, 1,000 referrals for 100 new customers in random order: exactly 100 owners, none with two, every referral routed, no cap broken"
    )
    func twoInstancesRaceForNewCustomers() async throws {
        let stack = try await ConciergeStack.start(
            services: ["assignment"],
            environment: [
                "assignment": [
                    "ASSIGNMENT_MANAGER_CAPACITY": "\(Self.capacity)",
                    "ASSIGNMENT_CAP_STANDARD": "\(Self.standardCap)",
                    "ASSIGNMENT_CAP_HIGH": "\(Self.highCap)",
                ]
            ],
            instances: ["assignment": 2])
        do {
            try await Self.race(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    // MARK: - The scenario

    struct Customer {
        var id: String
        var tier: Tier
        /// "standard" below 1,000,000 (tier A), "high" from there (tiers B and C).
        var isHigh: Bool { tier != .a }
    }

    /// 80 tier-A customers, then 20 alternating B and C.
    static func customers(runID: String) -> [Customer] {
        (1...(standardCustomers + highCustomers)).map { n in
            Customer(
                id: "C\(runID)-\(String(format: "%03d", n))",
                tier: n <= standardCustomers ? .a : (n % 2 == 0 ? .b : .c))
        }
    }

    /// SplitMix64: a tiny seeded generator, so that a failing order can be replayed (`CONCIERGE_TEST_SEED`).
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// What assignment published for this run.
    struct Published {
        var assigned: [ManagerAssigned.V1] = []
        var routed: [ReferralRouted.V1] = []
        var alerts: [CapacityAlert.V1] = []
    }

    // MARK: - The run

    static func race(_ stack: ConciergeStack) async throws {
        let run = stack.runID
        let branch = "K\(run)"
        let managers = (1...managerCount).map { "WM\($0)\(run)" }
        let instances = stack.instances(of: "assignment")
        #expect(instances == ["assignment", "assignment#2"])

        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            var staff = managers.map { TestEvents.staff($0, branch: branch, role: .wealthManager) }
            staff.append(TestEvents.staff("CH\(run)", branch: branch, role: .centreHead))
            for result in await producer.send(staff) { _ = try result.get() }
        }
        // Each instance answers from its own port, both from the one schema.
        for instance in instances {
            for manager in managers {
                try await EndToEndTests.waitFor("\(stack.url(instance))/managers/\(manager)/book")
            }
        }
        // Both must be in the group with a share of intake.events before the referrals go out, or the first one
        // could take the whole stream alone.
        for instance in instances {
            let joined = await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                () -> Bool? in
                let log = (stack.process(instance)?.logFile).flatMap { try? String(contentsOf: $0, encoding: .utf8) }
                let lines = log?.split(separator: "\n") ?? []
                return lines.contains { $0.contains("Kafka partitions assigned") && $0.contains("intake.events[") }
                    ? true : nil
            }
            #expect(joined == true, "\(instance) was not assigned intake.events partitions within 30 s")
        }

        let customers = Self.customers(runID: run)
        let tiers = Dictionary(uniqueKeysWithValues: customers.map { ($0.id, $0.tier) })
        let now = Timestamp.now(utcOffsetSeconds: 8 * 3600)
        var referrals: [ReferralRequested.V1] = []
        for customer in customers {
            for k in 1...referralsPerCustomer {
                referrals.append(
                    ReferralRequested.V1(
                        referralId: UUID().uuidString.lowercased(), visitId: "V\(customer.id)-\(k)",
                        branchId: branch, customerId: customer.id, classification: .vip, tier: customer.tier,
                        requestedAt: now))
            }
        }
        let seed =
            ProcessInfo.processInfo.environment["CONCIERGE_TEST_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: .min ... .max)
        print("assignment concurrency: seed \(seed) (CONCIERGE_TEST_SEED=\(seed) replays this order)")
        var generator = SplitMix64(state: seed)
        referrals.shuffle(using: &generator)
        let sent = Set(referrals.map(\.referralId))
        #expect(referrals.count == 1_000)
        #expect(sent.count == 1_000)

        // Keyed by referralId, not by customerId as intake keys them: one customer's referrals then land on
        // different partitions, so the two instances handle the same new customer at the same time and race to
        // make someone its owner. With the customer as key they would never meet.
        let records = referrals.map { referral in
            var record = TestEvents.record(referral, time: now, source: "branch/lobby-tablet")
            record.key = Array(referral.referralId.utf8)
            return record
        }
        let published = ContinuousClock.now
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(records) { _ = try result.get() }
        }
        let publishedIn = ContinuousClock.now - published

        let customerIDs = Set(tiers.keys)
        var events = Published()
        var scanned = 0
        var routedIDs: Set<String> = []
        var reached: ContinuousClock.Instant?
        _ = try await TestKafka.read(
            Topics.assignmentEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(120)
        ) { records in
            for record in records[scanned...] {
                guard let event = try? EventCatalog.decode(record.value) else { continue }
                switch event.payload {
                case .managerAssigned(let data) where data.branchId == branch || customerIDs.contains(data.customerId):
                    events.assigned.append(data)
                case .referralRouted(let data) where sent.contains(data.referralId):
                    events.routed.append(data)
                    routedIDs.insert(data.referralId)
                case .capacityAlert(let data)
                where data.branchId == branch || data.referralId.map(sent.contains) == true:
                    events.alerts.append(data)
                default:
                    break
                }
            }
            scanned = records.count
            guard routedIDs.count >= sent.count else { return false }
            let instant = ContinuousClock.now
            if reached == nil { reached = instant }
            // Two seconds more for any extra (a second owner, a repeated routing).
            return instant - (reached ?? instant) >= .seconds(2)
        }
        let elapsed = reached.map { $0 - published }

        // Both processes must have taken a share, or nothing raced.
        var consumed: [String: Int] = [:]
        for instance in instances {
            consumed[instance] = await Self.consumedReferrals(stack.url(instance))
        }
        for instance in instances {
            #expect(
                (consumed[instance] ?? 0) > 0,
                "\(instance) handled no referral-requested (consumed: \(consumed)); the test did not race two instances")
        }

        let owners = Self.checkEvents(events, sent: sent, tiers: tiers, managers: managers, branch: branch)
        try await Self.checkHTTP(stack, owners: owners, tiers: tiers, managers: managers)

        print(
            "assignment concurrency: \(referrals.count) referrals for \(customers.count) customers "
                + "(\(standardCustomers) standard, \(highCustomers) high) over \(instances.count) instances, "
                + "referral-requested consumed \(instances.map { "\($0) \(consumed[$0] ?? 0)" }.joined(separator: ", ")) "
                + "→ \(events.assigned.count) manager-assigned, \(events.routed.count) referral-routed, "
                + "\(events.alerts.count) capacity-alert; \(Set(owners.keys).count) owners; published in \(publishedIn), "
                + "published → last referral-routed seen in " + (elapsed.map { "\($0)" } ?? "never (timed out)"))
        #expect(elapsed != nil, "not all \(sent.count) referrals were routed within 120 s")
    }

    // MARK: - assignment.events

    /// Checks what assignment published; returns each customer's owner by the events.
    static func checkEvents(
        _ events: Published, sent: Set<String>, tiers: [String: Tier], managers: [String], branch: String
    ) -> [String: String] {
        // Exactly one new owner per customer (D-01).
        #expect(events.assigned.count == tiers.count)
        #expect(events.assigned.allSatisfy { $0.reason == .new && $0.previousManagerId == nil })
        let assignedByCustomer = Dictionary(grouping: events.assigned, by: \.customerId)
        #expect(Set(assignedByCustomer.keys) == Set(tiers.keys), "every customer got an owner")
        let doubled = assignedByCustomer.filter { $0.value.count > 1 }
            .map { "\($0.key): \($0.value.map(\.managerId).joined(separator: ", "))" }
        #expect(doubled.sorted() == [], "customers given an owner more than once")
        let owners = assignedByCustomer.compactMapValues { $0.first?.managerId }
        #expect(
            events.assigned.filter { $0.tier != tiers[$0.customerId] || $0.branchId != branch }.map(\.customerId)
                == [], "manager-assigned with the referral's tier and branch")
        #expect(Set(owners.values).isSubset(of: Set(managers)))

        // Every referral routed exactly once, to the customer's one owner.
        #expect(events.routed.count == sent.count)
        let routedByID = Dictionary(grouping: events.routed, by: \.referralId)
        #expect(Set(routedByID.keys) == sent, "the routed referrals are the ones sent")
        #expect(routedByID.filter { $0.value.count > 1 }.keys.sorted() == [], "referrals routed more than once")
        let misrouted = events.routed.filter { routed in
            routed.coveringFor != nil || routed.customerId.flatMap { owners[$0] } != routed.managerId
        }
        #expect(
            misrouted.map { "\($0.referralId) \($0.customerId ?? "-") → \($0.managerId)" }.sorted() == [],
            "referrals routed to someone other than the customer's owner")

        // No cap was hit on the way, and every cap ends exactly full (D-03).
        #expect(
            events.alerts.map { "\($0.customerId ?? "-"): \($0.reason)" }.sorted() == [], "capacity alerts raised")
        #expect(Self.loads(owners: owners, tiers: tiers) == Self.fullLoads(managers), "customers per manager")
        return owners
    }

    /// "<total> = <standard> standard + <high> high" by manager.
    static func loads(owners: [String: String], tiers: [String: Tier]) -> [String: String] {
        Dictionary(grouping: owners.keys, by: { owners[$0]! }).mapValues { customers in
            let high = customers.count { tiers[$0] != .a }
            return "\(customers.count) = \(customers.count - high) standard + \(high) high"
        }
    }

    static func fullLoads(_ managers: [String]) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: managers.map {
                ($0, "\(capacity) = \(standardCap) standard + \(highCap) high")
            })
    }

    // MARK: - HTTP

    /// The books and relationships, alternately from either instance, agree with the events.
    static func checkHTTP(
        _ stack: ConciergeStack, owners: [String: String], tiers: [String: Tier], managers: [String]
    ) async throws {
        let instances = stack.instances(of: "assignment")
        var books: [String: String] = [:]
        var bookMismatches: [String] = []
        for (index, manager) in managers.enumerated() {
            let url = "\(stack.url(instances[index % instances.count]))/managers/\(manager)/book"
            let response = try #require(await TestHTTP.get(url), "no answer from \(url)")
            #expect(response.status == 200)
            let book = try #require(try response.json() as? [String: Any])
            let listed = (book["customers"] as? [[String: Any]] ?? []).compactMap { $0["customerId"] as? String }
            let high = listed.count { tiers[$0] != .a }
            books[manager] = "\(listed.count) = \(listed.count - high) standard + \(high) high"
            #expect(book["total"] as? Int == capacity, "\(manager)'s book total")
            #expect(book["remainingCapacity"] as? Int == 0, "\(manager)'s remaining capacity")
            let segments = book["countsBySegment"] as? [String: Any]
            #expect(
                segments?["standard"] as? Int == standardCap && segments?["high"] as? Int == highCap,
                "\(manager)'s countsBySegment \(segments ?? [:])")
            if index == 0 {
                // The settings reached the service: caps 25 = 20 + 5, segment caps on.
                let caps = book["caps"] as? [String: Any]
                #expect(
                    caps?["total"] as? Int == capacity && caps?["standard"] as? Int == standardCap
                        && caps?["high"] as? Int == highCap && caps?["segmentCaps"] as? Bool == true,
                    "caps in force: \(caps ?? [:])")
            }
            if Set(listed) != Set(owners.filter { $0.value == manager }.keys) {
                bookMismatches.append("\(manager): the book lists other customers than the events say")
            }
        }
        #expect(books == Self.fullLoads(managers), "customers per manager by GET /managers/{id}/book")
        #expect(bookMismatches == [])

        var mismatches: [String] = []
        for (index, customer) in tiers.keys.sorted().enumerated() {
            let url = "\(stack.url(instances[index % instances.count]))/customers/\(customer)/relationship"
            let body = try? await TestHTTP.get(url)?.json() as? [String: Any]
            let manager = body?["managerId"] as? String
            if manager == nil || manager != owners[customer] {
                mismatches.append("\(customer): \(manager ?? "no relationship"), events say \(owners[customer] ?? "none")")
            }
        }
        #expect(mismatches == [], "GET /customers/{id}/relationship names the owner of the events")
    }

    /// `concierge_events_consumed_total` for referral-requested on one instance's `/metrics`.
    static func consumedReferrals(_ url: String) async -> Int {
        let text = String(decoding: (await TestHTTP.get("\(url)/metrics"))?.body ?? Data(), as: UTF8.self)
        return text.split(separator: "\n")
            .filter {
                $0.hasPrefix("concierge_events_consumed_total{")
                    && $0.contains("type=\"\(ReferralRequested.V1.eventType)\"")
            }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }
}
