import Events
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Arrivals and signals: routing, identification, the register and the referral.
extension IntakeService {
    /// The staff member whose arrival record or signal decided an identification (C-02, C-10).
    struct Identifier {
        var staffID: String
        var role: StaffRole?
        var at: Timestamp
    }

    /// A visit row as identification needs it.
    struct VisitState {
        var visitID: String
        var branchID: String
        var customerID: String?
        var purpose: VisitPurpose
        var amount: Amount?
        var cardTier: String?
        var status: String
        var level: Identification.Level
        var referralID: UUID?
        var zone: String
        var priority: Bool

        var subject: String { customerID.map { "customer/\($0)" } ?? "visit/\(visitID)" }
    }

    // MARK: - Arrivals

    func handleArrival(_ visit: VisitArrived.V1, eventID: String, context: HandlerContext) async throws {
        let known = try await context.connection.query(
            "SELECT 1 FROM visits WHERE visit_id = \(visit.visitId)", logger: context.logger
        ).collect()
        guard known.isEmpty else {
            // The same visit sent again under a new event id: the first arrival stands.
            context.logger.notice("visit already recorded; arrival ignored", metadata: ["visit.id": "\(visit.visitId)"])
            return
        }

        // Signals raised before the arrival reached us (a front end publishing out of order) count too, in order.
        let earlier = try await storedSignals(visitID: visit.visitId, context: context)
        let onArrival = (visit.signals ?? []).map {
            Identification.RaisedSignal($0, amount: $0 == .largeCash ? visit.amount : nil)
        }
        var customerID = visit.customerId
        var cardTier = visit.cardTier
        var facts = Identification.Facts(
            profile: try await loadProfile(customerID, on: context.connection, logger: context.logger),
            cardTier: cardTier, purpose: visit.purpose, amount: visit.amount, signals: onArrival)
        var result = Identification.assess(facts, settings: settings)
        var identifier = Identifier(staffID: visit.recordedBy, role: visit.recordedByRole, at: visit.arrivedAt)
        for signal in earlier {
            if customerID == nil, let learnt = signal.customerID {
                customerID = learnt
                facts.profile = try await loadProfile(learnt, on: context.connection, logger: context.logger)
            }
            if cardTier == nil, let card = signal.cardTier {
                cardTier = card
                facts.cardTier = card
            }
            facts.signals.append(signal.raised)
            let next = Identification.assess(facts, settings: settings)
            if next.level > result.level { identifier = signal.identifier }
            result = next
        }

        let wealthService = settings.hasWealthService(visit.branchId)
        let routing = VisitRouting.route(
            purpose: visit.purpose, level: .standard, largeCash: result.largeCash, wealthService: wealthService)
        let phone = try visit.contactPhone.map { try cipher.seal($0, context: Self.phoneContext(visit.visitId)) }
        let businessDate = context.calendar.businessDate(of: visit.arrivedAt)
        try await context.connection.query(
            """
            INSERT INTO visits (visit_id, branch_id, customer_id, purpose, arrived_at, business_date, recorded_by,
                recorded_by_role, card_tier, amount, ticket, large_cash, zone, priority, routing_reason,
                classification, status, contact_phone_key_id, contact_phone_ciphertext, source_event_id)
            VALUES (\(visit.visitId), \(visit.branchId), \(customerID), \(visit.purpose.rawValue),
                \(visit.arrivedAt.date), \(businessDate.description)::date, \(visit.recordedBy),
                \(visit.recordedByRole?.rawValue), \(cardTier), \(visit.amount?.decimalString)::numeric,
                \(visit.ticket), \(result.largeCash), \(routing.zone.rawValue), \(routing.priority), \(routing.reason),
                'standard', 'routed', \(phone?.keyID), \(phone.map { ByteBuffer(bytes: $0.bytes) }), \(eventID))
            """,
            logger: context.logger)
        for (index, raised) in onArrival.enumerated() {
            try await storeSignal(
                eventID: "\(eventID)#\(index)", visitID: visit.visitId, branchID: visit.branchId,
                identifier: Identifier(staffID: visit.recordedBy, role: visit.recordedByRole, at: visit.arrivedAt),
                raised: raised, customerID: nil, cardTier: nil, context: context)
        }

        let state = VisitState(
            visitID: visit.visitId, branchID: visit.branchId, customerID: customerID, purpose: visit.purpose,
            amount: visit.amount, cardTier: cardTier, status: "routed", level: .standard, referralID: nil,
            zone: routing.zone.rawValue, priority: routing.priority)
        try await apply(result, to: state, by: identifier, eventID: eventID, context: context, arrival: true)
    }

    // MARK: - Signals

