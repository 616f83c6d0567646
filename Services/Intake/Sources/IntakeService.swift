import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Intake: every walk-in is routed to a zone; a VIP is identified and a referral to a relationship manager is
/// requested (rulebook B-01, B-03, C-01, C-02, C-05, C-07).
public struct IntakeService: ConciergeService {
    public static let name = "intake"
    public static let defaultHTTPPort = 8081
    public static let consumedTopics = [Topics.branchVisits, Topics.customerProfiles, Topics.assignmentEvents]
    public static let producedTopics = [Topics.intakeEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [
        VisitArrived.V1.eventType, VisitServed.V1.eventType, VisitLeft.V1.eventType, CustomerProfile.V1.eventType,
        ReferralRouted.V1.eventType,
    ]

    let settings: IntakeSettings
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try IntakeSettings(environment: context.environment)
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        switch event.payload {
        case .visitArrived(let visit):
            try await handleArrival(visit, eventID: event.id, context: context)
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

    private func loadProfile(_ customerID: String, context: HandlerContext) async throws -> Identification.Profile? {
        let rows = try await context.connection.query(
            "SELECT aum_daily_avg::text, segment_override FROM customer_profiles WHERE customer_id = \(customerID)",
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (aum, override) = try row.decode((String, String?).self)
        guard let amount = (try? Amount(parsing: aum)) else { return nil }
        return Identification.Profile(aumDailyAvg: amount, segmentOverride: override)
    }

    // MARK: - Arrivals

    private func handleArrival(_ visit: VisitArrived.V1, eventID: String, context: HandlerContext) async throws {
        var profile: Identification.Profile?
        if let customerID = visit.customerId { profile = try await loadProfile(customerID, context: context) }
        let identification = profile.flatMap { Identification.identify($0, settings: settings) }
        let routing = VisitRouting.route(purpose: visit.purpose, isVIP: identification != nil)
        let referralID = identification == nil ? nil : UUID()
        let businessDate = context.calendar.businessDate(of: visit.arrivedAt)
        let now = context.calendar.now()

        let inserted = try await context.connection.query(
            """
            INSERT INTO visits (visit_id, branch_id, customer_id, purpose, arrived_at, business_date, recorded_by,
                recorded_by_role, zone, priority, routing_reason, classification, tier, basis, reasons, status,
                referral_id, referral_requested_at, source_event_id)
            VALUES (\(visit.visitId), \(visit.branchId), \(visit.customerId), \(visit.purpose.rawValue),
                \(visit.arrivedAt.date), \(businessDate.description)::date, \(visit.recordedBy),
                \(visit.recordedByRole?.rawValue), \(routing.zone.rawValue), \(routing.priority), \(routing.reason),
                \(identification == nil ? "standard" : "vip"), \(identification?.tier.rawValue),
                \(identification?.basis.rawValue), \(identification?.reasons ?? []),
                \(referralID == nil ? "routed" : "referral_requested"), \(referralID),
                \(referralID == nil ? nil : now.date), \(eventID))
            ON CONFLICT (visit_id) DO NOTHING
            RETURNING 1
            """,
            logger: context.logger
        ).collect()
        guard !inserted.isEmpty else {
            // The same visit sent again under a new event id: the first arrival stands.
            context.logger.notice("visit already recorded; arrival ignored", metadata: ["visit.id": "\(visit.visitId)"])
            return
        }

        let subject = visit.customerId.map { "customer/\($0)" } ?? "visit/\(visit.visitId)"
        try context.outbox.emit(
            VisitRouted.V1(
                visitId: visit.visitId, branchId: visit.branchId, customerId: visit.customerId, zone: routing.zone,
                priority: routing.priority, reason: routing.reason, purpose: visit.purpose, at: now),
            time: now, subject: subject)
        guard let identification, let referralID else { return }
        try context.outbox.emit(
            CustomerIdentified.V1(
                visitId: visit.visitId, branchId: visit.branchId, customerId: visit.customerId,
                classification: .vip, tier: identification.tier, basis: identification.basis,
                reasons: identification.reasons, identifiedBy: visit.recordedBy,
                identifiedByRole: visit.recordedByRole, at: visit.arrivedAt, aumDailyAvg: profile?.aumDailyAvg),
            time: now, subject: subject)
        try context.outbox.emit(
            ReferralRequested.V1(
                referralId: referralID.uuidString.lowercased(), visitId: visit.visitId, branchId: visit.branchId,
                customerId: visit.customerId, classification: .vip, tier: identification.tier, requestedAt: now),
            time: now, subject: subject)
    }
}
