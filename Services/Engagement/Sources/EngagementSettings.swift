import ServiceKit

/// Engagement's timings, configurable.
public struct EngagementSettings: Sendable {
    /// `receive_walkin` is due this long after the referral (`ENGAGEMENT_RECEIVE_WALKIN_MINUTES`, default 10;
    /// rulebook C-06: receptions last at most 10 minutes).
    public var receiveWalkInDue: Duration
    /// `follow_up` is due at the end of this working day after the day the referral was routed, which is the visit
    /// day (`ENGAGEMENT_FOLLOW_UP_WORKING_DAYS`, default 2, a project default: the sources give no number).
    public var followUpWorkingDays: Int

    public init(receiveWalkInDue: Duration = .seconds(600), followUpWorkingDays: Int = 2) {
        self.receiveWalkInDue = receiveWalkInDue
        self.followUpWorkingDays = followUpWorkingDays
    }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.init(
            receiveWalkInDue: .seconds(
                60 * (try environment.int("ENGAGEMENT_RECEIVE_WALKIN_MINUTES", default: 10, in: 1...1_440))),
            followUpWorkingDays: try environment.int("ENGAGEMENT_FOLLOW_UP_WORKING_DAYS", default: 2, in: 0...60))
    }
}
