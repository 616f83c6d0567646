import Events
import Foundation
import Messaging
import PostgresNIO
import ServiceKit
import Synchronization
import TestSupport

/// The steady stream of the reliability suite, playing the branches' front ends, the call centre and the CRM.
///
/// First the reference data (``publishReferenceData()``): a roster per branch (lobby manager, centre head, team
/// lead, three wealth managers) and a VIP profile per customer. Then, from ``start()`` to ``stop()``, one tick every
/// ``tick``: a walk-in every tick (C-01, C-05), a branch complaint every third (F-01; every sixth of those recorded
/// late, dated yesterday; every fourth answered on the spot), a call-centre escalation every fifth (a third of them
/// critical, F-04), and a logged proactive call every fourth (E-03), for a customer whose plan engagement has already
/// made, by the manager that plan belongs to, at most four per customer, sometimes two in one tick for one customer.
/// A complaint is answered on the spot only for such a customer too, so that its follow-up (F-05) is certain.
///
/// Records are sent through a few serial lanes chosen by Kafka key: a key's records keep their order, and a lane
/// blocked by a fault (a broker down) does not stop the others. The ``Ledger`` holds every input with the instant it
/// was generated.
final class LoadDriver: Sendable {
    static let laneCount = 4
    static let managersPerBranch = 3
    /// Proactive contacts in a year's plan of every tier (E-03: 6-4-2 and 12-4-2).
    static let contactsPerPlan = 4

    let stack: ConciergeStack
    let producer: KafkaProducer
    let db: PostgresClient
    let calendar: BusinessCalendar
    let tick: Duration
    let branches: [String]
    let customersPerBranch: Int

    private struct State {
        var ledger = Ledger()
        /// Customers whose plan engagement has made, with its manager.
        var planned: [String: String] = [:]
        var contactsByCustomer: [String: Int] = [:]
        var refreshing = false
        var stopping = false
        var ticks = 0
        var complaints = 0
        var escalations = 0
        var contactTicks = 0
        var lanes: [AsyncStream<[KafkaOutgoingRecord]>.Continuation] = []
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    init(
        stack: ConciergeStack, producer: KafkaProducer, db: PostgresClient, calendar: BusinessCalendar,
        branches: Int = 3, customersPerBranch: Int = 20, tick: Duration = .milliseconds(150)
    ) {
        self.stack = stack
        self.producer = producer
        self.db = db
        self.calendar = calendar
        self.tick = tick
        self.customersPerBranch = customersPerBranch
        let run = stack.runID.prefix(5).uppercased()
        self.branches = (1...branches).map { "B\(run)\($0)" }
    }

    // MARK: - Roster and reference data

    func lobbyManager(_ branch: String) -> String { "LM-\(branch)" }
    func centreHead(_ branch: String) -> String { "CH-\(branch)" }
    func teamLead(_ branch: String) -> String { "TL-\(branch)" }
    func managers(_ branch: String) -> [String] { (1...Self.managersPerBranch).map { "WM-\(branch)-\($0)" } }

    var ledger: Ledger { state.withLock { $0.ledger } }

    /// Publishes the roster and the profiles and waits until every service has them.
    func publishReferenceData() async throws {
        var records: [KafkaOutgoingRecord] = []
        var customers: [Ledger.Customer] = []
        for branch in branches {
            records.append(TestEvents.staff(lobbyManager(branch), branch: branch, role: .lobbyManager))
            records.append(TestEvents.staff(centreHead(branch), branch: branch, role: .centreHead))
            records.append(TestEvents.staff(teamLead(branch), branch: branch, role: .teamLead))
            records += managers(branch).map { TestEvents.staff($0, branch: branch, role: .wealthManager) }
            for index in 0..<customersPerBranch {
                // 300,000 (tier A) up to 3,150,000 (tier C) in steps of 150,000 (B-01, B-03).
                let aum = 300_000 + Int64(index) * 150_000
                let tier: Tier = aum >= 3_000_000 ? .c : aum >= 1_000_000 ? .b : .a
                let customer = Ledger.Customer(id: "C-\(branch)-\(index + 1)", branch: branch, aum: aum, tier: tier)
                customers.append(customer)
                records.append(TestEvents.profile(customer.id, branch: branch, aum: aum))
            }
        }
        for result in await producer.send(records) { _ = try result.get() }
        state.withLock {
            $0.ledger.customers = customers
            $0.ledger.referenceEvents = records.count
        }
        let staff = branches.count * (3 + Self.managersPerBranch)
        let (intake, assignment, engagement, complaints, scoring) = (
            stack.schema("intake"), stack.schema("assignment"), stack.schema("engagement"), stack.schema("complaints"),
            stack.schema("scoring")
        )
        let (db, customerCount) = (self.db, customers.count)
        let ready = try await TestHTTP.eventually(timeout: .seconds(90), interval: .milliseconds(300)) {
            () -> Bool? in
            let done = try await Database.value(
                """
                SELECT (SELECT count(*) FROM \(intake).customer_profiles) = \(customerCount)
                    AND (SELECT count(*) FROM \(assignment).staff) = \(staff)
                    AND (SELECT count(*) FROM \(assignment).customer_tiers) = \(customerCount)
                    AND (SELECT count(*) FROM \(engagement).staff) = \(staff)
                    AND (SELECT count(*) FROM \(complaints).staff) = \(staff)
                    AND (SELECT count(*) FROM \(scoring).staff) = \(staff)
                    AND (SELECT count(*) FROM \(scoring).customers) = \(customerCount)
                """, db: db, as: Bool.self)
            return done ? true : nil
        }
        guard ready == true else { throw DriverError(description: "the services did not take in the reference data") }
    }

