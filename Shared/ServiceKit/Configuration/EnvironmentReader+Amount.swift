import Events

extension EnvironmentReader {
    /// A non-negative CNY amount such as `300000` or `300000.00`.
    public func amount(_ key: String, default defaultValue: Amount) throws(ConfigurationError) -> Amount {
        guard let raw = string(key) else { return defaultValue }
        guard let amount = try? Amount(parsing: raw), !amount.isNegative else {
            throw ConfigurationError(key: key, reason: "expected an amount such as 300000.00, got \"\(raw)\"")
        }
        return amount
    }
}
