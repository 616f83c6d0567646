import Events
import Foundation
import ServiceKit

/// Engagement's timings and limits (rulebook C-05, C-06, D-05, E-03…E-09, F-05), all configurable; see
/// `docs/engagement.md`.
public struct EngagementSettings: Sendable {
    /// The services a year's plan holds for a tier (E-03): proactive contacts, meetings, further maintenance.
    public struct Cadence: Sendable, Equatable {
        public var proactiveContacts: Int
        public var meetings: Int
        /// Services beyond the contacts and meetings; the source counts them but does not say what they are.
        public var maintenance: Int

        public init(proactiveContacts: Int, meetings: Int, maintenance: Int) {
            self.proactiveContacts = proactiveContacts
            self.meetings = meetings
            self.maintenance = maintenance
        }

        public var total: Int { proactiveContacts + meetings + maintenance }

        /// `contacts,meetings,maintenance`, e.g. `4,2,6`.
        init(parsing raw: String, key: String) throws(ConfigurationError) {
            let parts = raw.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 3, let c = parts[0], let m = parts[1], let o = parts[2], c >= 0, m >= 0, o >= 0,
                c + m + o > 0, c + m + o <= 366
            else {
                throw ConfigurationError(
                    key: key, reason: "expected contacts,meetings,maintenance such as 4,2,6, got \"\(raw)\"")
            }
            self.init(proactiveContacts: c, meetings: m, maintenance: o)
        }
    }

    /// `receive_walkin` is due this long after the referral (`ENGAGEMENT_RECEIVE_WALKIN_MINUTES`, default 10;
    /// C-06: receptions last at most 10 minutes).
    public var receiveWalkInDue: Duration
    /// `follow_up` is due at the end of this working day after the visit (`ENGAGEMENT_FOLLOW_UP_WORKING_DAYS`,
    /// default 2, a project default: the sources give no number; C-05, E-09).
    public var followUpWorkingDays: Int
    /// `lead_follow_up` after a declined referral or a customer who left unserved: end of this working day after
    /// (`ENGAGEMENT_LEAD_FOLLOW_UP_WORKING_DAYS`, default 1).
    public var leadFollowUpWorkingDays: Int
    /// Tier A's year (`ENGAGEMENT_CADENCE_TIER_A`, default `4,2,0`: 6 services, 4 proactive contacts, 2 meetings;
    /// E-03 "6-4-2").
    public var cadenceA: Cadence
    /// Tiers B and C (`ENGAGEMENT_CADENCE_TIER_BC`, default `4,2,6`: 12 services; E-03 "12-4-2").
    public var cadenceBC: Cadence
    /// A portfolio review every this many months (`ENGAGEMENT_REVIEW_MONTHS`, default 6; E-05: 工行 says at least
    /// every 6 months, 上海银行 about a year).
    public var reviewMonths: Int
    /// Handover notices (D-05): oral by the end of this working day after the handover
    /// (`ENGAGEMENT_HANDOVER_ORAL_WORKING_DAYS`, default 1), written within
    /// (`ENGAGEMENT_HANDOVER_WRITTEN_WORKING_DAYS`, default 5, a project default).
    public var handoverOralWorkingDays: Int
    public var handoverWrittenWorkingDays: Int
    /// The morning confirmation of an appointment is due at this local time of the appointment day, or at the
    /// appointment if earlier (`ENGAGEMENT_APPOINTMENT_MORNING_CONFIRM`, default `09:00`; E-07).
    public var morningConfirmationMinutes: Int
    /// No logged contact for this many days → a retention task (`ENGAGEMENT_DORMANCY_DAYS`, default 90; E-09,
    /// a project default).
    public var dormancyDays: Int
    /// A fall of at least this share of average daily assets between two profiles → a retention task
    /// (`ENGAGEMENT_AUM_DROP_PERCENT`, default 30; E-09 "large movements", a project default).
    public var aumDropPercent: Int
    /// Retention tasks are due at the end of this working day after they are raised
    /// (`ENGAGEMENT_RETENTION_WORKING_DAYS`, default 2).
    public var retentionWorkingDays: Int
    /// A manager's day holds at most this many meetings and calls; cadence tasks beyond move to the next working day
    /// with room (`ENGAGEMENT_MAX_MEETINGS_PER_DAY`, default 8; `ENGAGEMENT_MAX_CALLS_PER_DAY`, default 20; E-06,
    /// E-07).
    public var maxMeetingsPerDay: Int
    public var maxCallsPerDay: Int
    /// A task this many working days overdue is escalated to the branch's team lead
    /// (`ENGAGEMENT_ESCALATE_AFTER_WORKING_DAYS`, default 2).
    public var escalateAfterWorkingDays: Int
    /// `complaint_follow_up` is due at the end of this working day after the case is resolved
    /// (`ENGAGEMENT_COMPLAINT_FOLLOW_UP_WORKING_DAYS`, default 3; F-05 gives no number: a project default, the same
    /// window as F-02's reply).
    public var complaintFollowUpWorkingDays: Int
    /// How often the scheduler looks for overdue tasks, escalations, dormant customers and plans to renew
    /// (`ENGAGEMENT_SCHEDULER_INTERVAL_MS`, default 30,000).
    public var schedulerInterval: Duration
    /// A visit-served or visit-left that came before the visit's referral is kept this many hours for it, then purged
    /// (`ENGAGEMENT_EARLY_SIGNAL_RETENTION_HOURS`, default 72: a referral normally follows its visit within minutes;
    /// most kept reports are of visits never referred).
    public var earlySignalRetentionHours: Int