    // MARK: - The stream

    /// Starts the stream; it runs until ``stop()``.
    func start() {
        var lanes: [AsyncStream<[KafkaOutgoingRecord]>.Continuation] = []
        var tasks: [Task<Void, Never>] = []
        for _ in 0..<Self.laneCount {
            let (stream, continuation) = AsyncStream.makeStream(of: [KafkaOutgoingRecord].self)
            lanes.append(continuation)
            tasks.append(
                Task {
                    for await batch in stream {
                        let results = await self.producer.send(batch)
                        let failed = zip(batch, results).compactMap { record, result -> String? in
                            guard case .failure(let error) = result else { return nil }
                            return "\(record.topic): \(error)"
                        }
                        if !failed.isEmpty { self.state.withLock { $0.ledger.failedSends += failed } }
                    }
                })
        }
        state.withLock {
            $0.lanes = lanes
            $0.tasks = tasks
        }
        let generator = Task {
            var next = ContinuousClock.now
            while !self.state.withLock({ $0.stopping }) {
                self.generateTick()
                next += self.tick
                try? await Task.sleep(until: next)
            }
        }
        state.withLock { $0.tasks.append(generator) }
    }

    /// Stops generating, waits until every generated record has its delivery report, returns the ledger.
    func stop() async -> Ledger {
        let (generator, lanes, laneTasks) = state.withLock { state in
            state.stopping = true
            return (state.tasks.last, state.lanes, Array(state.tasks.dropLast()))
        }
        await generator?.value
        for lane in lanes { lane.finish() }
        for task in laneTasks { await task.value }
        return ledger
    }

    /// One tick's records, handed to the lanes.
    private func generateTick() {
        let now = calendar.now()
        let generated = ContinuousClock.now
        var records: [KafkaOutgoingRecord] = []
        let refresh = state.withLock { state -> Bool in
            state.ticks += 1
            let tick = state.ticks
            let customers = state.ledger.customers
            let visitor = customers.randomElement()!

            // A walk-in every tick, recorded by the branch's lobby manager (C-05).
            let visitID = "V-\(visitor.id)-\(tick)"
            records.append(
                TestEvents.record(
                    VisitArrived.V1(
                        visitId: visitID, branchId: visitor.branch, arrivedAt: now, customerId: visitor.id,
                        purpose: .wealthConsultation, recordedBy: lobbyManager(visitor.branch),
                        recordedByRole: .lobbyManager), time: now))
            state.ledger.walkIns.append(
                .init(
                    visitID: visitID, branch: visitor.branch, customerID: visitor.id, arrivedAt: now,
                    generated: generated))

            // A branch complaint every third tick (F-01).
            if tick % 3 == 0 {
                state.complaints += 1
                let number = state.complaints
                let late = number % 6 == 5
                let onSpotCandidate = number % 4 == 1 && !late
                let eligible = state.planned.keys.sorted()
                let customerID = onSpotCandidate && !eligible.isEmpty ? eligible.randomElement()! : visitor.id
                let customer = customers.first { $0.id == customerID }!
                let onSpot = onSpotCandidate && !eligible.isEmpty
                // Recorded after the day it was made (an opinion book read the next morning, F-03): it counts on
                // yesterday's statistics, which scoring then publishes again.
                let receivedAt =
                    late
                    ? calendar.localized(
                        calendar.startOfDay(calendar.businessDate(of: now).adding(days: -1)).adding(
                            milliseconds: 15 * 3_600_000))
                    : now
                let complaint = Ledger.Complaint(
                    ref: "K-\(stack.runID)-\(number)", source: .branch, branch: customer.branch,
                    customerID: customer.id, category: ["waiting_time", "fees", "service_attitude"][number % 3],
                    receivedAt: receivedAt, resolvedOnSpot: onSpot, generated: generated)
                records.append(record(complaint, lobbyManager: lobbyManager(customer.branch), now: now))
                state.ledger.complaints.append(complaint)
            }

            // A call-centre escalation every fifth tick; a third of them critical (F-04).
            if tick % 5 == 0 {
                state.escalations += 1
                let number = state.escalations
                let customer = customers.randomElement()!
                let escalation = Ledger.Complaint(
                    ref: "CC-\(stack.runID)-\(number)", source: .callCentre, branch: customer.branch,
                    customerID: customer.id, category: ["card_fees", "product_advice"][number % 2], receivedAt: now,
                    critical: number % 3 == 0, generated: generated)
                records.append(record(escalation, lobbyManager: lobbyManager(customer.branch), now: now))
                state.ledger.complaints.append(escalation)
            }

            // A proactive call every fourth tick, by the manager whose plan it fulfils (E-03, E-10).
            if tick % 4 == 0 {
                state.contactTicks += 1
                let open = state.planned.filter { state.contactsByCustomer[$0.key, default: 0] < Self.contactsPerPlan }
                if let (customerID, managerID) = open.randomElement() {
                    let already = state.contactsByCustomer[customerID, default: 0]
                    // Now and then two calls for one customer in one tick: one key, one batch, an order to keep.
                    let calls = state.contactTicks % 3 == 0 && already <= Self.contactsPerPlan - 2 ? 2 : 1
                    for call in 0..<calls {
                        let activityID = "A-\(customerID)-\(tick)-\(call)"
                        let at = now.adding(milliseconds: Int64(call))
                        records.append(
                            TestEvents.record(
                                ContactLogged.V1(
                                    activityId: activityID, customerId: customerID, managerId: managerID,
                                    kind: .call, proactive: true, at: at), time: now))
                        state.ledger.contacts.append(
                            .init(
                                activityID: activityID, customerID: customerID, managerID: managerID, at: at,
                                generated: generated))
                        state.ledger.contactOrder[customerID, default: []].append(activityID)
                    }
                    state.contactsByCustomer[customerID] = already + calls
                }
            }
            guard tick % 7 == 0, !state.refreshing else { return false }
            state.refreshing = true
            return true
        }
        let lanes = state.withLock { $0.lanes }
        var byLane: [Int: [KafkaOutgoingRecord]] = [:]
        for record in records {
            byLane[Self.lane(of: record.key ?? []), default: []].append(record)
        }
        for (lane, batch) in byLane { lanes[lane].yield(batch) }
        if refresh {
            Task { await self.refreshPlans() }
        }
    }

