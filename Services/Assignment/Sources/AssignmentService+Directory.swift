import Events
import Foundation
import PostgresNIO
import ServiceKit

/// What HR, core banking and the managers' CRM tell assignment: staff changes (D-05, D-06, D-07), tiers (B-03,
/// A-16) and first contacts after a handover (D-05).
extension AssignmentService {
    // MARK: - Staff directory

    func storeStaff(_ staff: StaffUpdated.V1, eventID: String, work: OwnershipWork) async throws {
        let repository = work.repository
        let previous = try await repository.staff(staff.staffId)
        // HR snapshots may arrive out of order: the latest `effectiveAt` wins.
        let applied = try await repository.connection.query(
            """
            INSERT INTO staff (staff_id, branch_id, role, grade, status, effective_at, covering_staff_id,
                source_event_id)
            VALUES (\(staff.staffId), \(staff.branchId), \(staff.role.rawValue), \(staff.grade),
                \(staff.status.rawValue), \(staff.effectiveAt.date), \(staff.coveringStaffId), \(eventID))
            ON CONFLICT (staff_id) DO UPDATE SET
                branch_id = EXCLUDED.branch_id, role = EXCLUDED.role, grade = EXCLUDED.grade,
                status = EXCLUDED.status, effective_at = EXCLUDED.effective_at,
                covering_staff_id = EXCLUDED.covering_staff_id, source_event_id = EXCLUDED.source_event_id,
                updated_at = now()
            WHERE staff.effective_at <= EXCLUDED.effective_at
            RETURNING 1
            """,
            logger: repository.logger
        ).collect()
        if staff.status == .removed {
            // D-07: a removal bars the manager for two years, even when HR's later news arrived first.
            let until = context.calendar.adding(months: settings.removalBanMonths, to: staff.effectiveAt)
            try await repository.connection.query(
                """
                UPDATE staff SET banned_until = greatest(coalesce(banned_until, \(until.date)), \(until.date))
                WHERE staff_id = \(staff.staffId)
                """,
                logger: repository.logger)
        }
        guard !applied.isEmpty, let member = try await repository.staff(staff.staffId) else { return }

        let owned = try await repository.relationships(
            """
            SELECT \(unescaped: AssignmentRepository.relationshipColumns) FROM relationships
            WHERE manager_id = \(member.staffID) AND state = 'owned'
            ORDER BY (tier IN ('B', 'C')) DESC NULLS LAST, assigned_at, customer_id
            """)
        let leaving = owned.compactMap { relationship in
            departure(of: member, from: relationship.branchID).map { (relationship, $0) }
        }
        // Every branch this update may touch, locked in one order so that two updates cannot deadlock.
        let branches = Set(leaving.map(\.0.branchID) + [member.branchID] + (previous.map { [$0.branchID] } ?? []))
        for branch in branches.sorted() { try await repository.lockBranch(branch) }

        // D-05: every customer of a departing manager gets a new owner at once, caps respected.
        for (branch, customers) in Dictionary(grouping: leaving, by: \.0.branchID).sorted(by: { $0.key < $1.key }) {
            var pool = try await repository.pool(branchID: branch, policy: settings.capacity, at: work.now)
            for (relationship, departure) in customers {
                try await work.place(.init(relationship, departure: departure), from: &pool)
            }
        }
        if !leaving.isEmpty {
            context.logger.info(
                "handover after departure",
                metadata: [
                    "staff.id": "\(member.staffID)", "reason": "\(leaving[0].1.reason)",
                    "customers": "\(leaving.count)",
                ])
        }

        let supervisors = [StaffRole.branchSalesSupervisor.rawValue, StaffRole.regionalSalesSupervisor.rawValue]
        for branch in branches.sorted() {
            if supervisors.contains(member.role) || previous.map({ supervisors.contains($0.role) }) == true {
                try await refreshTeams(branchID: branch, work: work)
            }
            // A manager back from leave, a new hire or a new centre head: held customers may now be placed.
            try await placeHeldCustomers(branchID: branch, work: work)
        }
    }

    /// Recomputes the service teams of the branch's tier B and C customers after a supervisor changed (A-16).
    private func refreshTeams(branchID: String, work: OwnershipWork) async throws {
        let relationships = try await work.repository.relationships(
            """
            SELECT \(unescaped: AssignmentRepository.relationshipColumns) FROM relationships
            WHERE branch_id = \(branchID) AND state = 'owned' AND tier IN ('B', 'C')
            ORDER BY customer_id
            """)
        for relationship in relationships {
            try await updateTeam(relationship, tier: relationship.tier, reason: "supervisor_changed", work: work)
        }
    }

