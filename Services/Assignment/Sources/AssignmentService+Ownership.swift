import Events
import Foundation
import PostgresNIO
import ServiceKit

/// Giving customers owners (rulebook D-01, D-03, D-05): one unit of work inside one transaction, whatever started it
/// (a referral, an HR update, a profile, an HTTP request).
struct OwnershipWork {
    let repository: AssignmentRepository
    let outbox: EventOutbox
    let settings: AssignmentSettings
    let calendar: BusinessCalendar
    let now: Timestamp
    /// Supervisors by branch, looked up once per unit of work (a departure places hundreds of customers).
    private let supervisorCache = SupervisorCache()

    private final class SupervisorCache {
        var byBranch: [String: AssignmentRepository.Supervisors] = [:]
    }

    init(
        repository: AssignmentRepository, outbox: EventOutbox, settings: AssignmentSettings, calendar: BusinessCalendar,
        now: Timestamp
    ) {
        self.repository = repository
        self.outbox = outbox
        self.settings = settings
        self.calendar = calendar
        self.now = now
    }

    /// The service team for a customer of `tier` owned by `managerID` in `branchID` (A-16, B-03).
    func serviceTeam(managerID: String, branchID: String, tier: Tier?) async throws -> [String] {
        if let known = supervisorCache.byBranch[branchID] { return known.team(managerID: managerID, tier: tier) }
        let supervisors = try await repository.supervisors(branchID: branchID)
        supervisorCache.byBranch[branchID] = supervisors
        return supervisors.team(managerID: managerID, tier: tier)
    }

    /// A customer to place: new (no relationship yet), held, or owned by a manager who is leaving.
    struct Customer {
        var customerID: String
        var branchID: String
        var tier: Tier?
        var existing: AssignmentRepository.Relationship?
        /// The departure this placement is a handover for (D-05).
        var departure: AssignmentRepository.Departure?
        /// The referral that asked, for the capacity alert.
        var referralID: String?

        init(new customerID: String, branchID: String, tier: Tier?, referralID: String?) {
            self.customerID = customerID
            self.branchID = branchID
            self.tier = tier
            self.referralID = referralID
        }

        init(
            _ relationship: AssignmentRepository.Relationship, departure: AssignmentRepository.Departure?,
            referralID: String? = nil
        ) {
            customerID = relationship.customerID
            branchID = relationship.branchID
            tier = relationship.tier
            existing = relationship
            self.departure = departure ?? relationship.departure
            self.referralID = referralID
        }
    }

    /// Gives `customer` the next owner from `pool`; with nobody eligible, the centre head holds the customer (or
    /// nobody, when the directory has no centre head) and a capacity alert says so — unless `holdIfUnplaced` is
    /// false, in which case nothing changes.
    /// - Returns: the relationship afterwards; `nil` when another instance created it a moment ago (re-read it).
    @discardableResult
    func place(_ customer: Customer, from pool: inout ManagerPool, holdIfUnplaced: Bool = true) async throws
        -> AssignmentRepository.Relationship?
    {
        guard let choice = pool.choose(for: Segment(tier: customer.tier)) else {
            guard holdIfUnplaced else { return customer.existing }
            return try await hold(customer)
        }
        let managerID = choice.staffID
        let team = try await serviceTeam(managerID: managerID, branchID: customer.branchID, tier: customer.tier)
        let next = AssignmentRepository.Relationship(
            customerID: customer.customerID, managerID: managerID, branchID: customer.branchID, tier: customer.tier,
            serviceTeam: team, isHeld: false, assignedAt: now.date, departure: nil)
        let reason: AssignmentReason
        var previous: String?
        if let existing = customer.existing {
            reason = customer.departure == nil ? .new : .handover
            previous = customer.departure?.managerID
            try await repository.changeOwner(of: existing, to: next, reason: reason.rawValue, at: now)
        } else {
            reason = .new
            guard try await repository.create(next, reason: reason.rawValue, at: now) else { return nil }
        }
        if let departure = customer.departure {
            try await startHandover(customer.customerID, departure: departure, to: managerID)
        }
        try outbox.emit(
            ManagerAssigned.V1(
                customerId: customer.customerID, managerId: managerID, branchId: customer.branchID, tier: customer.tier,
                serviceTeam: team, reason: reason, previousManagerId: previous, at: now),
            time: now, subject: "customer/\(customer.customerID)")
        if case .overCap = choice {
            try alert(
                customer, heldBy: managerID,
                reason: "every eligible manager in \(customer.branchID) is at a cap (D-03, soft caps): "
                    + "\(managerID) goes over it")
        }
        return next
    }

    /// Makes `managerID` the owner, with the given reason, regardless of the pool (a transfer, D-08).
    func assign(
        _ customer: Customer, to managerID: String, reason: AssignmentReason, previous: String?
    ) async throws -> AssignmentRepository.Relationship? {
        let team = try await serviceTeam(managerID: managerID, branchID: customer.branchID, tier: customer.tier)
        let next = AssignmentRepository.Relationship(
            customerID: customer.customerID, managerID: managerID, branchID: customer.branchID, tier: customer.tier,
            serviceTeam: team, isHeld: false, assignedAt: now.date, departure: nil)
        if let existing = customer.existing {
            try await repository.changeOwner(of: existing, to: next, reason: reason.rawValue, at: now)
        } else {
            guard try await repository.create(next, reason: reason.rawValue, previous: previous, at: now) else {
                return nil
            }
        }
        try outbox.emit(
            ManagerAssigned.V1(
                customerId: customer.customerID, managerId: managerID, branchId: customer.branchID, tier: customer.tier,
                serviceTeam: team, reason: reason, previousManagerId: previous, at: now),
            time: now, subject: "customer/\(customer.customerID)")
        return next
    }

