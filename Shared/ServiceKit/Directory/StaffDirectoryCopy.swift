import Events
import Logging
import PostgresNIO

/// A service's own copy of the HR staff directory (`staff.directory`), in a table
/// `staff (staff_id PK, branch_id, role, status, effective_at)` of its schema. HR snapshots may arrive out of order:
/// the latest `effectiveAt` wins.
public enum StaffDirectoryCopy {
    public static func store(_ staff: StaffUpdated.V1, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO staff (staff_id, branch_id, role, status, effective_at)
            VALUES (\(staff.staffId), \(staff.branchId), \(staff.role.rawValue), \(staff.status.rawValue),
                \(staff.effectiveAt.date))
            ON CONFLICT (staff_id) DO UPDATE SET branch_id = EXCLUDED.branch_id, role = EXCLUDED.role,
                status = EXCLUDED.status, effective_at = EXCLUDED.effective_at
            WHERE staff.effective_at <= EXCLUDED.effective_at
            """,
            logger: logger)
    }
}
