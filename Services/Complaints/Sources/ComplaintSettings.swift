import ServiceKit

/// Complaint deadlines and the escalation ladder (rulebook F-02, F-03, F-04, A-13), all configurable. The sources fix
/// only the three working days of F-02; every timer of the ladder is a project default (see `docs/complaints.md`).
public struct ComplaintSettings: Sendable {
    /// A reply is due by the end of this working day after the day of receipt (`COMPLAINTS_REPLY_WORKING_DAYS`,
    /// default 3; F-02), and after a reopening (`COMPLAINTS_REOPEN_REPLY_WORKING_DAYS`, default 3).
    public var replyWorkingDays: Int
    public var reopenReplyWorkingDays: Int
    /// Not acknowledged by the end of this working day after receipt → the centre head
    /// (`COMPLAINTS_ACK_WORKING_DAYS`, default 1).
    public var acknowledgeWorkingDays: Int
    /// The ladder after a missed reply deadline (breach → the sub-branch VIP group): the branch VIP service this many
    /// working days after the deadline's day (`COMPLAINTS_ESCALATE_BRANCH_WORKING_DAYS`, default 2), head office
    /// this many more (`COMPLAINTS_ESCALATE_HEAD_OFFICE_WORKING_DAYS`, default 5).
    public var branchWorkingDays: Int
    public var headOfficeWorkingDays: Int
    /// A `critical` case goes to the centre head at once (`COMPLAINTS_CRITICAL_TO_CENTRE_HEAD`, default on).
    public var criticalToCentreHead: Bool
    /// Share of the reply time after which an unanswered case warns its owner (`COMPLAINTS_WARN_PERCENT`, default
    /// 75; 0 turns the warning off).
    public var warnPercent: Int
    /// This many cases of one category at one branch (`COMPLAINTS_HOTSPOT_CASES`, default 5) within this many days
    /// (`COMPLAINTS_HOTSPOT_DAYS`, default 7) make a hotspot.
    public var hotspotCases: Int
    public var hotspotDays: Int
    /// The call centre's first-line resolution target shown in the daily report
    /// (`COMPLAINTS_FIRST_LINE_TARGET_PERCENT`, default 95; F-07).
    public var firstLineTargetPercent: Int
    /// How often the timers run (`COMPLAINTS_TIMER_INTERVAL_MS`, default 30,000).
    public var timerInterval: Duration

    public init(
        replyWorkingDays: Int = 3, reopenReplyWorkingDays: Int = 3, acknowledgeWorkingDays: Int = 1,
        branchWorkingDays: Int = 2, headOfficeWorkingDays: Int = 5, criticalToCentreHead: Bool = true,
        warnPercent: Int = 75, hotspotCases: Int = 5, hotspotDays: Int = 7, firstLineTargetPercent: Int = 95,
        timerInterval: Duration = .seconds(30)
    ) {
        self.replyWorkingDays = replyWorkingDays
        self.reopenReplyWorkingDays = reopenReplyWorkingDays
        self.acknowledgeWorkingDays = acknowledgeWorkingDays
        self.branchWorkingDays = branchWorkingDays
        self.headOfficeWorkingDays = headOfficeWorkingDays
        self.criticalToCentreHead = criticalToCentreHead
        self.warnPercent = warnPercent
        self.hotspotCases = hotspotCases
        self.hotspotDays = hotspotDays
        self.firstLineTargetPercent = firstLineTargetPercent
        self.timerInterval = timerInterval
    }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.init(
            replyWorkingDays: try environment.int("COMPLAINTS_REPLY_WORKING_DAYS", default: 3, in: 1...60),
            reopenReplyWorkingDays: try environment.int("COMPLAINTS_REOPEN_REPLY_WORKING_DAYS", default: 3, in: 1...60),
            acknowledgeWorkingDays: try environment.int("COMPLAINTS_ACK_WORKING_DAYS", default: 1, in: 0...60),
            branchWorkingDays: try environment.int("COMPLAINTS_ESCALATE_BRANCH_WORKING_DAYS", default: 2, in: 0...60),
            headOfficeWorkingDays: try environment.int(
                "COMPLAINTS_ESCALATE_HEAD_OFFICE_WORKING_DAYS", default: 5, in: 0...60),
            criticalToCentreHead: try environment.bool("COMPLAINTS_CRITICAL_TO_CENTRE_HEAD", default: true),
            warnPercent: try environment.int("COMPLAINTS_WARN_PERCENT", default: 75, in: 0...99),
            hotspotCases: try environment.int("COMPLAINTS_HOTSPOT_CASES", default: 5, in: 2...1_000),
            hotspotDays: try environment.int("COMPLAINTS_HOTSPOT_DAYS", default: 7, in: 1...90),
            firstLineTargetPercent: try environment.int("COMPLAINTS_FIRST_LINE_TARGET_PERCENT", default: 95, in: 1...100),
            timerInterval: try environment.milliseconds("COMPLAINTS_TIMER_INTERVAL_MS", default: .seconds(30)))
        guard timerInterval >= .milliseconds(50) else {
            throw ConfigurationError(key: "COMPLAINTS_TIMER_INTERVAL_MS", reason: "must be at least 50")
        }
    }
}
