import Events
import ServiceKit

/// The tasks a routed walk-in referral puts on the manager's agenda.
public enum WalkInPlan {
    public struct PlannedTask: Sendable, Equatable {
        public var kind: TaskKind
        public var dueAt: Timestamp
        public var ruleID: String
        public var title: String
    }

    /// - `receive_walkin`: receive the customer, due `receiveWalkInDue` after the referral (C-06);
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
                kind: .receiveWalkIn, dueAt: receiveBy, ruleID: "C-06",
                title: "Receive the referred VIP walk-in"),
            PlannedTask(
                kind: .followUp, dueAt: calendar.endOfDay(followUpDay), ruleID: "C-05",
                title: "Follow up the walk-in visit"),
        ]
    }
}
