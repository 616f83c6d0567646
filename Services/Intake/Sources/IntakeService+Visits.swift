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
        // Signals raised before the arrival reached us (a front end publishing out of order) count too, in order.
        let (profile, earlier) = try await arrivalReads(
            visitID: visit.visitId, customerID: visit.customerId, context: context)
        let onArrival = (visit.signals ?? []).map {
            Identification.RaisedSignal($0, amount: $0 == .largeCash ? visit.amount : nil)
        }
        var customerID = visit.customerId
        var cardTier = visit.cardTier
        var facts = Identification.Facts(
            profile: profile, cardTier: cardTier, purpose: visit.purpose, amount: visit.amount, signals: onArrival)
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

        // The visit as it was before the assessment (standard, routed) and what the assessment makes of it: the row
        // is written once, as it ends up.
        let arrived = VisitState(
            visitID: visit.visitId, branchID: visit.branchId, customerID: customerID, purpose: visit.purpose,
            amount: visit.amount, cardTier: cardTier, status: "routed", level: .standard, referralID: nil,
            zone: "", priority: false)
        let change = decide(result, for: arrived, by: identifier, arrival: true, now: context.calendar.now())
        let identified = change.identified
        let phone = try visit.contactPhone.map { try cipher.seal($0, context: Self.phoneContext(visit.visitId)) }
        let businessDate = context.calendar.businessDate(of: visit.arrivedAt)
        let inserted = try await context.connection.query(
            """
            INSERT INTO visits (visit_id, branch_id, customer_id, purpose, arrived_at, business_date, recorded_by,
                recorded_by_role, card_tier, amount, ticket, large_cash, zone, priority, routing_reason,
                classification, tier, basis, reasons, identified_by, identified_by_role, identified_at, status,
                referral_id, referral_requested_at, designated_centre_id, contact_phone_key_id,
                contact_phone_ciphertext, source_event_id)
            VALUES (\(visit.visitId), \(visit.branchId), \(customerID), \(visit.purpose.rawValue),
                \(visit.arrivedAt.date), \(businessDate.description)::date, \(visit.recordedBy),
                \(visit.recordedByRole?.rawValue), \(cardTier), \(visit.amount?.decimalString)::numeric,
                \(visit.ticket), \(result.largeCash), \(change.routing.zone.rawValue), \(change.routing.priority),
                \(change.routing.reason), \(identified?.classification.rawValue ?? "standard"),
                \(identified?.tier?.rawValue), \(identified?.basis.rawValue), \(identified?.reasons ?? []),
                \(identified?.by.staffID), \(identified?.by.role?.rawValue), \(identified?.at.date),
                \(identified?.opensReferral == true ? "referral_requested" : "routed"),
                \(identified?.opensReferral == true ? identified?.referralID : nil),
                \(identified?.opensReferral == true ? identified?.at.date : nil), \(identified?.centre),
                \(phone?.keyID), \(phone.map { ByteBuffer(bytes: $0.bytes) }), \(eventID))
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
        for (index, raised) in onArrival.enumerated() {
            try await storeSignal(
                eventID: "\(eventID)#\(index)", visitID: visit.visitId, branchID: visit.branchId,
                identifier: Identifier(staffID: visit.recordedBy, role: visit.recordedByRole, at: visit.arrivedAt),
                raised: raised, customerID: nil, cardTier: nil, context: context)
        }
        try await announce(change, of: arrived, eventID: eventID, profile: facts.profile, context: context)
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
        let change = decide(result, for: state, by: identifier, arrival: false, now: context.calendar.now())
        try await update(state, to: change, largeCash: result.largeCash, context: context)
        try await announce(change, of: state, eventID: eventID, profile: facts.profile, context: context)
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
            if let stored = Self.storedSignal(staffID, role, signal, amount, at, customerID, cardTier, context: context) {
                signals.append(stored)
            }
        }
        return signals
    }

    /// What an arrival reads, in one round trip: the customer's profile (``loadProfile(_:on:logger:)``) and the
    /// visit's signals kept from before it arrived (``storedSignals(visitID:context:)``), in order.
    func arrivalReads(visitID: String, customerID: String?, context: HandlerContext) async throws
        -> (profile: Identification.Profile?, signals: [StoredSignal])
    {
        let rows = try await context.connection.query(
            """
            SELECT p.aum_daily_avg::text, p.segment_override, p.card_holder, s.staff_id, s.role, s.signal,
                s.amount::text, s.at, s.customer_id, s.card_tier
            FROM (SELECT 1) AS one
            LEFT JOIN customer_profiles AS p ON p.customer_id = \(customerID)
            LEFT JOIN visit_signals AS s ON s.visit_id = \(visitID)
            ORDER BY s.at, s.received_at, s.event_id
            """,
            logger: context.logger)
        var profile: Identification.Profile?
        var signals: [StoredSignal] = []
        for try await (aum, override, cardHolder, staffID, role, signal, amount, at, signalCustomer, cardTier)
            in rows.decode((String?, String?, Bool?, String?, String?, String?, String?, Date?, String?, String?).self)
        {
            if profile == nil, let aum, let amount = try? Amount(parsing: aum) {
                profile = Identification.Profile(aumDailyAvg: amount, segmentOverride: override, cardHolder: cardHolder)
            }
            guard let staffID, let signal, let at else { continue }
            if let stored = Self.storedSignal(
                staffID, role, signal, amount, at, signalCustomer, cardTier, context: context)
            {
                signals.append(stored)
            }
        }
        return (profile, signals)
    }

    /// A `visit_signals` row as identification needs it; `nil` for a signal this version does not know.
    private static func storedSignal(
        _ staffID: String, _ role: String?, _ signal: String, _ amount: String?, _ at: Date, _ customerID: String?,
        _ cardTier: String?, context: HandlerContext
    ) -> StoredSignal? {
        guard let leadSignal = LeadSignal(rawValue: signal) else { return nil }
        return StoredSignal(
            raised: .init(leadSignal, amount: amount.flatMap { try? Amount(parsing: $0) }),
            identifier: Identifier(
                staffID: staffID, role: role.flatMap(StaffRole.init(rawValue:)), at: context.calendar.localized(at)),
            customerID: customerID, cardTier: cardTier)
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

    /// What an assessment changes in a visit (``decide(_:for:by:arrival:now:)``).
    struct VisitChange {
        /// Where the visit is served now.
        var routing: VisitRouting.Decision
        /// Whether `visit-routed` is announced: always on arrival, and whenever an open visit's zone or priority
        /// changes.
        var announcesRouting: Bool
        /// The identification, when the visit moves up.
        var identified: Identified?
    }

    /// A visit moving up to potential or VIP.
    struct Identified {
        var classification: Classification
        var tier: Tier?
        var basis: IdentificationBasis
        var reasons: [String]
        var by: Identifier
        /// When the customer was identified (never later than now: a front end's clock may run ahead).
        var at: Timestamp
        /// Whether this identification requests the visit's one referral (C-03), while the customer is there.
        var opensReferral: Bool
        var referralID: UUID?
        /// The designated centre whose managers take the referral of an outlet without wealth service (C-08).
        var centre: String?
    }

    /// Decides what an assessment does to a visit: it only ever moves up (standard → potential → VIP), is routed
    /// by its level, and requests its one referral when it is first identified while still open. Nothing is written.
    func decide(
        _ result: Identification.Result, for state: VisitState, by identifier: Identifier, arrival: Bool,
        now: Timestamp
    ) -> VisitChange {
        let isOpen = ["routed", "referral_requested", "referral_routed"].contains(state.status)
        let routing = VisitRouting.route(
            purpose: state.purpose, level: max(result.level, state.level), largeCash: result.largeCash,
            wealthService: settings.hasWealthService(state.branchID))
        var change = VisitChange(
            routing: routing,
            announcesRouting: arrival
                || (isOpen && (routing.zone.rawValue != state.zone || routing.priority != state.priority)),
            identified: nil)
        guard result.level > state.level, let classification = result.classification, let basis = result.basis else {
            return change
        }
        let opensReferral = state.referralID == nil && isOpen
        change.identified = Identified(
            classification: classification, tier: result.tier, basis: basis, reasons: result.reasons, by: identifier,
            at: identifier.at.millisecondsSinceEpoch <= now.millisecondsSinceEpoch ? identifier.at : now,
            opensReferral: opensReferral, referralID: opensReferral ? UUID() : state.referralID,
            centre: opensReferral ? settings.designatedCentres[state.branchID] : nil)
        return change
    }

    /// Writes a signal's change to the stored visit (the arrival writes its row once, with the change in it).
    private func update(_ state: VisitState, to change: VisitChange, largeCash: Bool, context: HandlerContext)
        async throws
    {
        if change.announcesRouting {
            try await context.connection.query(
                """
                UPDATE visits SET zone = \(change.routing.zone.rawValue), priority = \(change.routing.priority),
                    routing_reason = \(change.routing.reason), large_cash = large_cash OR \(largeCash)
                WHERE visit_id = \(state.visitID)
                """,
                logger: context.logger)
        }
        guard let identified = change.identified else { return }
        try await context.connection.query(
            """
            UPDATE visits SET classification = \(identified.classification.rawValue), tier = \(identified.tier?.rawValue),
                basis = \(identified.basis.rawValue), reasons = \(identified.reasons),
                identified_by = \(identified.by.staffID), identified_by_role = \(identified.by.role?.rawValue),
                identified_at = \(identified.at.date)
            WHERE visit_id = \(state.visitID)
            """,
            logger: context.logger)
        if identified.opensReferral, let referralID = identified.referralID {
            try await context.connection.query(
                """
                UPDATE visits SET status = 'referral_requested', referral_id = \(referralID),
                    referral_requested_at = \(identified.at.date), designated_centre_id = \(identified.centre)
                WHERE visit_id = \(state.visitID)
                """,
                logger: context.logger)
        }
    }

    /// Records the identification in the register and announces the change: `visit-routed`, `customer-identified`,
    /// and `referral-requested` when it opens the referral.
    /// - Parameter profile: the customer's profile as the assessment read it (its assets go with an identification
    ///   by assets).
    private func announce(
        _ change: VisitChange, of state: VisitState, eventID: String, profile: Identification.Profile?,
        context: HandlerContext
    ) async throws {
        let now = context.calendar.now()
        if change.announcesRouting {
            try context.outbox.emit(
                VisitRouted.V1(
                    visitId: state.visitID, branchId: state.branchID, customerId: state.customerID,
                    zone: change.routing.zone, priority: change.routing.priority, reason: change.routing.reason,
                    purpose: state.purpose, at: now),
                time: now, subject: state.subject)
        }
        guard let identified = change.identified else { return }
        try await context.connection.query(
            """
            INSERT INTO identifications (identification_id, visit_id, branch_id, business_date, customer_id,
                customer_key, classification, tier, basis, reasons, identified_by, identified_by_role, identified_at,
                referral_id, designated_centre_id, source_event_id)
            VALUES (\(UUID()), \(state.visitID), \(state.branchID),
                \(context.calendar.businessDate(of: identified.at).description)::date, \(state.customerID),
                \(state.customerID ?? "visit/\(state.visitID)"), \(identified.classification.rawValue),
                \(identified.tier?.rawValue), \(identified.basis.rawValue), \(identified.reasons),
                \(identified.by.staffID), \(identified.by.role?.rawValue), \(identified.at.date),
                \(identified.referralID), \(identified.centre), \(eventID))
            ON CONFLICT (visit_id, classification) DO NOTHING
            """,
            logger: context.logger)
        try context.outbox.emit(
            CustomerIdentified.V1(
                visitId: state.visitID, branchId: state.branchID, customerId: state.customerID,
                classification: identified.classification, tier: identified.tier, basis: identified.basis,
                reasons: identified.reasons, identifiedBy: identified.by.staffID, identifiedByRole: identified.by.role,
                at: identified.at, aumDailyAvg: identified.basis == .aum ? profile?.aumDailyAvg : nil),
            time: now, subject: state.subject)
        context.logger.info(
            "customer identified",
            metadata: [
                "visit.id": "\(state.visitID)", "branch.id": "\(state.branchID)",
                "classification": "\(identified.classification.rawValue)", "basis": "\(identified.basis.rawValue)",
                "identified.by.role": "\(identified.by.role?.rawValue ?? "unknown")",
            ])
        guard identified.opensReferral, let referralID = identified.referralID else { return }
        try context.outbox.emit(
            ReferralRequested.V1(
                referralId: referralID.uuidString.lowercased(), visitId: state.visitID, branchId: state.branchID,
                customerId: state.customerID, classification: identified.classification, tier: identified.tier,
                requestedAt: identified.at, designatedCentreId: identified.centre),
            time: now, subject: state.subject)
    }

    /// The authenticated data a visit's contact phone is sealed with: the ciphertext opens on that visit only.
    static func phoneContext(_ visitID: String) -> String { "intake/visit/\(visitID)/contact-phone" }
}
