import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Assignment: every VIP has exactly one exclusive relationship manager (rulebook D-01), chosen within the caps of
/// D-03; referrals go to the owner or whoever covers for them (D-04, D-06); departures hand every customer over at
/// once (D-05); marketing managers transfer customers with their file (D-08); notes survive owners (D-12).
public struct AssignmentService: ConciergeService {
    public static let name = "assignment"
    public static let defaultHTTPPort = 8082
    public static let consumedTopics = [
        Topics.staffDirectory, Topics.intakeEvents, Topics.customerProfiles, Topics.crmActivities,
    ]
    public static let producedTopics = [Topics.assignmentEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [
        StaffUpdated.V1.eventType, ReferralRequested.V1.eventType, CustomerProfile.V1.eventType,
        ContactLogged.V1.eventType,
    ]

    let settings: AssignmentSettings
    let context: ServiceContext
    /// Seals the contact in a transferred customer file (H-03).
    let cipher: FieldCipher

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try AssignmentSettings(environment: context.environment)
        self.cipher = try FieldCipher(environment: context.environment)
        // PII_RESEAL_*: a bad value stops the service here rather than its re-seal job later (H-03).
        _ = try FieldResealer.Settings(environment: context.environment)
    }

    /// Customer-file contacts sealed with a retired key are sealed again with the active one (H-03, `PII_RESEAL_*`).
    public func backgroundJobs() -> [any BackgroundJob] {
        [personalDataResealJob()]
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        let work = work(context.connection, context.outbox, logger: context.logger)
        switch event.payload {
        case .staffUpdated(let staff):
            try await storeStaff(staff, eventID: event.id, work: work)
        case .referralRequested(let referral):
            try await route(referral, work: work)
        case .customerProfile(let profile):
            try await storeProfile(profile, eventID: event.id, work: work)
        case .contactLogged(let contact):
            try await completeHandover(contact, work: work)
        default:
            return
        }
    }

    // MARK: - Referrals (D-01, D-04, D-06, C-03, C-08)

    private func route(_ referral: ReferralRequested.V1, work: OwnershipWork) async throws {
        let repository = work.repository
        let isNew = try await repository.connection.query(
            """
            INSERT INTO referrals (referral_id, visit_id, customer_id, branch_id, tier, status, requested_at)
            VALUES (\(referral.referralId), \(referral.visitId), \(referral.customerId), \(referral.branchId),
                \(referral.tier?.rawValue), 'unassigned', \(referral.requestedAt.date))
            ON CONFLICT (referral_id) DO NOTHING
            RETURNING 1
            """,
            logger: repository.logger
        ).collect()
        guard !isNew.isEmpty else { return }

        // An outlet without wealth service names its designated centre, whose managers take the referral (C-08).
        let servingBranch = referral.servingBranchId
        let recipient: (managerID: String, coveringFor: String?)?
        if let customerID = referral.customerId {
            recipient = try await ownerOrCover(of: customerID, referral: referral, work: work)
        } else {
            recipient = try await recipientForUnknown(referral, branchID: servingBranch, work: work)
        }
        guard let recipient else { return }
        try await repository.connection.query(
            """
            UPDATE referrals SET status = 'routed', manager_id = \(recipient.managerID),
                covering_for = \(recipient.coveringFor), routed_at = \(work.now.date)
            WHERE referral_id = \(referral.referralId)
            """,
            logger: repository.logger)
        try work.outbox.emit(
            ReferralRouted.V1(
                referralId: referral.referralId, visitId: referral.visitId, customerId: referral.customerId,
                managerId: recipient.managerID, coveringFor: recipient.coveringFor, at: work.now,
                branchId: referral.branchId, tier: referral.tier, classification: referral.classification,
                requestedAt: referral.requestedAt),
            time: work.now, subject: referral.customerId.map { "customer/\($0)" } ?? "visit/\(referral.visitId)")
    }

