// MARK: - Amount

/// An amount of Chinese yuan (CNY) held exactly in fen (分, 1/100 yuan).
///
/// On the wire an amount is a **decimal string** with at most two decimals (`"1500000.00"`, `"300000"`,
/// `"12.5"`); a JSON number is rejected, because binary floating point cannot hold every amount exactly. Amounts
/// always encode with two decimals. The type can hold a negative value (a customer's net assets or monthly surplus
/// can be negative); events whose amounts must not be negative reject them in ``EventData/validate()``.
public struct Amount: Hashable, Sendable, Comparable {
    /// The amount in fen (1/100 yuan).
    public var minorUnits: Int64

    /// Zero yuan.
    public static let zero = Amount(minorUnits: 0)

    /// Creates an amount from fen.
    ///
    /// - Parameter minorUnits: The amount in fen (1/100 yuan).
    public init(minorUnits: Int64) {
        self.minorUnits = minorUnits
    }

    /// Creates an amount of whole yuan.
    ///
    /// - Parameter units: Whole yuan.
    /// - Precondition: `units × 100` fits in `Int64`.
    public init(units: Int64) {
        self.init(minorUnits: units * 100)
    }

    /// Parses a decimal string: an optional `-`, one or more digits, then optionally `.` and one or two digits.
    ///
    /// - Parameter text: The amount text, e.g. `"1500000.00"`.
    /// - Throws: ``WireFormatError`` naming what is wrong (e.g. `"1500000.001"` has three decimals).
    public init(parsing text: String) throws(WireFormatError) {
        let bytes = Array(text.utf8)
        let quoted = text.quotedForMessage()
        let isNegative = bytes.first == UInt8(ascii: "-")
        var index = isNegative ? 1 : 0
        var units: Int64 = 0
        var integerDigits = 0
        while index < bytes.count, let digit = Digits.read(bytes, at: index, count: 1) {
            let (shifted, overflow1) = units.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { throw WireFormatError(reason: "\(quoted) is too large an amount") }
            units = sum
            integerDigits += 1
            index += 1
        }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if integerDigits > 0, index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, let digit = Digits.read(bytes, at: index, count: 1) {
                fraction = fraction * 10 + Int64(digit)
                fractionDigits += 1
                index += 1
                guard fractionDigits <= 2 else {
                    throw WireFormatError(reason: "\(quoted) has more than 2 decimal places; amounts are in fen")
                }
            }
        }
        guard integerDigits > 0, index == bytes.count, bytes.last != UInt8(ascii: ".") else {
            throw WireFormatError(reason: "\(quoted) is not a decimal amount such as \"1500000.00\"")
        }
        if fractionDigits == 1 { fraction *= 10 }
        let (hundreds, overflow1) = units.multipliedReportingOverflow(by: 100)
        let (magnitude, overflow2) = hundreds.addingReportingOverflow(fraction)
        guard !overflow1, !overflow2 else { throw WireFormatError(reason: "\(quoted) is too large an amount") }
        self.init(minorUnits: isNegative ? -magnitude : magnitude)
    }

    /// The amount with exactly two decimals, e.g. `"1500000.00"`, `"-12.50"`.
    public var decimalString: String {
        let magnitude = minorUnits.magnitude
        let fen = magnitude % 100
        return (minorUnits < 0 ? "-" : "") + String(magnitude / 100) + (fen < 10 ? ".0" : ".") + String(fen)
    }

    /// Whether the amount is below zero.
    public var isNegative: Bool { minorUnits < 0 }

    /// Orders by value.
    public static func < (lhs: Amount, rhs: Amount) -> Bool {
        lhs.minorUnits < rhs.minorUnits
    }

    /// The sum of two amounts.
    ///
    /// - Precondition: The sum fits in `Int64` fen (about 92 trillion yuan).
    public static func + (lhs: Amount, rhs: Amount) -> Amount {
        Amount(minorUnits: lhs.minorUnits + rhs.minorUnits)
    }

    /// Adds `rhs` to `lhs`.
    public static func += (lhs: inout Amount, rhs: Amount) {
        lhs = lhs + rhs
    }
}

// MARK: - Amount + CustomStringConvertible

extension Amount: CustomStringConvertible {
    /// The decimal string (see ``decimalString``).
    public var description: String { decimalString }
}

// MARK: - Amount + Codable

extension Amount: Codable {
    /// The message for an amount sent as a JSON number instead of a string.
    static let numberRejection = "amount must be a decimal string such as \"1500000.00\""

    /// Decodes a decimal string; a JSON number (or any other type) is rejected.
    ///
    /// - Throws: `DecodingError.dataCorrupted` with the reason.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            let context = DecodingError.Context(codingPath: container.codingPath, debugDescription: "must not be null")
            throw DecodingError.valueNotFound(Amount.self, context)
        }
        guard let text = try? container.decode(String.self) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.numberRejection)
        }
        do {
            self = try Amount(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.reason)
        }
    }

    /// Encodes as a decimal string with two decimals.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalString)
    }
}
