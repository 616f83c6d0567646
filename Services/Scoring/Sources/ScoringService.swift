import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Scoring: customer tiers (B-03) and contribution (G-05), financial-health flags (G-09), the lobby's daily
/// statistics (C-10, G-03), manager scorecards (G-01, G-02, G-06, E-03), compliance checks on sales (H-04) and
/// centre indicators (A-15, A-07, G-07).
///
/// Every handler records what an event said as a fact, keyed by the event's own natural id; every figure is computed
/// from the facts when asked. So the figures do not depend on the order in which the topics were read, and
/// replaying the topics into an empty schema rebuilds them exactly (`docs/scoring.md`).
public struct ScoringService: ConciergeService {
    public static let name = "scoring"
    public static let defaultHTTPPort = 8085
    public static let consumedTopics = [
        Topics.intakeEvents, Topics.assignmentEvents, Topics.engagementEvents, Topics.complaintsEvents,
        Topics.customerProfiles, Topics.crmActivities, Topics.staffDirectory, Topics.scoringEvents,
    ]
    public static let producedTopics = [Topics.scoringEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [
        CustomerIdentified.V1.eventType, ReferralRouted.V1.eventType, ManagerAssigned.V1.eventType,
        CaseOpened.V1.eventType, CaseEscalated.V1.eventType, CaseResolved.V1.eventType, CaseReopened.V1.eventType,
        TaskScheduled.V1.eventType, TaskReassigned.V1.eventType, TaskCompleted.V1.eventType,
        CustomerProfile.V1.eventType, ContactLogged.V1.eventType, ProductSold.V1.eventType,
        StaffUpdated.V1.eventType, AssessmentRecorded.V1.eventType,
    ]

    let settings: ScoringSettings
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try ScoringSettings(environment: context.environment)
    }

    public func backgroundJobs() -> [any BackgroundJob] {
        [
            PeriodicJob(name: "scoring-publisher", interval: settings.publishInterval, logger: context.logger) {
                try await publish(at: context.calendar.now())
            }
        ]
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        let facts = Facts(
            connection: context.connection, logger: context.logger, calendar: context.calendar,
            counters: context.tally(DailyCounters.self))
        switch event.payload {
        case .customerIdentified(let identified):
            let column = Self.identificationColumn(
                classification: identified.classification, role: identified.identifiedByRole)
            try facts.countOnce(
                "customer-identified", identified.visitId, column: column, branchID: identified.branchId,
                date: context.calendar.businessDate(of: identified.at))
        case .referralRouted(let routed):
            guard let branchID = routed.branchId else { return }
            try facts.received(routed, branchID: branchID)
        case .managerAssigned(let assigned):
            try await facts.owner(assigned, eventID: event.id)
        case .caseOpened(let opened):
            try await facts.caseOpened(opened)
        case .caseEscalated(let escalated):
            try await facts.caseEscalated(escalated.caseId)
        case .caseResolved(let resolved):
            try await facts.caseResolved(resolved.caseId, at: resolved.at)
        case .caseReopened(let reopened):
            try await facts.caseResolved(reopened.caseId, at: nil)
        case .taskScheduled(let task):
            try facts.taskScheduled(task)
        case .taskReassigned(let task):
            try await facts.taskReassigned(task)
        case .taskCompleted(let task):
            try await facts.taskCompleted(task)
        case .customerProfile(let profile):
            try await storeProfile(profile, eventID: event.id, facts: facts, outbox: context.outbox)
        case .contactLogged(let contact):
            try await facts.contact(contact)
        case .productSold(let sale):
            try await recordSale(sale, facts: facts, outbox: context.outbox)
        case .staffUpdated(let staff):
            try await StaffDirectoryCopy.store(staff, on: context.connection, logger: context.logger)
        case .assessmentRecorded(let assessment):
            try await facts.assessment(assessment)
        default:
            return
        }
    }