    /// The centre head holds the customer until a manager is free (D-01, D-04, A-11).
    private func hold(_ customer: Customer) async throws -> AssignmentRepository.Relationship? {
        let leaving = customer.departure?.managerID
        let holder = try await repository.firstActive(.centreHead, branchID: customer.branchID, excluding: leaving)
        let next = AssignmentRepository.Relationship(
            customerID: customer.customerID, managerID: holder, branchID: customer.branchID, tier: customer.tier,
            serviceTeam: holder.map { [$0] } ?? [], isHeld: true, assignedAt: now.date,
            departure: customer.departure)
        if let existing = customer.existing {
            if existing.managerID != next.managerID || !existing.isHeld || existing.departure != next.departure {
                try await repository.changeOwner(of: existing, to: next, reason: "held", at: now)
            }
        } else {
            guard try await repository.create(next, reason: "held", at: now) else { return nil }
        }
        var reason = "no eligible wealth manager with room in \(customer.branchID) (D-03 caps \(settings.capacity.total)"
        if settings.capacity.segmentCaps {
            reason += ", \(settings.capacity.standard) below / \(settings.capacity.high) from 1,000,000"
        }
        reason += ")"
        if let departure = customer.departure { reason += "; handover from \(departure.managerID) (D-05) waits" }
        reason += holder.map { "; held by centre head \($0)" } ?? "; no centre head in the directory to hold"
        try alert(customer, heldBy: holder, reason: reason)
        return next
    }

    func alert(_ customer: Customer, heldBy: String?, reason: String) throws {
        try outbox.emit(
            CapacityAlert.V1(
                alertId: UUID().uuidString.lowercased(), branchId: customer.branchID, customerId: customer.customerID,
                referralId: customer.referralID, reason: reason, heldBy: heldBy, at: now),
            time: now, subject: "customer/\(customer.customerID)")
    }

    /// Records the handover and announces it with the first-contact deadline: `ASSIGNMENT_FIRST_CONTACT_MONTHS`
    /// (one) after the departure took effect (D-05). An open handover of the same customer is superseded.
    private func startHandover(
        _ customerID: String, departure: AssignmentRepository.Departure, to managerID: String
    ) async throws {
        let handoverID = UUID()
        let effectiveAt = calendar.localized(departure.effectiveAt)
        let due = calendar.adding(months: settings.firstContactMonths, to: effectiveAt)
        try await repository.connection.query(
            """
            UPDATE handovers SET status = 'superseded' WHERE customer_id = \(customerID) AND status = 'open'
            """,
            logger: repository.logger)
        try await repository.connection.query(
            """
            INSERT INTO handovers (handover_id, customer_id, from_manager_id, to_manager_id, reason, effective_at,
                first_contact_due_at, started_at, status)
            VALUES (\(handoverID), \(customerID), \(departure.managerID), \(managerID), \(departure.reason),
                \(effectiveAt.date), \(due.date), \(now.date), 'open')
            """,
            logger: repository.logger)
        try outbox.emit(
            HandoverStarted.V1(
                handoverId: handoverID.uuidString.lowercased(), customerId: customerID,
                fromManagerId: departure.managerID, toManagerId: managerID, reason: departure.reason,
                effectiveAt: effectiveAt, firstContactDueAt: due, at: now),
            time: now, subject: "customer/\(customerID)")
    }
}

extension AssignmentService {
    func work(_ connection: PostgresConnection, _ outbox: EventOutbox, logger: Logger) -> OwnershipWork {
        OwnershipWork(
            repository: AssignmentRepository(connection: connection, logger: logger), outbox: outbox,
            settings: settings, calendar: context.calendar, now: context.calendar.now())
    }

    /// Tries to give every held customer of the branch an owner, high segment first, longest held first; those still
    /// without one stay held (no new alert), under the branch's current centre head.
    func placeHeldCustomers(branchID: String, work: OwnershipWork) async throws {
        let repository = work.repository
        try await repository.lockBranch(branchID)
        let held = try await repository.relationships(
            """
            SELECT \(unescaped: AssignmentRepository.relationshipColumns) FROM relationships
            WHERE branch_id = \(branchID) AND state = 'held'
            ORDER BY (tier IN ('B', 'C')) DESC NULLS LAST, assigned_at, customer_id
            """)
        guard !held.isEmpty else { return }
        var pool = try await repository.pool(branchID: branchID, policy: settings.capacity, at: work.now)
        let holder = try await repository.firstActive(.centreHead, branchID: branchID)
        for relationship in held {
            let placed = try await work.place(.init(relationship, departure: nil), from: &pool, holdIfUnplaced: false)
            if placed?.isHeld == true, relationship.managerID != holder {
                var next = relationship
                next.managerID = holder
                next.serviceTeam = holder.map { [$0] } ?? []
                try await repository.changeOwner(of: relationship, to: next, reason: "held", at: work.now)
            }
        }
    }
}
