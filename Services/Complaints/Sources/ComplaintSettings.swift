import ServiceKit

/// Complaint deadlines, configurable.
public struct ComplaintSettings: Sendable {
    /// A reply is due by the end of this working day after the day of receipt (`COMPLAINTS_REPLY_WORKING_DAYS`,
    /// default 3; rulebook F-02).
    public var replyWorkingDays: Int

    public init(replyWorkingDays: Int = 3) {
        self.replyWorkingDays = replyWorkingDays
    }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.init(replyWorkingDays: try environment.int("COMPLAINTS_REPLY_WORKING_DAYS", default: 3, in: 1...60))
    }
}
