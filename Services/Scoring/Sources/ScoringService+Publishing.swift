import Events
import Foundation
import PostgresNIO
import ServiceKit

/// Announcing closed periods: `branch-daily-stats` once a day is over (C-10: the lobby manager's end-of-day
/// report), `scorecard-published` once a month is over. Events read after a day was announced change its figures;
/// the day is then announced again with the next `revision`. A month's scorecards are announced again while the
/// correction window lasts, when their figures changed.
extension ScoringService {
    func publish(at now: Timestamp) async throws {
        try await publishDailyStats(at: now)
        try await publishScorecards(at: now)
    }

    /// The latest business day whose end is at least the grace period before `now`.
    func lastClosedDay(at now: Timestamp, grace: Duration) -> BusinessDate {
        context.calendar.businessDate(of: now.adding(.zero - grace)).adding(days: -1)
    }

    func publishDailyStats(at now: Timestamp) async throws {
        let closed = lastClosedDay(at: now, grace: settings.dayCloseGrace)
        while try await publishDailyBatch(through: closed, limit: 100) == 100 {}
    }

    /// Announces up to `limit` changed days, locking them so that instances never announce the same change twice.
    private func publishDailyBatch(through closed: BusinessDate, limit: Int) async throws -> Int {
        try await context.withOutboxTransaction { connection, outbox in
            let days = try await connection.query(
                """
                SELECT branch_id, business_date::text, version FROM branch_daily
                WHERE business_date <= \(closed.description)::date AND version > published_version
                ORDER BY business_date, branch_id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """,
                logger: context.logger
            ).decode((String, String, Int32).self).all()
            for (branchID, rawDate, version) in days {
                guard let date = BusinessDate(rawDate) else { continue }
                let daily = try await self.daily(branchID: branchID, date: date, on: connection)
                let revision = try await connection.query(
                    """
                    UPDATE branch_daily SET published_version = \(Int(version)), publications = publications + 1
                    WHERE branch_id = \(branchID) AND business_date = \(rawDate)::date
                    RETURNING publications
                    """,
                    logger: context.logger
                ).collect().first!.decode(Int32.self)
                try outbox.emit(
                    BranchDailyStats.V1(
                        branchId: branchID, date: date, vipsReceivedByManager: daily.vipsReceivedByManager,
                        vipsIdentifiedByLobby: daily.vipsIdentifiedByLobby,
                        vipsIdentifiedByTellers: .init(
                            cash: daily.vipsIdentifiedByTellers.cash, nonCash: daily.vipsIdentifiedByTellers.nonCash,
                            businessOfficer: daily.vipsIdentifiedByTellers.businessOfficer),
                        complaintsReceived: daily.complaintsReceived, at: context.calendar.now(),
                        vipsIdentifiedOther: daily.vipsIdentifiedOther,
                        potentialVipsIdentified: daily.potentialVipsIdentified, revision: Int(revision)),
                    subject: "branch/\(branchID)")
            }
            return days.count
        }
    }

