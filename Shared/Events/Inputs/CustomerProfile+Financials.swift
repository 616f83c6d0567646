// MARK: - CustomerProfile.V1.Financials

extension CustomerProfile.V1 {
    /// A customer's financial figures (`financials` of `bank.core.customer-profile.v1`), all optional decimal
    /// strings in CNY. Scoring derives financial-health flags from them (rulebook G-09).
    public struct Financials: Codable, Sendable, Equatable {
        /// Total assets.
        public var totalAssets: Amount?
        /// Total liabilities.
        public var totalLiabilities: Amount?
        /// Net assets; may be negative.
        public var netAssets: Amount?
        /// Liquid assets.
        public var liquidAssets: Amount?
        /// Monthly expenses.
        public var monthlyExpenses: Amount?
        /// Annual income before tax.
        public var annualPreTaxIncome: Amount?
        /// Debt service for the period.
        public var periodDebtService: Amount?
        /// Income after tax.
        public var afterTaxIncome: Amount?
        /// Income left after expenses and debt service; may be negative.
        public var surplus: Amount?
        /// Investment assets.
        public var investmentAssets: Amount?

        /// Creates the figures; each parameter sets the property of the same name.
        public init(
            totalAssets: Amount? = nil,
            totalLiabilities: Amount? = nil,
            netAssets: Amount? = nil,
            liquidAssets: Amount? = nil,
            monthlyExpenses: Amount? = nil,
            annualPreTaxIncome: Amount? = nil,
            periodDebtService: Amount? = nil,
            afterTaxIncome: Amount? = nil,
            surplus: Amount? = nil,
            investmentAssets: Amount? = nil
        ) {
            self.totalAssets = totalAssets
            self.totalLiabilities = totalLiabilities
            self.netAssets = netAssets
            self.liquidAssets = liquidAssets
            self.monthlyExpenses = monthlyExpenses
            self.annualPreTaxIncome = annualPreTaxIncome
            self.periodDebtService = periodDebtService
            self.afterTaxIncome = afterTaxIncome
            self.surplus = surplus
            self.investmentAssets = investmentAssets
        }

        /// Every figure except `netAssets` and `surplus` must not be negative.
        func validate() throws(EventValidationError) {
            try Check.notNegative(totalAssets, "financials.totalAssets")
            try Check.notNegative(totalLiabilities, "financials.totalLiabilities")
            try Check.notNegative(liquidAssets, "financials.liquidAssets")
            try Check.notNegative(monthlyExpenses, "financials.monthlyExpenses")
            try Check.notNegative(annualPreTaxIncome, "financials.annualPreTaxIncome")
            try Check.notNegative(periodDebtService, "financials.periodDebtService")
            try Check.notNegative(afterTaxIncome, "financials.afterTaxIncome")
            try Check.notNegative(investmentAssets, "financials.investmentAssets")
        }
    }
}