    /// A teller, the lobby staff or the business officer raises a lead signal during the visit (A-05, B-02): the
    /// visit is reassessed and only ever moves up (standard → potential → VIP).
    func handleSignal(_ signal: VisitSignal.V1, eventID: String, context: HandlerContext) async throws {
        let identifier = Identifier(staffID: signal.staffId, role: signal.role, at: signal.at)
        try await storeSignal(
            eventID: eventID, visitID: signal.visitId, branchID: signal.branchId, identifier: identifier,
            raised: .init(signal.signal, amount: signal.amount), customerID: signal.customerId,
            cardTier: signal.cardTier, context: context)
        guard var state = try await lockVisit(signal.visitId, context: context) else {
            context.logger.notice(
                "signal for a visit not recorded yet; kept for its arrival", metadata: ["visit.id": "\(signal.visitId)"])
            return
        }
        if state.customerID == nil, let learnt = signal.customerId {
            state.customerID = learnt
            try await context.connection.query(
                "UPDATE visits SET customer_id = \(learnt) WHERE visit_id = \(state.visitID)", logger: context.logger)
        }
        if state.cardTier == nil, let card = signal.cardTier {
            state.cardTier = card
            try await context.connection.query(
                "UPDATE visits SET card_tier = \(card) WHERE visit_id = \(state.visitID)", logger: context.logger)
        }
        let facts = Identification.Facts(
            profile: try await loadProfile(state.customerID, on: context.connection, logger: context.logger),
            cardTier: state.cardTier, purpose: state.purpose, amount: state.amount,
            signals: try await storedSignals(visitID: state.visitID, context: context).map(\.raised))
        let result = Identification.assess(facts, settings: settings)
        try await apply(result, to: state, by: identifier, eventID: eventID, context: context, arrival: false)
    }

    struct StoredSignal {
        var raised: Identification.RaisedSignal
        var identifier: Identifier
        var customerID: String?
        var cardTier: String?
    }

    private func storeSignal(
        eventID: String, visitID: String, branchID: String, identifier: Identifier,
        raised: Identification.RaisedSignal, customerID: String?, cardTier: String?, context: HandlerContext
    ) async throws {
        try await context.connection.query(
            """
            INSERT INTO visit_signals (event_id, visit_id, branch_id, staff_id, role, signal, amount, at, customer_id,
                card_tier)
            VALUES (\(eventID), \(visitID), \(branchID), \(identifier.staffID), \(identifier.role?.rawValue),
                \(raised.signal.rawValue), \(raised.amount?.decimalString)::numeric, \(identifier.at.date),
                \(customerID), \(cardTier))
            ON CONFLICT (event_id) DO NOTHING
            """,
            logger: context.logger)
    }

    func storedSignals(visitID: String, context: HandlerContext) async throws -> [StoredSignal] {
        let rows = try await context.connection.query(
            """
            SELECT staff_id, role, signal, amount::text, at, customer_id, card_tier FROM visit_signals
            WHERE visit_id = \(visitID) ORDER BY at, received_at, event_id
            """,
            logger: context.logger)
        var signals: [StoredSignal] = []
        for try await (staffID, role, signal, amount, at, customerID, cardTier) in rows.decode(
            (String, String?, String, String?, Date, String?, String?).self)
        {
            guard let leadSignal = LeadSignal(rawValue: signal) else { continue }
            signals.append(
                StoredSignal(
                    raised: .init(leadSignal, amount: amount.flatMap { try? Amount(parsing: $0) }),
                    identifier: Identifier(
                        staffID: staffID, role: role.flatMap(StaffRole.init(rawValue:)),
                        at: context.calendar.localized(at)),
                    customerID: customerID, cardTier: cardTier))
        }
        return signals
    }

