// MARK: - ProductSold

/// A product is sold to a customer (scoring contribution, rulebook G-01…G-06).
///
/// Type `bank.crm.product-sold.v1` on topic `crm.activities`; Kafka key: `customerId`.
public enum ProductSold {
    /// The newest version: producers emit it, and ``EventCatalog`` upgrades older versions to it.
    public typealias Latest = V1
}

// MARK: - ProductSold.V1

extension ProductSold {
    /// Version 1 of the `data` of `bank.crm.product-sold.v1`.
    public struct V1: EventData {
        /// `bank.crm.product-sold.v1`.
        public static let eventType = "bank.crm.product-sold.v1"
        /// `crm.activities`.
        public static let topic = Topics.crmActivities

        /// The sale.
        public var saleId: String
        /// The customer.
        public var customerId: String
        /// The manager credited with the sale.
        public var managerId: String?
        /// What was sold.
        public var productType: ProductType
        /// The amount sold.
        public var amount: Amount
        /// Profit from deposits; may be negative.
        public var depositProfit: Amount?
        /// Profit from wealth products; may be negative.
        public var wealthProfit: Amount?
        /// Fee income.
        public var feeIncome: Amount?
        /// When the sale was made.
        public var at: Timestamp
        /// The customer's risk assessment behind the sale.
        public var riskAssessment: RiskAssessment?

        /// Creates the event data; each parameter sets the property of the same name.
        public init(
            saleId: String,
            customerId: String,
            managerId: String? = nil,
            productType: ProductType,
            amount: Amount,
            depositProfit: Amount? = nil,
            wealthProfit: Amount? = nil,
            feeIncome: Amount? = nil,
            at: Timestamp,
            riskAssessment: RiskAssessment? = nil
        ) {
            self.saleId = saleId
            self.customerId = customerId
            self.managerId = managerId
            self.productType = productType
            self.amount = amount
            self.depositProfit = depositProfit
            self.wealthProfit = wealthProfit
            self.feeIncome = feeIncome
            self.at = at
            self.riskAssessment = riskAssessment
        }

        /// The Kafka key: `customerId`.
        public var partitionKey: String { customerId }

        /// Checks the rules JSON decoding cannot express (see ``EventData/validate()``).
        public func validate() throws(EventValidationError) {
            try Check.notBlank(saleId, "saleId")
            try Check.notBlank(customerId, "customerId")
            try Check.notBlank(managerId, "managerId")
            try Check.notNegative(amount, "amount")
            try Check.notNegative(feeIncome, "feeIncome")
            try riskAssessment?.validate()
        }
    }
}
