import Events
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Scoring: the lobby's daily statistics per branch (rulebook C-10): VIPs received by each manager, VIPs
/// identified by lobby staff and by tellers, complaints received.
public struct ScoringService: ConciergeService {
    public static let name = "scoring"
    public static let defaultHTTPPort = 8085
    public static let consumedTopics = [Topics.intakeEvents, Topics.assignmentEvents, Topics.complaintsEvents]
    public static let producedTopics = [Topics.scoringEvents]

    public static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    public let handledEventTypes: Set<String> = [
        CustomerIdentified.V1.eventType, ReferralRouted.V1.eventType, CaseOpened.V1.eventType,
    ]

    let context: ServiceContext

    public init(context: ServiceContext) throws {
        self.context = context
    }

    /// The `branch_daily` column an identification counts in, by who identified the customer.
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

    public func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
        switch event.payload {
        case .customerIdentified(let identified):
            let column = Self.identificationColumn(
                classification: identified.classification, role: identified.identifiedByRole)
            try await increment(
                column, branchID: identified.branchId, date: context.calendar.businessDate(of: identified.at),
                context: context)
        case .caseOpened(let opened):
            guard let branchID = opened.branchId else { return }
            try await increment(
                "complaints_received", branchID: branchID,
                date: context.calendar.businessDate(of: opened.receivedAt), context: context)
        case .referralRouted(let routed):
            guard let branchID = routed.branchId, routed.classification != .potential else { return }
            try await context.connection.query(
                """
                INSERT INTO manager_daily (branch_id, business_date, manager_id, vips_received)
                VALUES (\(branchID), \(context.calendar.businessDate(of: routed.at).description)::date,
                    \(routed.managerId), 1)
                ON CONFLICT (branch_id, business_date, manager_id)
                DO UPDATE SET vips_received = manager_daily.vips_received + 1
                """,
                logger: context.logger)
        default:
            return
        }
    }

    private func increment(_ column: String, branchID: String, date: BusinessDate, context: HandlerContext)
        async throws
    {
        // `column` comes from a fixed list above, never from input.
        try await context.connection.query(
            """
            INSERT INTO branch_daily (branch_id, business_date, \(unescaped: column))
            VALUES (\(branchID), \(date.description)::date, 1)
            ON CONFLICT (branch_id, business_date)
            DO UPDATE SET \(unescaped: column) = branch_daily.\(unescaped: column) + 1
            """,
            logger: context.logger)
    }
}
