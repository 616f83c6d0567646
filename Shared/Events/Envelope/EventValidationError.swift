// MARK: - EventValidationError

/// An event's `data` that decodes but breaks a rule of the contract: a blank required identifier, a negative
/// amount, a recording role that is not a front-line role.
public struct EventValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field's path relative to `data`, e.g. `visitId` or `financials.totalAssets`.
    public var field: String
    /// What is wrong, as a sentence a person can act on.
    public var reason: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - field: The field's path relative to `data`.
    ///   - reason: What is wrong.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}

// MARK: - Validation helpers

/// Checks shared by the events' `validate()` implementations.
enum Check {
    /// `value` must contain something other than white space.
    static func notBlank(_ value: String, _ field: String) throws(EventValidationError) {
        if value.allSatisfy(\.isWhitespace) {
            throw EventValidationError(field: field, reason: "must not be empty")
        }
    }

    /// `value`, when present, must contain something other than white space.
    static func notBlank(_ value: String?, _ field: String) throws(EventValidationError) {
        if let value { try notBlank(value, field) }
    }

    /// Every element must contain something other than white space.
    static func notBlank(_ values: [String], _ field: String) throws(EventValidationError) {
        for (index, value) in values.enumerated() { try notBlank(value, "\(field)[\(index)]") }
    }

    /// `amount`, when present, must not be negative.
    static func notNegative(_ amount: Amount?, _ field: String) throws(EventValidationError) {
        if let amount, amount.isNegative {
            throw EventValidationError(field: field, reason: "\(amount) must not be negative")
        }
    }

    /// `count`, when present, must not be negative.
    static func notNegative(_ count: Int?, _ field: String) throws(EventValidationError) {
        if let count, count < 0 {
            throw EventValidationError(field: field, reason: "\(count) must not be negative")
        }
    }

    /// `date` must be a month in the form `YYYY-MM`.
    static func yearMonth(_ text: String, _ field: String) throws(EventValidationError) {
        guard let date = BusinessDate(text + "-01"), date.description == text + "-01" else {
            throw EventValidationError(
                field: field,
                reason: "\(text.quotedForMessage()) is not a month in the form YYYY-MM such as \"2026-11\"")
        }
    }
}
