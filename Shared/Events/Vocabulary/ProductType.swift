// MARK: - ProductType

/// The kind of product sold (`bank.crm.product-sold.v1` `productType`).
public enum ProductType: String, WireEnum {
    /// Deposit.
    case deposit
    /// Wealth-management product.
    case wealth
    /// Fund.
    case fund
    /// Insurance.
    case insurance
    /// Loan.
    case loan
    /// Fee-based service.
    case feeService = "fee_service"
    /// Derivative-linked product.
    case derivativeLinked = "derivative_linked"
}
