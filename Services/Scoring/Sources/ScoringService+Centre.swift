import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `GET /branches/{branchId}/indicators?date=`: a VIP centre's indicators (A-15 staffing, A-07 cross-sell, G-07
/// first-line resolution).
extension ScoringService {
    struct CentreView: ResponseCodable {
        /// staff of one role on the branch's roster (active or on leave), against the minimum.
        struct Staffing: Codable {
            var role: String
            var staffed: Int
            var onLeave: Int
            var minimum: Int
            var short: Bool
        }

        /// products per VIP customer: the distinct product types each VIP of the branch bought in the window,
        /// summed, over the branch's VIP customers.
        struct CrossSell: Codable {
            var from: BusinessDate
            var to: BusinessDate
            var vipCustomers: Int
            var productsHeld: Int
            var ratio: Double?
        }

        /// G-07: of the call-centre cases of the branch received in the month, the share resolved without leaving
        /// the front line.
        struct FirstLine: Codable {
            var month: String
            var cases: Int
            var resolvedAtFrontLine: Int
            var ratePercent: Double?
            var targetPercent: Int
            var meetsTarget: Bool?
        }

        var branchId: String
        var date: BusinessDate
        var staffing: [Staffing]
        var staffingShort: Bool
        var crossSell: CrossSell
        var firstLine: FirstLine
    }

    func centre(branchID: String, date: BusinessDate) async throws -> CentreView {
        var counts: [String: (staffed: Int, onLeave: Int)] = [:]
        for try await (role, status, count) in try await context.postgres.query(
            """
            SELECT role, status, count(*) FROM staff
            WHERE branch_id = \(branchID) AND status IN ('active', 'on_leave') GROUP BY role, status
            """,
            logger: context.logger
        ).decode((String, String, Int64).self) {
            counts[role, default: (0, 0)].staffed += Int(count)
            if status == StaffStatus.onLeave.rawValue { counts[role, default: (0, 0)].onLeave += Int(count) }
        }
        let staffing = [
            (StaffRole.wealthManager, settings.minimumWealthManagers),
            (.lobbyManager, settings.minimumLobbyManagers), (.marketingManager, settings.minimumMarketingManagers),
        ].map { role, minimum in
            let count = counts[role.rawValue] ?? (0, 0)
            return CentreView.Staffing(
                role: role.rawValue, staffed: count.staffed, onLeave: count.onLeave, minimum: minimum,
                short: count.staffed < minimum)
        }

        let months = settings.contributionMonths
        let crossSell = try await context.postgres.query(
            """
            WITH window_start AS (
                SELECT (\(date.description)::date - make_interval(months => \(months)::int))::date AS day
            ), vips AS (
                SELECT customer_id FROM customers WHERE home_branch_id = \(branchID) AND tier IS NOT NULL
            )
            SELECT ((SELECT day FROM window_start) + 1)::text, (SELECT count(*) FROM vips),
                (SELECT count(DISTINCT (s.customer_id, s.product_type)) FROM sales s JOIN vips v USING (customer_id)
                 WHERE s.sold_date > (SELECT day FROM window_start) AND s.sold_date <= \(date.description)::date)
            """,
            logger: context.logger
        ).collect().first!.decode((String, Int64, Int64).self)

        let month = Month(of: date)
        let firstLine = try await context.postgres.query(
            """
            SELECT count(*), count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT escalated) FROM cases
            WHERE branch_id = \(branchID) AND source = \(CaseSource.callCentre.rawValue)
                AND received_date BETWEEN \(month.first.description)::date AND \(month.last.description)::date
            """,
            logger: context.logger
        ).collect().first!.decode((Int64, Int64).self)
        let rate = firstLine.0 > 0 ? (Double(firstLine.1) * 1_000 / Double(firstLine.0)).rounded() / 10 : nil
        return CentreView(
            branchId: branchID, date: date, staffing: staffing, staffingShort: staffing.contains(where: \.short),
            crossSell: .init(
                from: BusinessDate(crossSell.0) ?? date, to: date, vipCustomers: Int(crossSell.1),
                productsHeld: Int(crossSell.2),
                ratio: crossSell.1 > 0 ? (Double(crossSell.2) * 100 / Double(crossSell.1)).rounded() / 100 : nil),
            firstLine: .init(
                month: month.description, cases: Int(firstLine.0), resolvedAtFrontLine: Int(firstLine.1),
                ratePercent: rate, targetPercent: settings.firstLineTargetPercent,
                meetsTarget: rate.map { $0 >= Double(settings.firstLineTargetPercent) }))
    }
}
