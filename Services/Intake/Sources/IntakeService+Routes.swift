import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension IntakeService {
    /// Who may see what (H-01, H-09): a visit — the centre head of its branch (or of the centre designated for it)
    /// and the manager it was referred to; a profile — the centre head of the home branch and the managers the
    /// customer was referred to; a branch's queue and register — its centre head. Operations see everything.
    public func addRoutes(to router: Router<ConciergeRequestContext>) {
        router.get("/visits/:visitId") { _, requestContext in
            let visitID = try requestContext.parameters.require("visitId")
            guard let visit = try await self.visit(visitID) else {
                throw APIError.notFound("no visit \(visitID)")
            }
            try requestContext.caller().authorize(
                ResourceScope(
                    staff: [visit.referral?.managerId, visit.referral?.coveringFor, visit.servedBy].compactMap { $0 },
                    branches: [visit.branchId, visit.referral?.designatedCentreId].compactMap { $0 }),
                "visit \(visitID)")
            return visit
        }
        router.get("/customers/:customerId/profile") { _, requestContext in
            let customerID = try requestContext.parameters.require("customerId")
            guard let profile = try await self.profile(customerID) else {
                throw APIError.notFound("no profile for customer \(customerID) yet")
            }
            try requestContext.caller().authorize(
                ResourceScope(
                    staff: try await self.managersReferredTo(customerID: customerID), branches: [profile.homeBranchId]),
                "customer \(customerID)'s profile")
            return profile
        }
        router.get("/branches/:branchId/queue") { _, requestContext in
            let branchID = try requestContext.parameters.require("branchId")
            try requestContext.caller().authorize(ResourceScope(branches: [branchID]), "branch \(branchID)'s queue")
            return try await self.queue(branchID: branchID)
        }
        router.get("/branches/:branchId/identified") { request, requestContext in
            let branchID = try requestContext.parameters.require("branchId")
            try requestContext.caller().authorize(
                ResourceScope(branches: [branchID]), "branch \(branchID)'s register")
            return try await self.register(
                branchID: branchID, date: try request.businessDate(calendar: self.context.calendar))
        }
    }

    /// The managers this customer's referrals went to (intake's view of "their customers").
    func managersReferredTo(customerID: String) async throws -> [String] {
        var managers: [String] = []
        let rows = try await context.postgres.query(
            """
            SELECT DISTINCT referral_manager_id FROM visits
            WHERE customer_id = \(customerID) AND referral_manager_id IS NOT NULL
            """,
            logger: context.logger)
        for try await manager in rows.decode(String.self) { managers.append(manager) }
        return managers
    }

    /// `GET /visits/{visitId}`: the visit, where it was routed and why, the identification and the referral.
    struct VisitView: ResponseCodable {
        struct Routing: Codable {
            var zone: String
            var priority: Bool
            var reason: String
        }
        struct IdentificationView: Codable {
            var classification: String
            var tier: String?
            var basis: String?
            var reasons: [String]
            var identifiedBy: String?
            var identifiedByRole: String?
            var identifiedAt: Timestamp?
        }
        struct SignalView: Codable {
            var signal: String
            var amount: Amount?
            var staffId: String
            var role: String?
            var at: Timestamp
        }
        struct Referral: Codable {
            var referralId: String
            var status: String
            var requestedAt: Timestamp
            var managerId: String?
            var coveringFor: String?
            var routedAt: Timestamp?
            /// For an outlet without wealth service: the centre whose managers take the referral (C-08).
            var designatedCentreId: String?
        }
        var visitId: String
        var branchId: String
        var customerId: String?
        var purpose: String
        var arrivedAt: Timestamp
        var businessDate: String
        var status: String
        var ticket: String?
        var cardTier: String?
        var largeCash: Bool
        /// Whether a contact phone was given; the number itself is only in the register, masked (H-01).
        var hasContactPhone: Bool
        var routing: Routing
        var identification: IdentificationView
        var signals: [SignalView]
        var referral: Referral?
        var servedBy: String?
        var servedAt: Timestamp?
        var leftAt: Timestamp?
        var outcome: String?
    }

    func visit(_ visitID: String) async throws -> VisitView? {
        let rows = try await context.postgres.query(
            """
            SELECT visit_id, branch_id, customer_id, purpose, arrived_at, business_date::text, status, zone, priority,
                routing_reason, classification, tier, basis, reasons, referral_id, referral_requested_at,
                referral_manager_id, referral_covering_for, referral_routed_at, served_by, served_at, left_at, outcome,
                ticket, card_tier, large_cash, contact_phone_ciphertext IS NOT NULL AS has_phone, identified_by,
                identified_by_role, identified_at, designated_centre_id
            FROM visits WHERE visit_id = \(visitID)
            """,
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let columns = row.makeRandomAccess()
        let local = { (date: Date?) in date.map { self.context.calendar.localized($0) } }
        let status = try columns["status"].decode(String.self)
        var referral: VisitView.Referral?
        if let referralID = try columns["referral_id"].decode(UUID?.self) {
            referral = .init(
                referralId: referralID.uuidString.lowercased(),
                status: status == "referral_requested" ? "waiting_for_manager" : status == "referral_routed" ? "routed" : status,
                requestedAt: local(try columns["referral_requested_at"].decode(Date?.self))!,
                managerId: try columns["referral_manager_id"].decode(String?.self),
                coveringFor: try columns["referral_covering_for"].decode(String?.self),
                routedAt: local(try columns["referral_routed_at"].decode(Date?.self)),
                designatedCentreId: try columns["designated_centre_id"].decode(String?.self))
        }
        var signals: [VisitView.SignalView] = []
        for try await (signal, amount, staffID, role, at) in try await context.postgres.query(
            "SELECT signal, amount::text, staff_id, role, at FROM visit_signals WHERE visit_id = \(visitID) ORDER BY at, received_at",
            logger: context.logger
        ).decode((String, String?, String, String?, Date).self) {
            signals.append(
                .init(
                    signal: signal, amount: amount.flatMap { try? Amount(parsing: $0) }, staffId: staffID, role: role,
                    at: context.calendar.localized(at)))
        }
        return VisitView(
            visitId: try columns["visit_id"].decode(String.self),
            branchId: try columns["branch_id"].decode(String.self),
            customerId: try columns["customer_id"].decode(String?.self),
            purpose: try columns["purpose"].decode(String.self),
            arrivedAt: local(try columns["arrived_at"].decode(Date.self))!,
            businessDate: try columns["business_date"].decode(String.self),
            status: status,
            ticket: try columns["ticket"].decode(String?.self),
            cardTier: try columns["card_tier"].decode(String?.self),
            largeCash: try columns["large_cash"].decode(Bool.self),
            hasContactPhone: try columns["has_phone"].decode(Bool.self),
            routing: .init(
                zone: try columns["zone"].decode(String.self), priority: try columns["priority"].decode(Bool.self),
                reason: try columns["routing_reason"].decode(String.self)),
            identification: .init(
                classification: try columns["classification"].decode(String.self),
                tier: try columns["tier"].decode(String?.self), basis: try columns["basis"].decode(String?.self),
                reasons: try columns["reasons"].decode([String].self),
                identifiedBy: try columns["identified_by"].decode(String?.self),
                identifiedByRole: try columns["identified_by_role"].decode(String?.self),
                identifiedAt: local(try columns["identified_at"].decode(Date?.self))),
            signals: signals,
            referral: referral,
            servedBy: try columns["served_by"].decode(String?.self),
            servedAt: local(try columns["served_at"].decode(Date?.self)),
            leftAt: local(try columns["left_at"].decode(Date?.self)),
            outcome: try columns["outcome"].decode(String?.self))
    }

    /// `GET /customers/{customerId}/profile` (ours, beyond the contract): what the lobby knows of a customer and
    /// whether they would be identified as a VIP on arrival.
    struct ProfileView: ResponseCodable {
        var customerId: String
        var homeBranchId: String
        var aumDailyAvg: Amount
        var asOf: String
        var isVIP: Bool
        /// `vip`, `potential` or `standard` by the profile alone.
        var classification: String
        var tier: Tier?
    }

    func profile(_ customerID: String) async throws -> ProfileView? {
        let rows = try await context.postgres.query(
            """
            SELECT home_branch_id, aum_daily_avg::text, as_of::text, segment_override, card_holder FROM customer_profiles
            WHERE customer_id = \(customerID)
            """,
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (branch, aum, asOf, override, cardHolder) = try row.decode((String, String, String, String?, Bool?).self)
        guard let amount = (try? Amount(parsing: aum)) else { return nil }
        // What the profile alone makes of a wealth-consultation arrival (no card read, no signals).
        let assessment = Identification.assess(
            .init(
                profile: .init(aumDailyAvg: amount, segmentOverride: override, cardHolder: cardHolder),
                purpose: .wealthConsultation),
            settings: settings)
        return ProfileView(
            customerId: customerID, homeBranchId: branch, aumDailyAvg: amount, asOf: asOf,
            isVIP: assessment.level == .vip, classification: assessment.classification?.rawValue ?? "standard",
            tier: assessment.tier)
    }

    /// `GET /branches/{branchId}/queue`: today's referred customers (VIP and potential) waiting for a manager to
    /// start serving, longest wait first (C-03). Referrals passed to a designated centre are not in it (C-08).
    struct QueueView: ResponseCodable {
        struct Entry: Codable {
            var visitId: String
            var referralId: String
            var customerId: String?
            var classification: String
            var tier: String?
            var zone: String
            var status: String
            var managerId: String?
            var requestedAt: Timestamp
            var waitingMinutes: Int
        }
        var branchId: String
        var at: Timestamp
        var waiting: [Entry]
    }

    func queue(branchID: String) async throws -> QueueView {
        let now = context.calendar.now()
        let rows = try await context.postgres.query(
            """
            SELECT visit_id, referral_id, customer_id, classification, tier, zone, status, referral_manager_id,
                referral_requested_at
            FROM visits
            WHERE branch_id = \(branchID) AND status IN ('referral_requested', 'referral_routed')
                AND designated_centre_id IS NULL
                AND business_date = \(context.calendar.businessDate(of: now).description)::date
            ORDER BY referral_requested_at, visit_id
            LIMIT 500
            """,
            logger: context.logger
        )
        var entries: [QueueView.Entry] = []
        for try await (visitID, referralID, customerID, classification, tier, zone, status, managerID, requestedAt)
            in rows.decode((String, UUID, String?, String, String?, String, String, String?, Date).self)
        {
            let requested = context.calendar.localized(requestedAt)
            entries.append(
                .init(
                    visitId: visitID, referralId: referralID.uuidString.lowercased(), customerId: customerID,
                    classification: classification, tier: tier, zone: zone, status: status == "referral_routed" ? "routed" : "waiting_for_manager",
                    managerId: managerID, requestedAt: requested,
                    waitingMinutes: Self.minutes(from: requestedAt, to: now)))
        }
        return QueueView(branchId: branchID, at: now, waiting: entries)
    }
}
