import Events
import Foundation
import Logging
import PostgresNIO

/// Assignment's queries inside one transaction (a handler's, or an HTTP request's).
struct AssignmentRepository {
    /// A directory entry as assignment keeps it.
    struct StaffMember: Equatable {
        var staffID: String
        var branchID: String
        var role: String
        var status: String
        var coveringStaffID: String?
        var effectiveAt: Date

        /// Can own and serve customers: an active wealth manager.
        var servesCustomers: Bool { role == StaffRole.wealthManager.rawValue && status == StaffStatus.active.rawValue }
        var isOnLeave: Bool { status == StaffStatus.onLeave.rawValue }
    }

    /// A customer's relationship row.
    struct Relationship: Equatable {
        var customerID: String
        /// The owner; for a held customer, the holder (the centre head), or `nil` when there is none.
        var managerID: String?
        var branchID: String
        var tier: Tier?
        var serviceTeam: [String]
        var isHeld: Bool
        var assignedAt: Date
        /// The departure a held customer still needs a handover for.
        var departure: Departure?

        var segment: Segment { Segment(tier: tier) }
    }

    /// Why and since when a manager can no longer serve their customers.
    struct Departure: Equatable {
        var managerID: String
        var reason: String
        var effectiveAt: Timestamp
    }

    let connection: PostgresConnection
    let logger: Logger

    // MARK: - Locks

