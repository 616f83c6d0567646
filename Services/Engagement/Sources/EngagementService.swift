import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Engagement: the tasks on each relationship manager's agenda. A routed walk-in referral gives the manager a
/// `receive_walkin` task and a `follow_up` task (rulebook C-05, C-06).
public struct EngagementService: ConciergeService {
    public static let name = "engagement"
    public static let defaultHTTPPort = 8083
    public static let consumedTopics = [Topics.assignmentEvents]
    public static let producedTopics = [Topics.engagementEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [ReferralRouted.V1.eventType]

    let settings: EngagementSettings
    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
        self.settings = try EngagementSettings(environment: context.environment)
    }

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        guard case .referralRouted(let routed) = event.payload else { return }
        let plan = WalkInPlan.tasks(referredAt: routed.at, settings: settings, calendar: context.calendar)
        let now = context.calendar.now()
        for task in plan {
            let taskID = UUID()
            let inserted = try await context.connection.query(
                """
                INSERT INTO tasks (task_id, customer_id, manager_id, kind, due_at, due_date, rule_id, title,
                    source_event_id, visit_id, referral_id, branch_id)
                VALUES (\(taskID), \(routed.customerId), \(routed.managerId), \(task.kind.rawValue), \(task.dueAt.date),
                    \(context.calendar.businessDate(of: task.dueAt).description)::date, \(task.ruleID), \(task.title),
                    \(event.id), \(routed.visitId), \(routed.referralId), \(routed.branchId))
                ON CONFLICT (source_event_id, kind) DO NOTHING
                RETURNING 1
                """,
                logger: context.logger
            ).collect()
            guard !inserted.isEmpty else { continue }
            try context.outbox.emit(
                TaskScheduled.V1(
                    taskId: taskID.uuidString.lowercased(), customerId: routed.customerId, managerId: routed.managerId,
                    kind: task.kind, dueAt: task.dueAt, ruleId: task.ruleID, sourceEventId: event.id,
                    visitId: routed.visitId, referralId: routed.referralId, branchId: routed.branchId,
                    title: task.title),
                time: now, subject: routed.customerId.map { "customer/\($0)" } ?? "visit/\(routed.visitId)")
        }
    }
}
