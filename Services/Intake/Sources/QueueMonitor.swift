import Events
import Foundation
import PostgresNIO
import ServiceKit

/// Waiting-time control of the referral queue (rulebook C-03, C-04).
///
/// Safe with several instances: each alert is claimed by a row update or insert in the same transaction as its
/// outbox event, so exactly one instance raises it.
extension IntakeService {
    /// Raises the queue alerts due at `now` and returns them:
    /// - `long_wait` once per referral whose customer has waited longer than `INTAKE_QUEUE_WAIT_LIMIT_MINUTES`
    ///   since the referral was requested without a manager starting to serve (C-03);
    /// - `stalled_queue` once per episode when a branch has referred customers waiting and no visit has been served
    ///   there for `INTAKE_QUEUE_STALL_MINUTES`, counted from the later of the last visit served and the oldest
    ///   waiting referral (C-04).
    ///
    /// Only today's referrals at the branch itself count; referrals passed to a designated centre (C-08) are leads,
    /// not a queue.
    @discardableResult
    func checkQueues(at now: Timestamp) async throws -> [QueueAlert.V1] {
        let today = context.calendar.businessDate(of: now).description
        let waitCutoff = Date(timeIntervalSince1970: Double(now.millisecondsSinceEpoch) / 1000)
            .addingTimeInterval(-settings.queueWaitLimit.seconds)
        let stallCutoff = Date(timeIntervalSince1970: Double(now.millisecondsSinceEpoch) / 1000)
            .addingTimeInterval(-settings.queueStallLimit.seconds)
        return try await context.withOutboxTransaction { connection, outbox in
            var alerts: [QueueAlert.V1] = []
            let waits = try await connection.query(
                """
                UPDATE visits SET wait_alerted_at = \(now.date)
                WHERE status IN ('referral_requested', 'referral_routed') AND designated_centre_id IS NULL
                    AND wait_alerted_at IS NULL AND business_date = \(today)::date
                    AND referral_requested_at < \(waitCutoff)
                RETURNING visit_id, branch_id, customer_id, referral_id, classification, tier, referral_requested_at
                """,
                logger: context.logger)
            for try await (visitID, branchID, customerID, referralID, classification, tier, requestedAt) in waits.decode(
                (String, String, String?, UUID, String, String?, Date).self)
            {
                let minutes = Self.minutes(from: requestedAt, to: now)
                let level = Classification(rawValue: classification)
                let who = level == .vip ? "VIP\(tier.map { " (tier \($0))" } ?? "")" : "potential VIP"
                alerts.append(
                    QueueAlert.V1(
                        alertId: UUID().uuidString.lowercased(), branchId: branchID, kind: "long_wait",
                        detail: "\(who) waiting \(minutes) minutes for a manager; limit "
                            + "\(Int(settings.queueWaitLimit.seconds / 60)) (C-03)",
                        at: now, visitId: visitID, referralId: referralID.uuidString.lowercased(),
                        customerId: customerID, waitingMinutes: minutes, classification: level,
                        tier: tier.flatMap(Tier.init(rawValue:))))
            }

            let stalls = try await connection.query(
                """
                WITH waiting AS (
                    SELECT branch_id, count(*) AS waiting, min(referral_requested_at) AS oldest FROM visits
                    WHERE status IN ('referral_requested', 'referral_routed') AND designated_centre_id IS NULL
                        AND business_date = \(today)::date
                    GROUP BY branch_id),
                served AS (
                    SELECT branch_id, max(served_at) AS last_served FROM visits
                    WHERE business_date = \(today)::date AND served_at IS NOT NULL
                    GROUP BY branch_id)
                SELECT w.branch_id, w.waiting, greatest(w.oldest, s.last_served) AS since
                FROM waiting w LEFT JOIN served s USING (branch_id)
                WHERE greatest(w.oldest, s.last_served) <= \(stallCutoff)
                ORDER BY w.branch_id
                """,
                logger: context.logger
            ).collect()
            for row in stalls {
                let (branchID, waiting, since) = try row.decode((String, Int64, Date).self)
                let claimed = try await connection.query(
                    """
                    INSERT INTO stalled_queue_alerts (branch_id, stalled_since, alerted_at)
                    VALUES (\(branchID), \(since), \(now.date))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """,
                    logger: context.logger
                ).collect()
                guard !claimed.isEmpty else { continue }
                let minutes = Self.minutes(from: since, to: now)
                alerts.append(
                    QueueAlert.V1(
                        alertId: UUID().uuidString.lowercased(), branchId: branchID, kind: "stalled_queue",
                        detail: "\(waiting) referred customer(s) waiting and no visit served for \(minutes) minutes; "
                            + "limit \(Int(settings.queueStallLimit.seconds / 60)) (C-04)",
                        at: now, waitingCount: Int(waiting), minutesSinceLastServed: minutes))
            }
            for alert in alerts {
                _ = try outbox.emit(alert, time: now, subject: alert.visitId.map { "visit/\($0)" } ?? "branch/\(alert.branchId)")
                context.logger.warning(
                    "queue alert",
                    metadata: ["branch.id": "\(alert.branchId)", "alert.kind": "\(alert.kind)",
                        "waiting.minutes": "\(alert.waitingMinutes ?? alert.minutesSinceLastServed ?? 0)"])
            }
            return alerts
        }
    }

    static func minutes(from start: Date, to now: Timestamp) -> Int {
        max(0, Int((now.millisecondsSinceEpoch - Int64((start.timeIntervalSince1970 * 1000).rounded())) / 60_000))
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