    /// Scorecards of the latest closed month: each manager's first announcement, then (within the correction window)
    /// a new revision whenever the figures differ from the last one announced.
    func publishScorecards(at now: Timestamp) async throws {
        let month = Month(of: lastClosedDay(at: now, grace: settings.monthCloseGrace).adding(days: 1)).previous
        let today = context.calendar.businessDate(of: now)
        let correcting = today <= month.last.adding(days: 1 + settings.correctionDays)
        let (from, to) = (month.first.description, month.last.description)
        let managers = try await context.postgres.query(
            """
            SELECT staff_id FROM staff WHERE role IN ('wealth_manager', 'marketing_manager')
                AND (status IN ('active', 'on_leave') OR effective_at > \(context.calendar.startOfDay(month.first).date))
            UNION SELECT manager_id FROM sales WHERE manager_id IS NOT NULL AND sold_date BETWEEN \(from)::date AND \(to)::date
            UNION SELECT manager_id FROM contacts WHERE contact_date BETWEEN \(from)::date AND \(to)::date
            UNION SELECT manager_id FROM tasks WHERE manager_id IS NOT NULL AND due_date BETWEEN \(from)::date AND \(to)::date
            UNION SELECT manager_id FROM manager_daily WHERE business_date BETWEEN \(from)::date AND \(to)::date
            ORDER BY 1
            """,
            logger: context.logger
        ).decode(String.self).all()
        for staffID in managers {
            let published = try await context.postgres.query(
                "SELECT revision, fingerprint FROM scorecard_publications WHERE staff_id = \(staffID) AND month = \(month.description)",
                logger: context.logger
            ).decode((Int32, String).self).all().first
            guard published == nil || correcting else { continue }
            let card = try await scorecard(staffID: staffID, month: month, now: now)
            let kpis = Self.kpis(of: card)
            let fingerprint = kpis.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            guard fingerprint != published?.1 else { continue }
            try await context.withOutboxTransaction { connection, outbox in
                // The conditional write claims the revision: a concurrent instance finds nothing to do.
                let claimed = try await connection.query(
                    """
                    INSERT INTO scorecard_publications (staff_id, month, revision, fingerprint, published_at)
                    VALUES (\(staffID), \(month.description), 1, \(fingerprint), \(now.date))
                    ON CONFLICT (staff_id, month) DO UPDATE SET revision = scorecard_publications.revision + 1,
                        fingerprint = EXCLUDED.fingerprint, published_at = EXCLUDED.published_at
                    WHERE scorecard_publications.fingerprint <> EXCLUDED.fingerprint
                        AND scorecard_publications.revision = \(Int(published?.0 ?? 0))
                    RETURNING revision
                    """,
                    logger: context.logger
                ).decode(Int32.self).all().first
                guard let revision = claimed else { return }
                try outbox.emit(
                    ScorecardPublished.V1(
                        staffId: staffID, month: month.description, at: context.calendar.now(), kpis: kpis,
                        branchId: card.branchId, revision: Int(revision)),
                    subject: "staff/\(staffID)")
            }
        }
    }

    /// The scorecard's figures as the event's `kpis` map (amounts and ratios as decimal strings).
    static func kpis(of card: ScorecardView) -> [String: String] {
        var kpis: [String: String] = [
            "simulatedProfit.depositProfit": card.simulatedProfit.depositProfit.decimalString,
            "simulatedProfit.wealthProfit": card.simulatedProfit.wealthProfit.decimalString,
            "simulatedProfit.feeIncome": card.simulatedProfit.feeIncome.decimalString,
            "simulatedProfit.total": card.simulatedProfit.total.decimalString,
            "simulatedProfit.sales": "\(card.simulatedProfit.sales)",
            "workingDays": "\(card.period.workingDays)",
            "activity.contacts": "\(card.activity.contacts)",
            "activity.proactiveContacts": "\(card.activity.proactiveContacts)",
            "activity.meetings": "\(card.activity.meetings)",
            "cadence.customers": "\(card.cadence.customers)",
            "cadence.onTrack": "\(card.cadence.onTrack)",
            "tasks.due": "\(card.tasks.due)",
            "tasks.doneOnTime": "\(card.tasks.doneOnTime)",
            "tasks.doneLate": "\(card.tasks.doneLate)",
            "tasks.open": "\(card.tasks.open)",
            "walkIns.vips": "\(card.walkIns.vips)",
            "walkIns.potentials": "\(card.walkIns.potentials)",
            "complaintsAboutCustomers": "\(card.complaintsAboutCustomers)",
            "compliance.breaches": "\(card.compliance.breaches)",
            "annual.complete": "\(card.annual.complete)",
        ]
        let optional: [(String, Double?)] = [
            ("activity.contactsPerWorkingDay", card.activity.perWorkingDay.contacts),
            ("activity.proactivePerWorkingDay", card.activity.perWorkingDay.proactive),
            ("activity.meetingsPerWorkingDay", card.activity.perWorkingDay.meetings),
            ("cadence.onTrackPercent", card.cadence.onTrackPercent),
            ("tasks.onTimePercent", card.tasks.onTimePercent),
            ("annual.composite", card.annual.composite),
        ]
        for (name, value) in optional {
            if let value { kpis[name] = "\(value)" }
        }
        for (name, met) in card.activity.normMet { kpis["activity.normMet.\(name)"] = "\(met)" }
        if let assessment = card.assessment {
            for (name, score) in assessment.items.all { kpis["assessment.\(name)"] = "\(score)" }
        }
        return kpis
    }
}

extension Month {
    var previous: Month { month == 1 ? Month(year: year - 1, month: 12) : Month(year: year, month: month - 1) }
}
