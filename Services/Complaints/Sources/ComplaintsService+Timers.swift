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
        var round = TimerRound()
        round.warned = try await warn(at: now)
        let ladder = try await climbLadder(at: now)
        round.toCentreHead = ladder.toCentreHead
        round.breached = ladder.breached
        round.toBranch = ladder.toBranch
        round.toHeadOffice = ladder.toHeadOffice
        return round
    }

    /// The ladder (F-02, F-04), decided per case from one view of it, in one transaction: a case is due for the
    /// centre head when nobody acknowledged it by the end of working day `COMPLAINTS_ACK_WORKING_DAYS` after its
    /// receipt; for `case-breached` and the sub-branch VIP group when its reply deadline passed in this reply cycle;
    /// for the branch VIP service `COMPLAINTS_ESCALATE_BRANCH_WORKING_DAYS` working days after the deadline's day; for
    /// head office `COMPLAINTS_ESCALATE_HEAD_OFFICE_WORKING_DAYS` more. A case due for several steps takes them in
    /// that order, each once.
    func climbLadder(at now: Timestamp) async throws -> TimerRound {
        let calendar = context.calendar
        let today = calendar.businessDate(of: now)
        // The latest days of receipt / deadline for which each step is due today.
        let ackDay = calendar.latestDay(settings.acknowledgeWorkingDays, workingDaysBefore: today.adding(days: -1))
        let branchDay = calendar.latestDay(settings.branchWorkingDays, workingDaysBefore: today)
        let headOfficeDay = calendar.latestDay(
            settings.branchWorkingDays + settings.headOfficeWorkingDays, workingDaysBefore: today)
        let zone = calendar.timeZone.identifier
        return try await context.withOutboxTransaction { connection, outbox in
            let ledger = CaseLedger(connection: connection, outbox: outbox, logger: context.logger)
            let due = try await connection.query(
                """
                SELECT case_id, reply_due_at,
                    acknowledged_at IS NULL AND received_date <= \(ackDay.description)::date
                        AND NOT EXISTS (SELECT 1 FROM case_escalations e WHERE e.case_id = c.case_id
                            AND e.level = 'centre_head'),
                    reply_due_at < \(now.date) AND breached_cycle IS DISTINCT FROM cycle,
                    reply_due_at < \(now.date)
                        AND (reply_due_at AT TIME ZONE \(zone))::date <= \(branchDay.description)::date,
                    reply_due_at < \(now.date)
                        AND (reply_due_at AT TIME ZONE \(zone))::date <= \(headOfficeDay.description)::date
                FROM cases c
                WHERE status IN ('open', 'acknowledged') AND (
                    (acknowledged_at IS NULL AND received_date <= \(ackDay.description)::date
                        AND NOT EXISTS (SELECT 1 FROM case_escalations e WHERE e.case_id = c.case_id
                            AND e.level = 'centre_head'))
                    OR (reply_due_at < \(now.date) AND breached_cycle IS DISTINCT FROM cycle)
                    OR ((reply_due_at AT TIME ZONE \(zone))::date <= \(branchDay.description)::date
                        AND reply_due_at < \(now.date) AND level <> 'branch_vip_service'
                        AND level <> 'head_office_service')
                    OR ((reply_due_at AT TIME ZONE \(zone))::date <= \(headOfficeDay.description)::date
                        AND reply_due_at < \(now.date) AND level <> 'head_office_service'))
                ORDER BY received_at, case_id LIMIT \(Self.batchSize) FOR UPDATE SKIP LOCKED
                """,
                logger: context.logger
            ).collect()
            var round = TimerRound()
            for row in due {
                let (caseID, replyDue, ackMissed, breached, toBranch, toHeadOffice) = try row.decode(
                    (UUID, Date, Bool, Bool, Bool, Bool).self)
                if ackMissed,
                    try await ledger.escalate(
                        caseID, to: .centreHead,
                        reason: "not acknowledged by the end of working day \(settings.acknowledgeWorkingDays) "
                            + "after receipt", at: now)
                {
                    round.toCentreHead += 1
                }
                if breached {
                    try await breach(caseID, replyDue: replyDue, ledger: ledger, at: now)
                    round.breached += 1
                }
                if toBranch,
                    try await ledger.escalate(
                        caseID, to: .branchVIPService,
                        reason: "no reply \(settings.branchWorkingDays) working days after the deadline", at: now)
                {
                    round.toBranch += 1
                }
                if toHeadOffice,
                    try await ledger.escalate(
                        caseID, to: .headOfficeService,
                        reason: "no reply \(settings.branchWorkingDays + settings.headOfficeWorkingDays) working "
                            + "days after the deadline", at: now)
                {
                    round.toHeadOffice += 1
                }
            }
            return round
        }
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

    /// F-02, F-04: the reply deadline passed without a reply → `case-breached` once per reply cycle, and the
    /// sub-branch VIP group takes the case.
    private func breach(_ caseID: UUID, replyDue: Date, ledger: CaseLedger, at now: Timestamp)
        async throws
    {
        let rows = try await ledger.connection.query(
            """
            UPDATE cases SET breached_cycle = cycle, ever_breached = true WHERE case_id = \(caseID)
            RETURNING level, owner_id
            """,
            logger: context.logger
        ).collect()
        let (level, owner) = try rows.first?.decode((String, String?).self) ?? (CaseLevel.frontLine.rawValue, nil)
        try await ledger.timeline(caseID, "breached", actor: nil, at: now, note: "no reply by the deadline")
        try ledger.outbox.emit(
            CaseBreached.V1(
                caseId: caseID.uuidString.lowercased(), by: owner, at: now,
                replyDueAt: context.calendar.localized(replyDue), level: CaseLevel(rawValue: level)),
            time: now, subject: CaseLedger.subject(caseID))
        try await ledger.escalate(
            caseID, to: .subbranchVIPGroup,
            reason: "reply deadline passed (F-02: \(settings.replyWorkingDays) working days)", at: now)
    }
}