    public init() {
        receiveWalkInDue = .seconds(600)
        followUpWorkingDays = 2
        leadFollowUpWorkingDays = 1
        cadenceA = Cadence(proactiveContacts: 4, meetings: 2, maintenance: 0)
        cadenceBC = Cadence(proactiveContacts: 4, meetings: 2, maintenance: 6)
        reviewMonths = 6
        handoverOralWorkingDays = 1
        handoverWrittenWorkingDays = 5
        morningConfirmationMinutes = 9 * 60
        dormancyDays = 90
        aumDropPercent = 30
        retentionWorkingDays = 2
        maxMeetingsPerDay = 8
        maxCallsPerDay = 20
        escalateAfterWorkingDays = 2
        complaintFollowUpWorkingDays = 3
        schedulerInterval = .seconds(30)
        earlySignalRetentionHours = 72
    }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.init()
        receiveWalkInDue = .seconds(
            60 * (try environment.int("ENGAGEMENT_RECEIVE_WALKIN_MINUTES", default: 10, in: 1...1_440)))
        followUpWorkingDays = try environment.int("ENGAGEMENT_FOLLOW_UP_WORKING_DAYS", default: 2, in: 0...60)
        leadFollowUpWorkingDays = try environment.int("ENGAGEMENT_LEAD_FOLLOW_UP_WORKING_DAYS", default: 1, in: 0...60)
        if let raw = environment.string("ENGAGEMENT_CADENCE_TIER_A") {
            cadenceA = try Cadence(parsing: raw, key: "ENGAGEMENT_CADENCE_TIER_A")
        }
        if let raw = environment.string("ENGAGEMENT_CADENCE_TIER_BC") {
            cadenceBC = try Cadence(parsing: raw, key: "ENGAGEMENT_CADENCE_TIER_BC")
        }
        reviewMonths = try environment.int("ENGAGEMENT_REVIEW_MONTHS", default: 6, in: 1...12)
        handoverOralWorkingDays = try environment.int("ENGAGEMENT_HANDOVER_ORAL_WORKING_DAYS", default: 1, in: 0...30)
        handoverWrittenWorkingDays = try environment.int(
            "ENGAGEMENT_HANDOVER_WRITTEN_WORKING_DAYS", default: 5, in: 0...30)
        let morning = environment.string("ENGAGEMENT_APPOINTMENT_MORNING_CONFIRM", default: "09:00")
        let parts = morning.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let hours = parts[0], let minutes = parts[1], (0..<24).contains(hours),
            (0..<60).contains(minutes)
        else {
            throw ConfigurationError(
                key: "ENGAGEMENT_APPOINTMENT_MORNING_CONFIRM", reason: "expected HH:MM such as 09:00, got \"\(morning)\"")
        }
        morningConfirmationMinutes = hours * 60 + minutes
        dormancyDays = try environment.int("ENGAGEMENT_DORMANCY_DAYS", default: 90, in: 1...3_650)
        aumDropPercent = try environment.int("ENGAGEMENT_AUM_DROP_PERCENT", default: 30, in: 1...100)
        retentionWorkingDays = try environment.int("ENGAGEMENT_RETENTION_WORKING_DAYS", default: 2, in: 0...60)
        maxMeetingsPerDay = try environment.int("ENGAGEMENT_MAX_MEETINGS_PER_DAY", default: 8, in: 1...100)
        maxCallsPerDay = try environment.int("ENGAGEMENT_MAX_CALLS_PER_DAY", default: 20, in: 1...500)
        escalateAfterWorkingDays = try environment.int(
            "ENGAGEMENT_ESCALATE_AFTER_WORKING_DAYS", default: 2, in: 0...60)
        complaintFollowUpWorkingDays = try environment.int(
            "ENGAGEMENT_COMPLAINT_FOLLOW_UP_WORKING_DAYS", default: 3, in: 0...60)
        schedulerInterval = try environment.milliseconds(
            "ENGAGEMENT_SCHEDULER_INTERVAL_MS", default: .seconds(30))
        guard schedulerInterval >= .milliseconds(50) else {
            throw ConfigurationError(key: "ENGAGEMENT_SCHEDULER_INTERVAL_MS", reason: "must be at least 50")
        }
        earlySignalRetentionHours = try environment.int(
            "ENGAGEMENT_EARLY_SIGNAL_RETENTION_HOURS", default: 72, in: 1...8_760)
    }

    /// The cadence of a tier.
    public func cadence(for tier: Tier) -> Cadence {
        tier == .a ? cadenceA : cadenceBC
    }
}