    private func lockVisit(_ visitID: String, context: HandlerContext) async throws -> VisitState? {
        let rows = try await context.connection.query(
            """
            SELECT branch_id, customer_id, purpose, amount::text, card_tier, status, classification, referral_id,
                zone, priority
            FROM visits WHERE visit_id = \(visitID) FOR UPDATE
            """,
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (branchID, customerID, purpose, amount, cardTier, status, classification, referralID, zone, priority) =
            try row.decode((String, String?, String, String?, String?, String, String, UUID?, String, Bool).self)
        return VisitState(
            visitID: visitID, branchID: branchID, customerID: customerID,
            purpose: VisitPurpose(rawValue: purpose) ?? .other, amount: amount.flatMap { try? Amount(parsing: $0) },
            cardTier: cardTier, status: status, level: Identification.Level(Classification(rawValue: classification)),
            referralID: referralID, zone: zone, priority: priority)
    }

    // MARK: - Identification, register and referral

    /// Applies an assessment to a visit: moves it up (never down), records the identification in the register,
    /// emits `customer-identified`, requests the visit's one referral while the customer is still there, and
    /// emits `visit-routed` whenever the zone or priority changes (always on arrival).
    private func apply(
        _ result: Identification.Result, to state: VisitState, by identifier: Identifier, eventID: String,
        context: HandlerContext, arrival: Bool
    ) async throws {
        let now = context.calendar.now()
        let isOpen = ["routed", "referral_requested", "referral_routed"].contains(state.status)
        let level = max(result.level, state.level)
        let routing = VisitRouting.route(
            purpose: state.purpose, level: level, largeCash: result.largeCash,
            wealthService: settings.hasWealthService(state.branchID))
        if arrival || (isOpen && (routing.zone.rawValue != state.zone || routing.priority != state.priority)) {
            try await context.connection.query(
                """
                UPDATE visits SET zone = \(routing.zone.rawValue), priority = \(routing.priority),
                    routing_reason = \(routing.reason), large_cash = large_cash OR \(result.largeCash)
                WHERE visit_id = \(state.visitID)
                """,
                logger: context.logger)
            try context.outbox.emit(
                VisitRouted.V1(
                    visitId: state.visitID, branchId: state.branchID, customerId: state.customerID, zone: routing.zone,
                    priority: routing.priority, reason: routing.reason, purpose: state.purpose, at: now),
                time: now, subject: state.subject)
        }
        guard result.level > state.level, let classification = result.classification, let basis = result.basis else {
            return
        }

        // The wait starts when the customer was identified, never later than now (a front end's clock may run
        // ahead).
        let identifiedAt =
            identifier.at.millisecondsSinceEpoch <= now.millisecondsSinceEpoch ? identifier.at : now
        let opensReferral = state.referralID == nil && isOpen
        let referralID = opensReferral ? UUID() : state.referralID
        let centre = opensReferral ? settings.designatedCentres[state.branchID] : nil
        try await context.connection.query(
            """
            UPDATE visits SET classification = \(classification.rawValue), tier = \(result.tier?.rawValue),
                basis = \(basis.rawValue), reasons = \(result.reasons), identified_by = \(identifier.staffID),
                identified_by_role = \(identifier.role?.rawValue), identified_at = \(identifiedAt.date)
            WHERE visit_id = \(state.visitID)
            """,
            logger: context.logger)
        if opensReferral, let referralID {
            try await context.connection.query(
                """
                UPDATE visits SET status = 'referral_requested', referral_id = \(referralID),
                    referral_requested_at = \(identifiedAt.date), designated_centre_id = \(centre)
                WHERE visit_id = \(state.visitID)
                """,
                logger: context.logger)
        }
        try await context.connection.query(
            """
            INSERT INTO identifications (identification_id, visit_id, branch_id, business_date, customer_id,
                customer_key, classification, tier, basis, reasons, identified_by, identified_by_role, identified_at,
                referral_id, designated_centre_id, source_event_id)
            VALUES (\(UUID()), \(state.visitID), \(state.branchID),
                \(context.calendar.businessDate(of: identifiedAt).description)::date, \(state.customerID),
                \(state.customerID ?? "visit/\(state.visitID)"), \(classification.rawValue), \(result.tier?.rawValue),
                \(basis.rawValue), \(result.reasons), \(identifier.staffID), \(identifier.role?.rawValue),
                \(identifiedAt.date), \(referralID), \(centre), \(eventID))
            ON CONFLICT (visit_id, classification) DO NOTHING
            """,
            logger: context.logger)
        let profile = basis == .aum ? try await loadProfile(state.customerID, on: context.connection, logger: context.logger) : nil
        try context.outbox.emit(
            CustomerIdentified.V1(
                visitId: state.visitID, branchId: state.branchID, customerId: state.customerID,
                classification: classification, tier: result.tier, basis: basis, reasons: result.reasons,
                identifiedBy: identifier.staffID, identifiedByRole: identifier.role, at: identifiedAt,
                aumDailyAvg: profile?.aumDailyAvg),
            time: now, subject: state.subject)
        context.logger.info(
            "customer identified",
            metadata: [
                "visit.id": "\(state.visitID)", "branch.id": "\(state.branchID)",
                "classification": "\(classification.rawValue)", "basis": "\(basis.rawValue)",
                "identified.by.role": "\(identifier.role?.rawValue ?? "unknown")",
            ])
        guard opensReferral, let referralID else { return }
        try context.outbox.emit(
            ReferralRequested.V1(
                referralId: referralID.uuidString.lowercased(), visitId: state.visitID, branchId: state.branchID,
                customerId: state.customerID, classification: classification, tier: result.tier,
                requestedAt: identifiedAt, designatedCentreId: centre),
            time: now, subject: state.subject)
    }

    /// The authenticated data a visit's contact phone is sealed with: the ciphertext opens on that visit only.
    static func phoneContext(_ visitID: String) -> String { "intake/visit/\(visitID)/contact-phone" }
}
