import Events
import Foundation
import PostgresNIO
import ServiceKit

/// The durable timers of a case (F-02, F-04): the pre-breach warning, the missed acknowledgement, the missed reply
/// deadline and the rest of the ladder. Every step claims its cases with `FOR UPDATE SKIP LOCKED` and records itself
/// in the same transaction as its outbox events, so it happens once per case across instances and restarts; an aged
/// case climbs every step it is due for in one round.
extension ComplaintsService {
    /// What one round did.
    struct TimerRound: Equatable {
        var warned = 0
        var toCentreHead = 0
        var breached = 0
        var toBranch = 0
        var toHeadOffice = 0
    }

    static let batchSize = 500

    @discardableResult
    func runTimers(at now: Timestamp) async throws -> TimerRound {
        let calendar = context.calendar
        let today = calendar.businessDate(of: now)
        var round = TimerRound()
        round.warned = try await warn(at: now)
        // Not acknowledged by the end of the next working day: received on or before this day.
        round.toCentreHead = try await climb(
            to: .centreHead, at: now,
            reason: "not acknowledged by the end of working day \(settings.acknowledgeWorkingDays) after receipt",
            condition: """
                status = 'open' AND acknowledged_at IS NULL AND received_date <= \(
                    calendar.latestDay(settings.acknowledgeWorkingDays, workingDaysBefore: today.adding(days: -1))
                        .description)::date
                """)
        round.breached = try await breach(at: now)
        let branchDay = calendar.latestDay(settings.branchWorkingDays, workingDaysBefore: today)
        round.toBranch = try await climb(
            to: .branchVIPService, at: now,
            reason: "no reply \(settings.branchWorkingDays) working days after the deadline",
            condition: """
                status IN ('open', 'acknowledged') AND reply_due_at < \(now.date)
                    AND (reply_due_at AT TIME ZONE \(calendar.timeZone.identifier))::date <= \(branchDay.description)::date
                """)
        let headOfficeDay = calendar.latestDay(
            settings.branchWorkingDays + settings.headOfficeWorkingDays, workingDaysBefore: today)
        round.toHeadOffice = try await climb(
            to: .headOfficeService, at: now,
            reason: "no reply \(settings.branchWorkingDays + settings.headOfficeWorkingDays) working days after the "
                + "deadline",
            condition: """
                status IN ('open', 'acknowledged') AND reply_due_at < \(now.date)
                    AND (reply_due_at AT TIME ZONE \(calendar.timeZone.identifier))::date <= \(headOfficeDay.description)::date
                """)
        return round
    }

    /// `case-due-soon` once per reply cycle when `COMPLAINTS_WARN_PERCENT` of the reply time has gone unanswered.
    func warn(at now: Timestamp) async throws -> Int {
        guard settings.warnPercent > 0 else { return 0 }
        return try await context.withOutboxTransaction { connection, outbox in
            let rows = try await connection.query(
                """
                UPDATE cases SET warned_cycle = cycle
                WHERE case_id IN (
                    SELECT case_id FROM cases
                    WHERE status IN ('open', 'acknowledged') AND warned_cycle IS DISTINCT FROM cycle
                        AND reply_due_at > \(now.date)
                        AND cycle_started_at + (reply_due_at - cycle_started_at) * \(Double(settings.warnPercent) / 100)
                            <= \(now.date)
                    ORDER BY reply_due_at LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED)
                RETURNING case_id, owner_id, level, reply_due_at
                """,
                logger: context.logger)
            var count = 0
            for try await (caseID, owner, level, due) in rows.decode((UUID, String?, String, Date).self) {
                try outbox.emit(
                    CaseDueSoon.V1(
                        caseId: caseID.uuidString.lowercased(), ownerId: owner,
                        level: CaseLevel(rawValue: level) ?? .frontLine, replyDueAt: context.calendar.localized(due),
                        sharePercent: settings.warnPercent, at: now),
                    time: now, subject: CaseLedger.subject(caseID))
                count += 1
            }
            return count
        }
    }

    /// F-02, F-04: a reply deadline passed without a reply → `case-breached` once per reply cycle, and the sub-branch
    /// VIP group takes the case.
    func breach(at now: Timestamp) async throws -> Int {
        try await context.withOutboxTransaction { connection, outbox in
            let ledger = CaseLedger(connection: connection, outbox: outbox, logger: context.logger)
            let rows = try await connection.query(
                """
                UPDATE cases SET breached_cycle = cycle, ever_breached = true
                WHERE case_id IN (
                    SELECT case_id FROM cases
                    WHERE status IN ('open', 'acknowledged') AND breached_cycle IS DISTINCT FROM cycle
                        AND reply_due_at < \(now.date)
                    ORDER BY reply_due_at LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED)
                RETURNING case_id, owner_id, level, reply_due_at
                """,
                logger: context.logger
            ).collect()
            for row in rows {
                let (caseID, owner, level, due) = try row.decode((UUID, String?, String, Date).self)
                try await ledger.timeline(caseID, "breached", actor: nil, at: now, note: "no reply by the deadline")
                try outbox.emit(
                    CaseBreached.V1(
                        caseId: caseID.uuidString.lowercased(), by: owner, at: now,
                        replyDueAt: context.calendar.localized(due), level: CaseLevel(rawValue: level)),
                    time: now, subject: CaseLedger.subject(caseID))
                try await ledger.escalate(
                    caseID, to: .subbranchVIPGroup, reason: "reply deadline passed (F-02: three working days)", at: now)
            }
            return rows.count
        }
    }

    /// Takes every case matching `condition` (and not yet there) to `level`.
    private func climb(to level: CaseLevel, at now: Timestamp, reason: String, condition: PostgresQuery) async throws
        -> Int
    {
        try await context.withOutboxTransaction { connection, outbox in
            let ledger = CaseLedger(connection: connection, outbox: outbox, logger: context.logger)
            // The prefix binds nothing, so the condition's `$n` placeholders keep their numbers.
            var query = PostgresQuery(
                unsafeSQL: "SELECT case_id FROM cases WHERE NOT EXISTS (SELECT 1 FROM case_escalations e "
                    + "WHERE e.case_id = cases.case_id AND e.level = '\(level.rawValue)') AND ")
            query.sql += condition.sql
            query.binds = condition.binds
            query.sql += " ORDER BY received_at LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED"
            let rows = try await connection.query(query, logger: context.logger).collect()
            var moved = 0
            for row in rows where try await ledger.escalate(row.decode(UUID.self), to: level, reason: reason, at: now) {
                moved += 1
            }
            return moved
        }
    }
}