    /// Sets the tier and recomputes the team; announces `service-team-changed` when either changed.
    private func updateTeam(
        _ relationship: AssignmentRepository.Relationship, tier: Tier?, reason: String, work: OwnershipWork
    ) async throws {
        guard let managerID = relationship.managerID, !relationship.isHeld else {
            if tier != relationship.tier {
                try await work.repository.updateTeam(
                    of: relationship.customerID, tier: tier, team: relationship.serviceTeam)
            }
            return
        }
        let team = try await work.serviceTeam(
            managerID: managerID, branchID: relationship.branchID, tier: tier)
        guard team != relationship.serviceTeam || tier != relationship.tier else { return }
        try await work.repository.updateTeam(of: relationship.customerID, tier: tier, team: team)
        try work.outbox.emit(
            ServiceTeamChanged.V1(
                customerId: relationship.customerID, managerId: managerID, branchId: relationship.branchID,
                previousTier: relationship.tier, tier: tier, previousServiceTeam: relationship.serviceTeam,
                serviceTeam: team, reason: reason, at: work.now),
            time: work.now, subject: "customer/\(relationship.customerID)")
    }

    // MARK: - Profiles (B-03, A-16)

    /// What a profile says about the tier: an override decides (a `potential` or `standard` override clears the
    /// tier); assets from the VIP threshold give A, B or C; assets below it say nothing (a card VIP keeps theirs).
    func profileTier(_ profile: CustomerProfile.V1) -> (tier: Tier?, basis: String) {
        switch SegmentOverride(profile.segmentOverride) {
        case .tier(let tier): return (tier, "override")
        case .potential, .standard: return (nil, "override")
        case nil: break
        }
        guard profile.aumDailyAvg >= settings.assetTiers.vipMinimum else { return (nil, "below_vip") }
        return (settings.assetTiers.tier(for: profile.aumDailyAvg), "assets")
    }

    func storeProfile(_ profile: CustomerProfile.V1, eventID: String, work: OwnershipWork) async throws {
        let (tier, basis) = profileTier(profile)
        let applied = try await work.repository.connection.query(
            """
            INSERT INTO customer_tiers (customer_id, tier, basis, as_of, source_event_id)
            VALUES (\(profile.customerId), \(tier?.rawValue), \(basis), \(profile.asOf.description)::date, \(eventID))
            ON CONFLICT (customer_id) DO UPDATE SET
                tier = EXCLUDED.tier, basis = EXCLUDED.basis, as_of = EXCLUDED.as_of,
                source_event_id = EXCLUDED.source_event_id
            WHERE customer_tiers.as_of <= EXCLUDED.as_of
            RETURNING 1
            """,
            logger: work.repository.logger
        ).collect()
        guard !applied.isEmpty, basis != "below_vip",
            let known = try await work.repository.relationship(of: profile.customerId), known.tier != tier
        else { return }
        try await work.repository.lockBranch(known.branchID)
        guard let relationship = try await work.repository.relationship(of: profile.customerId) else { return }
        try await updateTeam(relationship, tier: tier, reason: "tier_changed", work: work)

        // A customer crossing 1,000,000 moves between the caps' segments (D-03); nobody is moved, but a manager
        // pushed over a cap is reported.
        guard let managerID = relationship.managerID, !relationship.isHeld,
            Segment(tier: tier) != relationship.segment
        else { return }
        let load = try await work.repository.load(of: managerID)
        let policy = settings.capacity
        if load.total > policy.total || (policy.segmentCaps && load[Segment(tier: tier)] > policy.cap(Segment(tier: tier)))
        {
            try work.alert(
                .init(relationship, departure: nil), heldBy: managerID,
                reason: "\(profile.customerId) is now tier \(tier?.rawValue ?? "-"): \(managerID) holds "
                    + "\(load.standard) below and \(load.high) from 1,000,000, over the D-03 caps; rebalance by hand")
        }
    }

    // MARK: - First contact after a handover (D-05)

    /// The new manager's first direct contact (a call, meeting or visit; a message does not count) completes the
    /// customer's open handover.
    func completeHandover(_ contact: ContactLogged.V1, work: OwnershipWork) async throws {
        guard contact.kind != .message else { return }
        let rows = try await work.repository.connection.query(
            """
            UPDATE handovers SET status = 'completed', completed_at = \(contact.at.date),
                completed_by = \(contact.activityId)
            WHERE customer_id = \(contact.customerId) AND status = 'open' AND to_manager_id = \(contact.managerId)
                AND effective_at <= \(contact.at.date)
            RETURNING handover_id, from_manager_id, reason, effective_at, first_contact_due_at
            """,
            logger: work.repository.logger
        ).collect()
        guard let row = rows.first else { return }
        let (handoverID, from, reason, effectiveAt, due) = try row.decode((UUID, String, String, Date, Date).self)
        let calendar = context.calendar
        try work.outbox.emit(
            HandoverCompleted.V1(
                handoverId: handoverID.uuidString.lowercased(), customerId: contact.customerId, fromManagerId: from,
                toManagerId: contact.managerId, reason: reason, effectiveAt: calendar.localized(effectiveAt),
                firstContactDueAt: calendar.localized(due), at: work.now,
                firstContactAt: calendar.localized(contact.at), contactActivityId: contact.activityId,
                onTime: contact.at.millisecondsSinceEpoch <= Timestamp(nearest: due).millisecondsSinceEpoch),
            time: work.now, subject: "customer/\(contact.customerId)")
    }
}
