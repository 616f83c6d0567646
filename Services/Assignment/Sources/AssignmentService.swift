import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Assignment: every VIP has exactly one exclusive relationship manager (rulebook D-01); a referral goes to the
/// owner, or makes the least-loaded active wealth manager of the branch the owner (D-03, D-04).
public struct AssignmentService: ConciergeService {
    public static let name = "assignment"
    public static let defaultHTTPPort = 8082
    public static let consumedTopics = [Topics.staffDirectory, Topics.intakeEvents]
    public static let producedTopics = [Topics.assignmentEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [StaffUpdated.V1.eventType, ReferralRequested.V1.eventType]

    let settings: AssignmentSettings
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try AssignmentSettings(environment: context.environment)
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        switch event.payload {
        case .staffUpdated(let staff):
            try await storeStaff(staff, eventID: event.id, context: context)
        case .referralRequested(let referral):
            try await route(referral, context: context)
        default:
            return
        }
    }

    // MARK: - Staff directory

    private func storeStaff(_ staff: StaffUpdated.V1, eventID: String, context: HandlerContext) async throws {
        // HR snapshots may arrive out of order: the latest `effectiveAt` wins.
        try await context.connection.query(
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
            """,
            logger: context.logger)
    }

    // MARK: - Referrals

    private func route(_ referral: ReferralRequested.V1, context: HandlerContext) async throws {
        let now = context.calendar.now()
        let isNew = try await context.connection.query(
            """
            INSERT INTO referrals (referral_id, visit_id, customer_id, branch_id, tier, status, requested_at)
            VALUES (\(referral.referralId), \(referral.visitId), \(referral.customerId), \(referral.branchId),
                \(referral.tier?.rawValue), 'unassigned', \(referral.requestedAt.date))
            ON CONFLICT (referral_id) DO NOTHING
            RETURNING 1
            """,
            logger: context.logger
        ).collect()
        guard !isNew.isEmpty else { return }

        let repository = AssignmentRepository(connection: context.connection, logger: context.logger)
        var owner: AssignmentRepository.Owner?
        if let customerID = referral.customerId { owner = try await repository.owner(of: customerID) }
        if owner == nil {
            // An outlet without wealth service names its designated centre, whose managers take the referral (C-08).
            guard let candidate = try await repository.leastLoadedManager(
                branchID: referral.servingBranchId, capacity: settings.managerCapacity)
            else {
                try await raiseCapacityAlert(referral, repository: repository, now: now, context: context)
                return
            }
            if let customerID = referral.customerId {
                let team = try await repository.serviceTeam(
                    managerID: candidate, branchID: referral.servingBranchId, tier: referral.tier)
                if try await repository.assign(
                    customerID: customerID, managerID: candidate, branchID: referral.servingBranchId,
                    tier: referral.tier,
                    team: team, at: now)
                {
                    try context.outbox.emit(
                        ManagerAssigned.V1(
                            customerId: customerID, managerId: candidate, branchId: referral.servingBranchId,
                            tier: referral.tier, serviceTeam: team, reason: .new, previousManagerId: nil, at: now),
                        time: now, subject: "customer/\(customerID)")
                    owner = .init(managerID: candidate, status: "active", coveringStaffID: nil)
                } else {
                    // Another instance made someone the owner a moment ago (D-01): route to that owner.
                    owner = try await repository.owner(of: customerID)
                }
            } else {
                // An unknown walk-in has nobody to own: the referral goes to the manager, ownership comes later.
                owner = .init(managerID: candidate, status: "active", coveringStaffID: nil)
            }
        }
        guard let owner else { return }

        // An owner on leave keeps the customer; the covering colleague serves (D-06).
        let covering = owner.status == "on_leave" ? owner.coveringStaffID : nil
        let servingManager = covering ?? owner.managerID
        try await context.connection.query(
            """
            UPDATE referrals SET status = 'routed', manager_id = \(servingManager),
                covering_for = \(covering == nil ? nil : owner.managerID), routed_at = \(now.date)
            WHERE referral_id = \(referral.referralId)
            """,
            logger: context.logger)
        try context.outbox.emit(
            ReferralRouted.V1(
                referralId: referral.referralId, visitId: referral.visitId, customerId: referral.customerId,
                managerId: servingManager, coveringFor: covering == nil ? nil : owner.managerID, at: now,
                branchId: referral.branchId, tier: referral.tier, classification: referral.classification),
            time: now, subject: referral.customerId.map { "customer/\($0)" } ?? "visit/\(referral.visitId)")
    }

    private func raiseCapacityAlert(
        _ referral: ReferralRequested.V1, repository: AssignmentRepository, now: Timestamp, context: HandlerContext
    ) async throws {
        let branchID = referral.servingBranchId
        let centreHead = try await repository.activeStaff(branchID: branchID, role: .centreHead).first
        context.logger.warning(
            "no eligible wealth manager; capacity alert raised", metadata: ["branch.id": "\(branchID)"])
        try context.outbox.emit(
            CapacityAlert.V1(
                alertId: UUID().uuidString.lowercased(), branchId: branchID, customerId: referral.customerId,
                referralId: referral.referralId,
                reason: "no active wealth manager with capacity in branch \(branchID)",
                heldBy: centreHead, at: now),
            time: now, subject: "branch/\(branchID)")
    }
}
