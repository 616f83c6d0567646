import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Intake: every walk-in is routed to a zone; VIPs and potential VIPs are identified on arrival or later by a
/// teller's signal, recorded in the identified-customer register, and referred to a relationship manager; the
/// referral queue is watched for long waits (rulebook B-01 to B-05, A-05, C-01 to C-08, C-10, H-01, H-03).
public struct IntakeService: ConciergeService {
    public static let name = "intake"
    public static let defaultHTTPPort = 8081
    public static let consumedTopics = [Topics.branchVisits, Topics.customerProfiles, Topics.assignmentEvents]
    public static let producedTopics = [Topics.intakeEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [
        VisitArrived.V1.eventType, VisitSignal.V1.eventType, VisitServed.V1.eventType, VisitLeft.V1.eventType,
        CustomerProfile.V1.eventType, ReferralRouted.V1.eventType,
    ]

    let settings: IntakeSettings
    let cipher: FieldCipher
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try IntakeSettings(environment: context.environment)
        self.cipher = try FieldCipher(environment: context.environment)
        // PII_RESEAL_*: a bad value stops the service here rather than its re-seal job later (H-03).
        _ = try FieldResealer.Settings(environment: context.environment)
    }

    /// The referral queue is checked for long waits and stalls every `INTAKE_QUEUE_CHECK_INTERVAL_MS` (C-03, C-04);
    /// contact phones sealed with a retired key are sealed again with the active one (H-03, `PII_RESEAL_*`).
    public func backgroundJobs() -> [any BackgroundJob] {
        [
            PeriodicJob(name: "intake-queue-monitor", interval: settings.queueCheckInterval, logger: context.logger) {
                _ = try await self.checkQueues(at: self.context.calendar.now())
            },
            personalDataResealJob(),
        ]
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        switch event.payload {
        case .visitArrived(let visit):
            try await handleArrival(visit, eventID: event.id, context: context)
        case .visitSignal(let signal):
            try await handleSignal(signal, eventID: event.id, context: context)
        case .visitServed(let served):
            try await context.connection.query(
                """
                UPDATE visits SET status = 'served', served_by = \(served.staffId), served_at = \(served.at.date)
                WHERE visit_id = \(served.visitId) AND status <> 'left'
                """, logger: context.logger)
        case .visitLeft(let left):
            try await context.connection.query(
                """
                UPDATE visits SET status = 'left', left_at = \(left.at.date), outcome = \(left.outcome?.rawValue)
                WHERE visit_id = \(left.visitId)
                """, logger: context.logger)
        case .customerProfile(let profile):
            try await storeProfile(profile, eventID: event.id, context: context)
        case .referralRouted(let routed):
            guard let referralID = UUID(uuidString: routed.referralId) else { return }
            try await context.connection.query(
                """
                UPDATE visits SET status = 'referral_routed', referral_manager_id = \(routed.managerId),
                    referral_covering_for = \(routed.coveringFor), referral_routed_at = \(routed.at.date)
                WHERE referral_id = \(referralID) AND status = 'referral_requested'
                """, logger: context.logger)
        default:
            return
        }
    }

    // MARK: - Profiles

    private func storeProfile(_ profile: CustomerProfile.V1, eventID: String, context: HandlerContext) async throws {
        // Keep the latest snapshot: an older `asOf` arriving late never overwrites a newer one.
        try await context.connection.query(
            """
            INSERT INTO customer_profiles
                (customer_id, home_branch_id, aum_daily_avg, as_of, card_holder, segment_override, source_event_id)
            VALUES (\(profile.customerId), \(profile.homeBranchId), \(profile.aumDailyAvg.decimalString)::numeric,
                \(profile.asOf.description)::date, \(profile.cardHolder), \(profile.segmentOverride), \(eventID))
            ON CONFLICT (customer_id) DO UPDATE SET
                home_branch_id = EXCLUDED.home_branch_id, aum_daily_avg = EXCLUDED.aum_daily_avg,
                as_of = EXCLUDED.as_of, card_holder = EXCLUDED.card_holder,
                segment_override = EXCLUDED.segment_override, source_event_id = EXCLUDED.source_event_id,
                updated_at = now()
            WHERE customer_profiles.as_of <= EXCLUDED.as_of
            """,
            logger: context.logger)
    }

    func loadProfile(_ customerID: String?, on connection: PostgresConnection, logger: Logger) async throws
        -> Identification.Profile?
    {
        guard let customerID else { return nil }
        let rows = try await connection.query(
            "SELECT aum_daily_avg::text, segment_override, card_holder FROM customer_profiles WHERE customer_id = \(customerID)",
            logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (aum, override, cardHolder) = try row.decode((String, String?, Bool?).self)
        guard let amount = (try? Amount(parsing: aum)) else { return nil }
        return Identification.Profile(aumDailyAvg: amount, segmentOverride: override, cardHolder: cardHolder)
    }
}