    /// The lane of a key: stable for the run, so one key's records go through one serial lane.
    static func lane(of key: [UInt8]) -> Int {
        Int(key.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 } % UInt32(laneCount))
    }

    private func record(_ complaint: Ledger.Complaint, lobbyManager: String, now: Timestamp) -> KafkaOutgoingRecord {
        switch complaint.source {
        case .branch:
            TestEvents.record(
                ComplaintLodged.V1(
                    complaintId: complaint.ref, branchId: complaint.branch, customerId: complaint.customerID,
                    channel: complaint.resolvedOnSpot ? .counter : .lobby, category: complaint.category,
                    summary: "reliability load", customerNeed: "an answer", receivedAt: complaint.receivedAt,
                    recordedBy: lobbyManager, resolvedOnSpot: complaint.resolvedOnSpot,
                    resolution: complaint.resolvedOnSpot ? "explained at the counter" : nil), time: now)
        case .callCentre:
            TestEvents.record(
                EscalationRaised.V1(
                    caseRef: complaint.ref, customerId: complaint.customerID, branchId: complaint.branch,
                    category: complaint.category, severity: complaint.critical ? .critical : .high,
                    summary: "reliability load", customerNeed: "a call back", receivedAt: complaint.receivedAt,
                    agentId: "AG-\(stack.runID)", firstLineAttempted: true), time: now)
        }
    }

    /// Publishes extra complaints outside the stream (the timer case's deadline and aged complaints); they are
    /// reconciled like the others.
    func publish(_ complaints: [Ledger.Complaint]) async throws {
        let now = calendar.now()
        let records = complaints.map { record($0, lobbyManager: lobbyManager($0.branch), now: now) }
        for result in await producer.send(records) { _ = try result.get() }
        state.withLock { $0.ledger.complaints += complaints }
    }

    /// Which customers have a plan (and so an owner engagement knows), from engagement's schema. A failed read
    /// (PostgreSQL down) keeps the previous answer.
    private func refreshPlans() async {
        defer { state.withLock { $0.refreshing = false } }
        var planned: [String: String] = [:]
        do {
            let rows = try await db.query(
                PostgresQuery(
                    unsafeSQL: "SELECT customer_id, manager_id FROM \(stack.schema("engagement")).plans WHERE status = 'active'"
                ))
            for try await (customer, manager) in rows.decode((String, String).self) { planned[customer] = manager }
        } catch {
            return
        }
        state.withLock { $0.planned = planned }
    }

    struct DriverError: Error, CustomStringConvertible {
        var description: String
    }
}
