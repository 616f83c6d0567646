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

    /// Takes the case to `level` unless it has been there: the step is recorded once per case (a primary key), the
    /// level only ever rises, and `case-escalated` announces it. The centre head becomes the owner at their level;
    /// the higher levels are teams, so the owner stays and is told.
    /// - Returns: whether the case moved up.
    @discardableResult
    func escalate(_ caseID: UUID, to level: CaseLevel, reason: String, at now: Timestamp) async throws -> Bool {
        let claimed = try await connection.query(
            """
            INSERT INTO case_escalations (case_id, level, reason, at) VALUES (\(caseID), \(level.rawValue), \(reason),
                \(now.date))
            ON CONFLICT (case_id, level) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect()
        guard !claimed.isEmpty else { return false }
        let rows = try await connection.query(
            "SELECT level, branch_id, owner_id FROM cases WHERE case_id = \(caseID) FOR UPDATE", logger: logger
        ).collect()
        guard let row = rows.first else { return false }
        let (current, branchID, owner) = try row.decode((String, String?, String?).self)
        let from = CaseLevel(rawValue: current) ?? .frontLine
        guard let rank = Self.ladder.firstIndex(of: level), let fromRank = Self.ladder.firstIndex(of: from),
            rank > fromRank
        else { return false }
        var newOwner: String?
        if level == .centreHead, let branchID { newOwner = try await firstActive(.centreHead, branchID: branchID) }
        try await connection.query(
            """
            UPDATE cases SET level = \(level.rawValue), owner_id = coalesce(\(newOwner), owner_id)
            WHERE case_id = \(caseID)
            """,
            logger: logger)
        try await timeline(
            caseID, "escalated", actor: nil, at: now,
            note: "\(from.rawValue) → \(level.rawValue): \(reason)" + (newOwner.map { "; owner \($0)" } ?? ""))
        try outbox.emit(
            CaseEscalated.V1(
                caseId: caseID.uuidString.lowercased(), fromLevel: from, toLevel: level, reason: reason, at: now,
                ownerId: newOwner ?? (level == .centreHead ? owner : nil)),
            time: now, subject: Self.subject(caseID))
        return true
    }
}
