import Events
import Logging
import PostgresNIO

/// Assignment's queries inside a handler's transaction.
struct AssignmentRepository {
    struct Owner: Equatable {
        var managerID: String
        var status: String
        var coveringStaffID: String?
    }

    let connection: PostgresConnection
    let logger: Logger

    func owner(of customerID: String) async throws -> Owner? {
        let rows = try await connection.query(
            """
            SELECT r.manager_id, coalesce(s.status, 'active'), s.covering_staff_id
            FROM relationships r LEFT JOIN staff s ON s.staff_id = r.manager_id
            WHERE r.customer_id = \(customerID)
            """,
            logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (manager, status, covering) = try row.decode((String, String, String?).self)
        return Owner(managerID: manager, status: status, coveringStaffID: covering)
    }

    /// The active wealth manager of the branch with the fewest customers and room under `capacity`; on a tie,
    /// the one whose last assignment is oldest (or who has none), then by staff id for a stable order.
    func leastLoadedManager(branchID: String, capacity: Int) async throws -> String? {
        let rows = try await connection.query(
            """
            SELECT s.staff_id
            FROM staff s
            LEFT JOIN (
                SELECT manager_id, count(*) AS customers, max(assigned_at) AS last_assigned
                FROM relationships GROUP BY manager_id
            ) load ON load.manager_id = s.staff_id
            WHERE s.branch_id = \(branchID) AND s.role = 'wealth_manager' AND s.status = 'active'
                AND coalesce(load.customers, 0) < \(capacity)
            ORDER BY coalesce(load.customers, 0), load.last_assigned NULLS FIRST, s.staff_id
            LIMIT 1
            """,
            logger: logger
        ).collect()
        return try rows.first?.decode(String.self)
    }

    func activeStaff(branchID: String, role: StaffRole) async throws -> [String] {
        let rows = try await connection.query(
            """
            SELECT staff_id FROM staff
            WHERE branch_id = \(branchID) AND role = \(role.rawValue) AND status = 'active'
            ORDER BY staff_id
            """,
            logger: logger
        ).collect()
        return try rows.map { try $0.decode(String.self) }
    }

    /// The manager, plus the branch sales supervisor for tier B and C, plus the regional sales supervisor for
    /// tier C (rulebook A-16, B-03), where the directory knows them.
    func serviceTeam(managerID: String, branchID: String, tier: Tier?) async throws -> [String] {
        var team = [managerID]
        if tier == .b || tier == .c {
            team += try await activeStaff(branchID: branchID, role: .branchSalesSupervisor).prefix(1)
        }
        if tier == .c {
            team += try await activeStaff(branchID: branchID, role: .regionalSalesSupervisor).prefix(1)
        }
        return team
    }

    /// Makes `managerID` the customer's owner unless someone already is. The primary key on `customer_id` is what
    /// guarantees a single owner (D-01), also across service instances.
    /// - Returns: `true` when this call created the relationship.
    func assign(
        customerID: String, managerID: String, branchID: String, tier: Tier?, team: [String], at time: Timestamp
    ) async throws -> Bool {
        let inserted = try await connection.query(
            """
            INSERT INTO relationships (customer_id, manager_id, branch_id, tier, service_team, reason, assigned_at)
            VALUES (\(customerID), \(managerID), \(branchID), \(tier?.rawValue), \(team), 'new', \(time.date))
            ON CONFLICT (customer_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect()
        guard !inserted.isEmpty else { return false }
        try await connection.query(
            """
            INSERT INTO relationship_history (customer_id, manager_id, branch_id, reason, started_at)
            VALUES (\(customerID), \(managerID), \(branchID), 'new', \(time.date))
            """,
            logger: logger)
        return true
    }
}
