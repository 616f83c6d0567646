import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `GET /customers/{customerId}/score`: tier (B-03), contribution (G-05, G-01) and financial-health flags (G-09).
extension ScoringService {
    struct CustomerScoreView: ResponseCodable {
        /// G-05 contribution, the project's formula: the simulated profit (G-01's three parts) of the customer's
        /// sales in the trailing window, ranked within the customer's home branch.
        struct Contribution: Codable {
            /// The window, both days included.
            var from: BusinessDate
            var to: BusinessDate
            var depositProfit: Amount
            var wealthProfit: Amount
            var feeIncome: Amount
            var total: Amount
            var sales: Int
            /// 1 for the highest contribution in the branch; customers with equal totals share a rank.
            var rank: Int?
            /// Customers of the branch ranked (every customer with a profile there).
            var branchCustomers: Int?
            /// Percentile rank in the branch, 0–100: the share below, plus half the share equal (self included).
            var percentile: Double?
        }

        struct Health: Codable {
            /// The date of the profile the figures come from.
            var asOf: BusinessDate?
            var ratios: [FinancialHealth.Ratio]
        }

        var customerId: String
        var homeBranchId: String?
        /// Absent: not a VIP (or no profile yet).
        var tier: Tier?
        /// `assets`, `card` or `override`.
        var tierBasis: String?
        var aumDailyAvg: Amount?
        var profileAsOf: BusinessDate?
        var contribution: Contribution
        var financialHealth: Health
    }

    func customerScore(customerID: String, asOf: BusinessDate) async throws -> CustomerScoreView {
        let logger = context.logger
        let profile = try await context.postgres.query(
            """
            SELECT home_branch_id, aum_daily_avg::text, as_of::text, tier, tier_basis, financials::text
            FROM customers WHERE customer_id = \(customerID)
            """,
            logger: logger
        ).collect().first.map { try $0.decode((String, String, String, String?, String?, String?).self) }
        let months = settings.contributionMonths
        let window = try await context.postgres.query(
            """
            SELECT ((\(asOf.description)::date - make_interval(months => \(months)::int))::date + 1)::text,
                COALESCE(SUM(deposit_profit), 0)::text, COALESCE(SUM(wealth_profit), 0)::text,
                COALESCE(SUM(fee_income), 0)::text, count(*)
            FROM sales WHERE customer_id = \(customerID)
                AND sold_date > (\(asOf.description)::date - make_interval(months => \(months)::int))::date
                AND sold_date <= \(asOf.description)::date
            """,
            logger: logger
        ).collect().first!.decode((String, String, String, String, Int64).self)
        let known = try await context.postgres.query(
            "SELECT 1 FROM sales WHERE customer_id = \(customerID) LIMIT 1", logger: logger
        ).collect()
        guard profile != nil || !known.isEmpty else {
            throw APIError.notFound("no profile or sale is known for customer \(customerID)")
        }
        let parts = (
            deposit: try Amount(parsing: window.1), wealth: try Amount(parsing: window.2),
            fee: try Amount(parsing: window.3)
        )
        var contribution = CustomerScoreView.Contribution(
            from: BusinessDate(window.0) ?? asOf, to: asOf, depositProfit: parts.deposit, wealthProfit: parts.wealth,
            feeIncome: parts.fee, total: parts.deposit + parts.wealth + parts.fee, sales: Int(window.4))
        if let branch = profile?.0 {
            let ranks = try await context.postgres.query(
                """
                WITH totals AS (
                    SELECT c.customer_id,
                        COALESCE(SUM(s.deposit_profit + s.wealth_profit + s.fee_income), 0) AS total
                    FROM customers c
                    LEFT JOIN sales s ON s.customer_id = c.customer_id
                        AND s.sold_date > (\(asOf.description)::date - make_interval(months => \(months)::int))::date
                        AND s.sold_date <= \(asOf.description)::date
                    WHERE c.home_branch_id = \(branch)
                    GROUP BY c.customer_id
                ), me AS (SELECT total FROM totals WHERE customer_id = \(customerID))
                SELECT count(*) FILTER (WHERE t.total > me.total), count(*) FILTER (WHERE t.total = me.total),
                    count(*) FILTER (WHERE t.total < me.total), count(*)
                FROM totals t, me
                """,
                logger: logger
            ).collect().first!.decode((Int64, Int64, Int64, Int64).self)
            contribution.rank = Int(ranks.0) + 1
            contribution.branchCustomers = Int(ranks.3)
            contribution.percentile = Self.percentile(below: Int(ranks.2), equal: Int(ranks.1), of: Int(ranks.3))
        }
        let financials = try profile?.5.map {
            try JSONDecoder().decode(CustomerProfile.V1.Financials.self, from: Data($0.utf8))
        }
        return CustomerScoreView(
            customerId: customerID, homeBranchId: profile?.0, tier: profile?.3.flatMap(Tier.init(rawValue:)),
            tierBasis: profile?.4, aumDailyAvg: try profile.map { try Amount(parsing: $0.1) },
            profileAsOf: profile.flatMap { BusinessDate($0.2) }, contribution: contribution,
            financialHealth: .init(
                asOf: profile.flatMap { BusinessDate($0.2) },
                ratios: FinancialHealth.ratios(financials, debtServicePeriodMonths: settings.debtServicePeriodMonths)))
    }

    /// The percentile rank, 0–100 to one decimal: the share strictly below plus half the share equal (the one ranked
    /// included); `nil` for an empty population.
    static func percentile(below: Int, equal: Int, of count: Int) -> Double? {
        guard count > 0 else { return nil }
        return ((Double(below) + Double(equal) / 2) * 1_000 / Double(count)).rounded() / 10
    }
}
