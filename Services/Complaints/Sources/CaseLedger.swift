import Events
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// A case's records inside one transaction: its timeline (F-07: every action, with who and when), the staff who own
/// it, and the escalation ladder (F-04), each step once per case.
struct CaseLedger {
    let connection: PostgresConnection
    let outbox: EventOutbox
    let logger: Logger

    static func subject(_ caseID: UUID) -> String { "case/\(caseID.uuidString.lowercased())" }

    func timeline(_ caseID: UUID, _ action: String, actor: String?, at: Timestamp, note: String?) async throws {
        try await connection.query(
            """
            INSERT INTO case_timeline (case_id, action, actor, at, note)
            VALUES (\(caseID), \(action), \(actor), \(at.date), \(note))
            """,
            logger: logger)
    }

    /// The first active staff member of the branch with `role`, by staff id.
    func firstActive(_ role: StaffRole, branchID: String) async throws -> String? {
        let rows = try await connection.query(
            """
            SELECT staff_id FROM staff WHERE branch_id = \(branchID) AND role = \(role.rawValue) AND status = 'active'
            ORDER BY staff_id LIMIT 1
            """,
            logger: logger
        ).collect()
        return try rows.first?.decode(String.self)
    }

    /// The ladder's order (F-04).
    static let ladder: [CaseLevel] = [
        .frontLine, .centreHead, .subbranchVIPGroup, .branchVIPService, .headOfficeService,
    ]

    /// Takes the case up the ladder to `level`, one rung at a time: the chain is fixed (F-04), so a case that skips a
    /// timer (acknowledged in time, then not replied) still passes each rung below, and every rung is announced by its
    /// own `case-escalated`, in order. Each rung happens once per case: the case row is locked first, so concurrent
    /// rounds see each other's steps, and a primary key on (case, level) records it. The centre head becomes the owner
    /// at their rung; the higher rungs are teams, so the owner stays and is told.
    /// - Returns: whether the case moved up.
    @discardableResult
    func escalate(_ caseID: UUID, to level: CaseLevel, reason: String, at now: Timestamp) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT level, branch_id, owner_id FROM cases WHERE case_id = \(caseID) FOR UPDATE", logger: logger
        ).collect()
        guard let row = rows.first else { return false }
        let (current, branchID, owner) = try row.decode((String, String?, String?).self)
        guard let from = CaseLevel(rawValue: current).flatMap(Self.ladder.firstIndex(of:)),
            let target = Self.ladder.firstIndex(of: level), target > from
        else { return false }
        var previous = Self.ladder[from]
        var currentOwner = owner
        for rung in Self.ladder[(from + 1)...target] {
            let claimed = try await connection.query(
                """
                INSERT INTO case_escalations (case_id, level, reason, at)
                VALUES (\(caseID), \(rung.rawValue), \(reason), \(now.date))
                ON CONFLICT (case_id, level) DO NOTHING
                RETURNING 1
                """,
                logger: logger
            ).collect()
            if !claimed.isEmpty {
                var newOwner: String?
                if rung == .centreHead, let branchID { newOwner = try await firstActive(.centreHead, branchID: branchID) }
                currentOwner = newOwner ?? currentOwner
                let why = rung == level ? reason : "\(reason); the chain passes \(rung.rawValue) first (F-04)"
                try await timeline(
                    caseID, "escalated", actor: nil, at: now,
                    note: "\(previous.rawValue) → \(rung.rawValue): \(why)" + (newOwner.map { "; owner \($0)" } ?? ""))
                try outbox.emit(
                    CaseEscalated.V1(
                        caseId: caseID.uuidString.lowercased(), fromLevel: previous, toLevel: rung, reason: why, at: now,
                        ownerId: rung == .centreHead ? currentOwner : nil),
                    time: now, subject: Self.subject(caseID))
            }
            previous = rung
        }
        try await connection.query(
            """
            UPDATE cases SET level = \(level.rawValue), owner_id = \(currentOwner) WHERE case_id = \(caseID)
            """,
            logger: logger)
        return true
    }
}
