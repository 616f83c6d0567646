import Events
import Foundation

/// The six financial-health ratios of rulebook G-09, from a profile's `financials`.
///
/// Four have a threshold and a status; two (savings, investment) are shown without one. A ratio whose inputs are
/// missing, or whose denominator is zero, is `unknown` with the reason; it is never shown as zero. The sources state
/// each threshold as a strict condition for a good position ("高于0.5为宜", "控制在0.5以下", "0.4以下", "大于3") and
/// leave the boundary itself open (rulebook J-14); Concierge reads them as written, so a value exactly on the
/// boundary does not meet the condition: its status is `attention`, with `atBoundary` set so a screen can say why.
public enum FinancialHealth {
    public enum Status: String, Codable, Sendable {
        /// The value meets the source's condition.
        case healthy
        /// The value does not meet it (including exactly on the boundary).
        case attention
        /// An input is missing or the denominator is zero.
        case unknown
        /// The source gives no threshold; the value is shown for the manager's judgement.
        case informational
    }

    public struct Ratio: Codable, Sendable, Equatable {
        /// `solvency`, `debtToAssets`, `debtServiceToIncome`, `liquidity`, `savings`, `investmentToNetAssets`.
        public var name: String
        public var formula: String
        /// The ratio to 4 decimal places, absent when unknown.
        public var value: String?
        /// The condition for a good position, e.g. `> 0.5`; absent for the two informational ratios.
        public var healthyWhen: String?
        public var status: Status
        /// The value equals the threshold exactly (the sources leave that case open; see the type's notes).
        public var atBoundary: Bool
        /// Why the ratio is unknown.
        public var unknownBecause: String?
        public var ruleId: String
    }

    private enum Condition {
        case above(Decimal)
        case below(Decimal)

        var text: String {
            switch self {
            case .above(let limit): "> \(limit)"
            case .below(let limit): "< \(limit)"
            }
        }
    }

    /// The six ratios, in the order of G-09's table.
    /// - Parameter debtServicePeriodMonths: the period `periodDebtService` covers; the annual pre-tax income is
    ///   scaled to it.
    public static func ratios(_ financials: CustomerProfile.V1.Financials?, debtServicePeriodMonths: Int) -> [Ratio] {
        let f = financials ?? CustomerProfile.V1.Financials()
        let total = f.totalAssets.map(decimal)
        let liabilities = f.totalLiabilities.map(decimal)
        // Net assets as given, else total assets less liabilities (the identity behind G-09 rows 1 and 2).
        let net: Decimal? = f.netAssets.map(decimal) ?? total.flatMap { t in liabilities.map { t - $0 } }
        let periodIncome = f.annualPreTaxIncome.map { decimal($0) * Decimal(debtServicePeriodMonths) / 12 }
        return [
            ratio(
                "solvency", "netAssets / totalAssets", ("netAssets", net), ("totalAssets", total),
                condition: .above(Decimal(string: "0.5")!)),
            ratio(
                "debtToAssets", "totalLiabilities / totalAssets", ("totalLiabilities", liabilities),
                ("totalAssets", total), condition: .below(Decimal(string: "0.5")!)),
            ratio(
                "debtServiceToIncome",
                "periodDebtService / (annualPreTaxIncome × \(debtServicePeriodMonths) / 12)",
                ("periodDebtService", f.periodDebtService.map(decimal)), ("annualPreTaxIncome", periodIncome),
                condition: .below(Decimal(string: "0.4")!)),
            ratio(
                "liquidity", "liquidAssets / monthlyExpenses", ("liquidAssets", f.liquidAssets.map(decimal)),
                ("monthlyExpenses", f.monthlyExpenses.map(decimal)), condition: .above(3)),
            ratio(
                "savings", "surplus / afterTaxIncome", ("surplus", f.surplus.map(decimal)),
                ("afterTaxIncome", f.afterTaxIncome.map(decimal)), condition: nil),
            ratio(
                "investmentToNetAssets", "investmentAssets / netAssets",
                ("investmentAssets", f.investmentAssets.map(decimal)), ("netAssets", net), condition: nil),
        ]
    }

    private static func ratio(
        _ name: String, _ formula: String, _ numerator: (String, Decimal?), _ denominator: (String, Decimal?),
        condition: Condition?
    ) -> Ratio {
        var result = Ratio(
            name: name, formula: formula, value: nil, healthyWhen: condition?.text, status: .unknown,
            atBoundary: false, unknownBecause: nil, ruleId: "G-09")
        let missing = [numerator, denominator].filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty, let top = numerator.1, let bottom = denominator.1 else {
            result.unknownBecause = "missing " + missing.joined(separator: " and ")
            return result
        }
        guard bottom != 0 else {
            result.unknownBecause = "\(denominator.0) is zero"
            return result
        }
        let value = top / bottom
        result.value = rounded(value, places: 4)
        switch condition {
        case nil:
            result.status = .informational
        case .above(let limit):
            result.status = value > limit ? .healthy : .attention
            result.atBoundary = value == limit
        case .below(let limit):
            result.status = value < limit ? .healthy : .attention
            result.atBoundary = value == limit
        }
        return result
    }

    static func decimal(_ amount: Amount) -> Decimal {
        Decimal(amount.minorUnits) / 100
    }

    /// `value` rounded half away from zero to `places` decimals, as plain text (`0.4`, `-1.25`, `3.3333`).
    static func rounded(_ value: Decimal, places: Int) -> String {
        var source = value
        var result = Decimal()
        NSDecimalRound(&result, &source, places, .plain)
        return "\(result)"
    }
}