    /// The customer's owner — made first if the customer has none, or the owner has left (D-01, D-05) — or, for an
    /// owner on leave, whoever covers (D-06); for a held customer, the holder.
    private func ownerOrCover(
        of customerID: String, referral: ReferralRequested.V1, work: OwnershipWork
    ) async throws -> (managerID: String, coveringFor: String?)? {
        let repository = work.repository
        // Every change of owner in a branch happens under the branch's lock; read again once it is held. A customer
        // who has an owner usually keeps them: the lock is then taken shared, so the branch's walk-ins are routed
        // side by side, and exclusively only when the owner must change.
        let known = try await repository.relationship(of: customerID)
        if let known, !known.isHeld, let managerID = known.managerID {
            try await repository.lockBranch(known.branchID, shared: true)
            if let current = try await repository.relationship(of: customerID), current == known,
                let owner = try await repository.staff(managerID), departure(of: owner, from: known.branchID) == nil
            {
                return try await recipient(managerID, owner: owner, repository: repository)
            }
            // The owner left, or the relationship changed before the lock was ours: a change of owner follows.
        }
        try await repository.lockBranch(known?.branchID ?? referral.servingBranchId)
        var relationship = try await repository.relationship(of: customerID)
        var owner: AssignmentRepository.StaffMember?
        if let managerID = relationship?.managerID { owner = try await repository.staff(managerID) }
        if let current = relationship, !current.isHeld, let member = owner,
            let departure = departure(of: member, from: current.branchID)
        {
            // HR's departure reached us before this customer was ours to hand over: hand over now.
            relationship = try await placeInBranch(
                .init(current, departure: departure, referralID: referral.referralId), work: work)
        } else if let current = relationship, current.isHeld {
            relationship = try await placeInBranch(
                .init(current, departure: nil, referralID: referral.referralId), work: work)
        } else if relationship == nil {
            let customer = OwnershipWork.Customer(
                new: customerID, branchID: referral.servingBranchId, tier: referral.tier,
                referralID: referral.referralId)
            // `nil`: another instance created it between our read and insert (the primary key decides, D-01).
            relationship = try await placeInBranch(customer, work: work)
            if relationship == nil { relationship = try await repository.relationship(of: customerID) }
        }
        guard let relationship, let managerID = relationship.managerID else { return nil }
        if relationship.isHeld { return (managerID, nil) }
        if owner?.staffID != managerID { owner = try await repository.staff(managerID) }
        return try await recipient(managerID, owner: owner, repository: repository)
    }

    /// The owner, or for an owner on leave whoever covers (D-06).
    private func recipient(
        _ managerID: String, owner: AssignmentRepository.StaffMember?, repository: AssignmentRepository
    ) async throws -> (managerID: String, coveringFor: String?) {
        if let owner, owner.isOnLeave, let cover = try await repository.cover(for: owner) { return (cover, managerID) }
        return (managerID, nil)
    }

    private func placeInBranch(_ customer: OwnershipWork.Customer, work: OwnershipWork) async throws
        -> AssignmentRepository.Relationship?
    {
        var pool = try await work.repository.pool(
            branchID: customer.branchID, policy: settings.capacity, at: work.now)
        return try await work.place(customer, from: &pool)
    }

    /// An unknown walk-in has nobody to own: the referral goes to the manager who would be chosen, ownership comes
    /// later; with nobody eligible, to the centre head, with a capacity alert.
    private func recipientForUnknown(
        _ referral: ReferralRequested.V1, branchID: String, work: OwnershipWork
    ) async throws -> (managerID: String, coveringFor: String?)? {
        var pool = try await work.repository.pool(branchID: branchID, policy: settings.capacity, at: work.now)
        if let choice = pool.choose(for: Segment(tier: referral.tier)) { return (choice.staffID, nil) }
        let holder = try await work.repository.firstActive(.centreHead, branchID: branchID)
        try work.outbox.emit(
            CapacityAlert.V1(
                alertId: UUID().uuidString.lowercased(), branchId: branchID, referralId: referral.referralId,
                reason: "no eligible wealth manager with room in \(branchID) for walk-in \(referral.visitId) (D-03)"
                    + (holder.map { "; the centre head \($0) receives it" } ?? "; no centre head in the directory"),
                heldBy: holder, at: work.now),
            time: work.now, subject: "visit/\(referral.visitId)")
        return holder.map { ($0, nil) }
    }

    /// Why `member` can no longer serve the customers they own in `branchID` (D-05, D-07), or `nil` when they can:
    /// their status (`transferred`, `left`, `removed`), a new role (`role_changed`) or a new branch (`branch_changed`).
    func departure(of member: AssignmentRepository.StaffMember, from branchID: String)
        -> AssignmentRepository.Departure?
    {
        let reason: String
        if [StaffStatus.transferred, .left, .removed].map(\.rawValue).contains(member.status) {
            reason = member.status
        } else if member.role != StaffRole.wealthManager.rawValue {
            reason = "role_changed"
        } else if member.branchID != branchID {
            reason = "branch_changed"
        } else {
            return nil
        }
        return .init(managerID: member.staffID, reason: reason, effectiveAt: Timestamp(nearest: member.effectiveAt))
    }
}