    /// Serialises every choice of owner in a branch across service instances until the transaction ends, so that two
    /// instances never both see room under a cap and both fill it (D-01, D-03).
    ///
    /// `shared`: for a transaction that only reads who owns a customer (a walk-in routed to its owner). Any number of
    /// those hold the branch at once; a change of owner (exclusive) waits for them, and they for it, so a routing
    /// never reads an owner that a handover in progress is replacing.
    func lockBranch(_ branchID: String, shared: Bool = false) async throws {
        if shared {
            try await connection.query(
                "SELECT pg_advisory_xact_lock_shared(hashtext('assignment.branch'), hashtext(\(branchID)))",
                logger: logger)
        } else {
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('assignment.branch'), hashtext(\(branchID)))", logger: logger)
        }
    }

    // MARK: - Directory

    static let staffColumns = "staff_id, branch_id, role, status, covering_staff_id, effective_at"

    func staff(_ staffID: String) async throws -> StaffMember? {
        try await staffMembers(
            "SELECT \(unescaped: Self.staffColumns) FROM staff WHERE staff_id = \(staffID)"
        ).first
    }

    func staffMembers(_ query: PostgresQuery) async throws -> [StaffMember] {
        var members: [StaffMember] = []
        for try await (id, branch, role, status, covering, effectiveAt) in try await connection.query(
            query, logger: logger
        ).decode((String, String, String, String, String?, Date).self) {
            members.append(
                StaffMember(
                    staffID: id, branchID: branch, role: role, status: status, coveringStaffID: covering,
                    effectiveAt: effectiveAt))
        }
        return members
    }

    /// The first active staff member of the branch with `role` (by staff id), other than `excluding`.
    func firstActive(_ role: StaffRole, branchID: String, excluding: String? = nil) async throws -> String? {
        let rows = try await connection.query(
            """
            SELECT staff_id FROM staff
            WHERE branch_id = \(branchID) AND role = \(role.rawValue) AND status = 'active'
                AND staff_id IS DISTINCT FROM \(excluding)
            ORDER BY staff_id LIMIT 1
            """,
            logger: logger
        ).collect()
        return try rows.first?.decode(String.self)
    }

    /// Who serves for an owner on leave (D-06): the colleague HR named, if active; else the branch's team lead; else
    /// its centre head (D-04, A-09, A-11).
    func cover(for owner: StaffMember) async throws -> String? {
        if let named = owner.coveringStaffID, try await staff(named)?.status == StaffStatus.active.rawValue {
            return named
        }
        if let lead = try await firstActive(.teamLead, branchID: owner.branchID, excluding: owner.staffID) {
            return lead
        }
        return try await firstActive(.centreHead, branchID: owner.branchID, excluding: owner.staffID)
    }

    /// A branch's sales supervisors (A-16), as the directory knows them: the first active of each role.
    struct Supervisors {
        var branch: String?
        var regional: String?

        /// The manager, plus the branch sales supervisor for tier B and C, plus the regional sales supervisor for
        /// tier C (rulebook A-16, B-03).
        func team(managerID: String, tier: Tier?) -> [String] {
            var team = [managerID]
            if tier == .b || tier == .c, let branch { team.append(branch) }
            if tier == .c, let regional { team.append(regional) }
            return team
        }
    }

    func supervisors(branchID: String) async throws -> Supervisors {
        Supervisors(
            branch: try await firstActive(.branchSalesSupervisor, branchID: branchID),
            regional: try await firstActive(.regionalSalesSupervisor, branchID: branchID))
    }

    /// The branch's eligible managers and their books (D-03, D-07, D-09): active wealth managers of the branch not
    /// under a removal ban at `now`.
    func pool(branchID: String, policy: CapacityPolicy, at now: Timestamp) async throws -> ManagerPool {
        var candidates: [ManagerPool.Candidate] = []
        for try await (staffID, standard, high, lastAssigned) in try await connection.query(
            """
            SELECT s.staff_id,
                count(r.customer_id) FILTER (WHERE r.tier IS NULL OR r.tier = 'A'),
                count(r.customer_id) FILTER (WHERE r.tier IN ('B', 'C')),
                s.last_assigned_at
            FROM staff s
            LEFT JOIN relationships r ON r.manager_id = s.staff_id AND r.state = 'owned'
            WHERE s.branch_id = \(branchID) AND s.role = 'wealth_manager' AND s.status = 'active'
                AND (s.banned_until IS NULL OR s.banned_until <= \(now.date))
            GROUP BY s.staff_id, s.last_assigned_at
            """,
            logger: logger
        ).decode((String, Int, Int, Date?).self) {
            candidates.append(
                .init(staffID: staffID, load: Load(standard: standard, high: high), lastAssigned: lastAssigned))
        }
        return ManagerPool(candidates: candidates, policy: policy)
    }

    /// What `staffID` owns now, per segment.
    func load(of staffID: String) async throws -> Load {
        let rows = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE tier IS NULL OR tier = 'A'), count(*) FILTER (WHERE tier IN ('B', 'C'))
            FROM relationships WHERE manager_id = \(staffID) AND state = 'owned'
            """,
            logger: logger
        ).collect()
        let (standard, high) = try rows[0].decode((Int, Int).self)
        return Load(standard: standard, high: high)
    }

    // MARK: - Relationships

    static let relationshipColumns = """
        customer_id, manager_id, branch_id, tier, service_team, state, assigned_at, departed_manager_id,
        departed_reason, departed_effective_at
        """

    func relationship(of customerID: String) async throws -> Relationship? {
        try await relationships(
            "SELECT \(unescaped: Self.relationshipColumns) FROM relationships WHERE customer_id = \(customerID)"
        ).first
    }

    func relationships(_ query: PostgresQuery) async throws -> [Relationship] {
        var result: [Relationship] = []
        for try await row in try await connection.query(query, logger: logger) {
            let (customer, manager, branch, tier, team, state, assignedAt, departed, reason, effectiveAt) =
                try row.decode((String, String?, String, String?, [String], String, Date, String?, String?, Date?).self)
            var departure: Departure?
            if let departed, let reason, let effectiveAt {
                departure = Departure(managerID: departed, reason: reason, effectiveAt: Timestamp(nearest: effectiveAt))
            }
            result.append(
                Relationship(
                    customerID: customer, managerID: manager, branchID: branch, tier: tier.flatMap(Tier.init),
                    serviceTeam: team, isHeld: state == "held", assignedAt: assignedAt, departure: departure))
        }
        return result
    }

    /// Creates the customer's relationship unless one exists. The primary key on `customer_id` is what guarantees a
    /// single owner (D-01), also across service instances.
    /// - Returns: `true` when this call created it.
    func create(_ relationship: Relationship, reason: String, previous: String? = nil, at time: Timestamp)
        async throws -> Bool
    {
        let inserted = try await connection.query(
            """
            INSERT INTO relationships (customer_id, manager_id, branch_id, tier, service_team, reason, assigned_at,
                state)
            VALUES (\(relationship.customerID), \(relationship.managerID), \(relationship.branchID),
                \(relationship.tier?.rawValue), \(relationship.serviceTeam), \(reason), \(time.date),
                \(relationship.isHeld ? "held" : "owned"))
            ON CONFLICT (customer_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect()
        guard !inserted.isEmpty else { return false }
        try await openPeriod(relationship, previous: previous, reason: reason, at: time)
        return true
    }

    /// Moves the customer to a new owner or holder: ends the current period in the history, starts the next one.
    func changeOwner(
        of relationship: Relationship, to next: Relationship, reason: String, at time: Timestamp
    ) async throws {
        try await connection.query(
            """
            UPDATE relationships SET manager_id = \(next.managerID), branch_id = \(next.branchID),
                tier = \(next.tier?.rawValue), service_team = \(next.serviceTeam),
                state = \(next.isHeld ? "held" : "owned"), reason = \(reason), assigned_at = \(time.date),
                departed_manager_id = \(next.departure?.managerID), departed_reason = \(next.departure?.reason),
                departed_effective_at = \(next.departure?.effectiveAt.date)
            WHERE customer_id = \(relationship.customerID)
            """,
            logger: logger)
        try await connection.query(
            """
            UPDATE relationship_history SET ended_at = \(time.date)
            WHERE customer_id = \(relationship.customerID) AND ended_at IS NULL
            """,
            logger: logger)
        try await openPeriod(next, previous: relationship.managerID, reason: reason, at: time)
    }

    private func openPeriod(_ relationship: Relationship, previous: String?, reason: String, at time: Timestamp)
        async throws
    {
        try await connection.query(
            """
            INSERT INTO relationship_history (customer_id, manager_id, previous_manager_id, branch_id, reason,
                started_at, state)
            VALUES (\(relationship.customerID), \(relationship.managerID), \(previous), \(relationship.branchID),
                \(reason), \(time.date), \(relationship.isHeld ? "held" : "owned"))
            """,
            logger: logger)
        if !relationship.isHeld, let manager = relationship.managerID {
            try await connection.query(
                "UPDATE staff SET last_assigned_at = \(time.date) WHERE staff_id = \(manager)", logger: logger)
        }
    }

    func updateTeam(of customerID: String, tier: Tier?, team: [String]) async throws {
        try await connection.query(
            """
            UPDATE relationships SET tier = \(tier?.rawValue), service_team = \(team)
            WHERE customer_id = \(customerID)
            """,
            logger: logger)
    }

    // MARK: - Notes (D-12)

    /// Adds a note to the customer's current period; `nil` when the customer has no relationship.
    func addNote(customerID: String, authorID: String, text: String, at time: Timestamp) async throws -> Int64? {
        let rows = try await connection.query(
            """
            INSERT INTO relationship_notes (customer_id, history_id, author_id, text, written_at)
            SELECT \(customerID), id, \(authorID), \(text), \(time.date) FROM relationship_history
            WHERE customer_id = \(customerID) AND ended_at IS NULL
            ORDER BY id DESC LIMIT 1
            RETURNING id
            """,
            logger: logger
        ).collect()
        return try rows.first?.decode(Int64.self)
    }
}
