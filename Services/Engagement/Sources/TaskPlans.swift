import Events
import Foundation
import ServiceKit

/// A task to put on an agenda, before it is stored.
public struct PlannedTask: Sendable, Equatable {
    public var kind: TaskKind
    public var dueAt: Timestamp
    public var ruleID: String
    public var title: String
    /// Tells apart several tasks of one kind from one event (a plan's four proactive contacts).
    public var seq: Int = 0
    /// In a year's plan: `proactive_contact`, `meeting`, `maintenance` or `review`; the agenda may move these.
    public var cadenceRole: CadenceRole? = nil

    public enum CadenceRole: String, Sendable, Equatable {
        case proactiveContact = "proactive_contact"
        case meeting
        case maintenance
        case review
    }
}

/// The tasks a routed walk-in referral puts on the manager's agenda (C-05, C-06, E-10).
public enum WalkInPlan {
    /// - `receive_walkin`: receive the customer, due `receiveWalkInDue` after the referral (C-06);
    /// - `record_visit`: record the visit, by the end of the visit day (C-05; E-04 "record promptly", E-10 日终);
    /// - `follow_up`: follow up, due by the end of the `followUpWorkingDays`-th working day after the visit day
    ///   (C-05, E-09).
    public static func tasks(referredAt: Timestamp, settings: EngagementSettings, calendar: BusinessCalendar)
        -> [PlannedTask]
    {
        let visitDay = calendar.businessDate(of: referredAt)
        let followUpDay = calendar.workingDay(settings.followUpWorkingDays, after: visitDay)
        let receiveBy = calendar.localized(referredAt.adding(settings.receiveWalkInDue))
        return [
            PlannedTask(
                kind: .receiveWalkIn, dueAt: receiveBy, ruleID: "C-06", title: "Receive the referred VIP walk-in"),
            PlannedTask(
                kind: .recordVisit, dueAt: calendar.endOfDay(visitDay), ruleID: "C-05",
                title: "Record the visit in the customer's file"),
            PlannedTask(
                kind: .followUp, dueAt: calendar.endOfDay(followUpDay), ruleID: "C-05",
                title: "Follow up the walk-in visit"),
        ]
    }
}

/// A customer's maintenance plan for a year (E-03, E-05): the tier's services spread evenly over the year on
/// working days, and a portfolio review every `reviewMonths` months.
public enum CadencePlan {
    /// The plan for a customer of `tier` whose year starts at `start`.
    ///
    /// Service `i` of `n` falls `(i + 1) × 365 / n` days after the start day, moved to the next working day when it
    /// is not one. Meetings are spread evenly among the slots, then the proactive contacts among the rest; the other
    /// maintenance services take what is left. Reviews fall every `reviewMonths` calendar months, the last at the
    /// end of the year.
    public static func tasks(tier: Tier, from start: Timestamp, settings: EngagementSettings, calendar: BusinessCalendar)
        -> [PlannedTask]
    {
        let cadence = settings.cadence(for: tier)
        let startDay = calendar.businessDate(of: start)
        let roles = roles(cadence)
        var tasks: [PlannedTask] = []
        var seqByKind: [TaskKind: Int] = [:]
        for (index, role) in roles.enumerated() {
            let offset = Int((Double(index + 1) * 365 / Double(roles.count)).rounded())
            let day = calendar.workingDay(0, after: startDay.adding(days: offset))
            let kind: TaskKind = role == .meeting ? .maintenanceMeeting : .maintenanceContact
            let seq = seqByKind[kind, default: 0]
            seqByKind[kind] = seq + 1
            tasks.append(
                PlannedTask(
                    kind: kind, dueAt: calendar.endOfDay(day), ruleID: "E-03", title: title(role, tier: tier),
                    seq: seq, cadenceRole: role))
        }
        var month = settings.reviewMonths
        var review = 0
        while month <= 12 {
            let day = calendar.workingDay(0, after: calendar.businessDate(of: calendar.adding(months: month, to: start)))
            tasks.append(
                PlannedTask(
                    kind: .portfolioReview, dueAt: calendar.endOfDay(day), ruleID: "E-05",
                    title: "Review the portfolio and the asset-allocation plan with the customer", seq: review,
                    cadenceRole: .review))
            review += 1
            month += settings.reviewMonths
        }
        return tasks.sorted { ($0.dueAt.millisecondsSinceEpoch, $0.kind.rawValue) < ($1.dueAt.millisecondsSinceEpoch, $1.kind.rawValue) }
    }

    /// The role of each of the year's slots, in order.
    static func roles(_ cadence: EngagementSettings.Cadence) -> [PlannedTask.CadenceRole] {
        let count = cadence.total
        var roles = [PlannedTask.CadenceRole?](repeating: nil, count: count)
        for slot in spread(cadence.meetings, over: count) { roles[slot] = .meeting }
        let free = roles.indices.filter { roles[$0] == nil }
        for index in spread(cadence.proactiveContacts, over: free.count) { roles[free[index]] = .proactiveContact }
        return roles.map { $0 ?? .maintenance }
    }

    /// `count` positions evenly among `slots`: the middle of each of `count` equal stretches.
    static func spread(_ count: Int, over slots: Int) -> [Int] {
        guard count > 0, slots > 0 else { return [] }
        return (0..<min(count, slots)).map { min(slots - 1, Int((Double($0) + 0.5) * Double(slots) / Double(count))) }
    }

    static func title(_ role: PlannedTask.CadenceRole, tier: Tier) -> String {
        switch role {
        case .proactiveContact: "Proactive contact (tier \(tier.rawValue) maintenance, E-03)"
        case .meeting: "Meeting with the customer (tier \(tier.rawValue) maintenance, E-03)"
        case .maintenance:
            "Maintenance service (tier \(tier.rawValue), E-03: counted by the source, kind not stated)"
        case .review: "Portfolio review (E-05)"
        }
    }
}

/// When the other tasks are due.
public enum TaskTimes {
    /// The end of the `workingDays`-th working day after the day of `instant`.
    public static func endOfWorkingDay(_ workingDays: Int, after instant: Timestamp, calendar: BusinessCalendar)
        -> Timestamp
    {
        calendar.endOfDay(calendar.workingDay(workingDays, after: calendar.businessDate(of: instant)))
    }

    /// Appointment confirmations (E-07, E-08): the end of the working day before the appointment day, and the
    /// morning of the day itself (at `morningConfirmationMinutes`, or at the appointment if that is earlier).
    public static func appointmentConfirmations(
        at appointment: Timestamp, settings: EngagementSettings, calendar: BusinessCalendar
    ) -> (dayBefore: Timestamp, morning: Timestamp) {
        let day = calendar.businessDate(of: appointment)
        var before = day.adding(days: -1)
        while !calendar.isWorkingDay(before) { before = before.adding(days: -1) }
        let morning = calendar.startOfDay(day).adding(milliseconds: Int64(settings.morningConfirmationMinutes) * 60_000)
        let dueMorning =
            morning.millisecondsSinceEpoch <= appointment.millisecondsSinceEpoch
            ? morning : calendar.localized(appointment)
        return (calendar.endOfDay(before), dueMorning)
    }
}
