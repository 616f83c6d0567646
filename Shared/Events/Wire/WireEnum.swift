// MARK: - WireEnum

/// A closed set of values written as strings on the wire, such as a visit's purpose or a task's kind.
///
/// Conforming enums get a `Decodable` implementation whose error names the allowed values, e.g.
/// `"teleport" is not one of cash_large, cash_small, …`, which ``EventCatalog`` prefixes with the field's path.
public protocol WireEnum: RawRepresentable, CaseIterable, Codable, Hashable, Sendable where RawValue == String {}

extension WireEnum {
    /// The allowed wire values, in declaration order, comma-separated.
    public static var allowedValues: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// The sentence used when `rawValue` is not an allowed value.
    ///
    /// - Parameter rawValue: The rejected text.
    public static func notAllowed(_ rawValue: String) -> String {
        "\(rawValue.quotedForMessage()) is not one of \(allowedValues)"
    }

    /// Decodes the raw string; an unknown value throws `DecodingError.dataCorrupted` listing the allowed values.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let rawValue = try container.decode(String.self)
        guard let value = Self(rawValue: rawValue) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.notAllowed(rawValue))
        }
        self = value
    }
}

// MARK: - WireEnum + ordinal

extension WireEnum {
    /// The position of this case in `allCases`, for enums whose declaration order is meaningful.
    var ordinal: Int {
        Self.allCases.firstIndex(of: self).map { Self.allCases.distance(from: Self.allCases.startIndex, to: $0) } ?? 0
    }
}