    /// The `branch_daily` column an identification counts in, by who identified the customer (C-10 items 2 and 3).
    static func identificationColumn(classification: Classification, role: StaffRole?) -> String {
        guard classification == .vip else { return "potential_identified" }
        switch role {
        case .lobbyManager, .lobbyAssistant: return "vips_identified_lobby"
        case .tellerCash: return "vips_identified_cash"
        case .tellerNonCash: return "vips_identified_noncash"
        case .businessOfficer: return "vips_identified_officer"
        default: return "vips_identified_other"
        }
    }

    // MARK: - Tier (B-03)

    /// What a profile says about the tier: an override decides (`potential` or `standard` clear it); assets from the
    /// VIP threshold give A, B or C by B-03; a VIP card holder below the threshold is tier A (B-03 tiers the card's
    /// holders, and A has no lower bound); anybody else has no tier.
    func tier(of profile: CustomerProfile.V1) -> (tier: Tier?, basis: String?) {
        switch SegmentOverride(profile.segmentOverride) {
        case .tier(let tier): return (tier, "override")
        case .potential, .standard: return (nil, "override")
        case nil: break
        }
        if profile.aumDailyAvg >= settings.assetTiers.vipMinimum {
            return (settings.assetTiers.tier(for: profile.aumDailyAvg), "assets")
        }
        if profile.cardHolder == true { return (.a, "card") }
        return (nil, nil)
    }

    /// Keeps the latest profile (by `asOf`; a stale snapshot changes nothing but its own history row), announces a
    /// changed tier, and re-judges the customer's derivative-linked sales that the profile's date covers.
    func storeProfile(_ profile: CustomerProfile.V1, eventID: String, facts: Facts, outbox: EventOutbox)
        async throws
    {
        let (tier, basis) = self.tier(of: profile)
        let previous = try await facts.connection.query(
            "SELECT tier, as_of::text FROM customers WHERE customer_id = \(profile.customerId) FOR UPDATE",
            logger: facts.logger
        ).collect().first.map { try $0.decode((String?, String).self) }
        try await facts.profileHistory(profile)
        if let previous, let storedAsOf = BusinessDate(previous.1), storedAsOf > profile.asOf {
            try await reconcileDerivativeSales(of: profile.customerId, facts: facts, outbox: outbox)
            return
        }
        let financials = try profile.financials.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await facts.connection.query(
            """
            INSERT INTO customers (customer_id, home_branch_id, aum_daily_avg, as_of, tier, tier_basis, card_holder,
                derivatives_experience, financials, source_event_id)
            VALUES (\(profile.customerId), \(profile.homeBranchId), \(profile.aumDailyAvg.decimalString)::numeric,
                \(profile.asOf.description)::date, \(tier?.rawValue), \(basis), \(profile.cardHolder),
                \(profile.derivativesExperience), \(financials)::jsonb, \(eventID))
            ON CONFLICT (customer_id) DO UPDATE SET home_branch_id = EXCLUDED.home_branch_id,
                aum_daily_avg = EXCLUDED.aum_daily_avg, as_of = EXCLUDED.as_of, tier = EXCLUDED.tier,
                tier_basis = EXCLUDED.tier_basis, card_holder = EXCLUDED.card_holder,
                derivatives_experience = EXCLUDED.derivatives_experience, financials = EXCLUDED.financials,
                source_event_id = EXCLUDED.source_event_id
            """,
            logger: facts.logger)
        let previousTier = previous?.0.flatMap(Tier.init(rawValue:))
        if previousTier != tier {
            try outbox.emit(
                CustomerTierChanged.V1(
                    customerId: profile.customerId, previousTier: previousTier, tier: tier,
                    aumDailyAvg: profile.aumDailyAvg, asOf: profile.asOf, at: facts.calendar.now(), basis: basis,
                    homeBranchId: profile.homeBranchId),
                subject: "customer/\(profile.customerId)")
        }
        try await reconcileDerivativeSales(of: profile.customerId, facts: facts, outbox: outbox)
    }
}
