// MARK: - JSONValueDecoder

/// A `Decoder` over a parsed ``JSONValue``, with error messages written for people: `required field is missing`,
/// `expected a string, found a number`, `3000000000 is out of range for Int32`.
///
/// Using our own decoder (rather than `JSONDecoder`) means the document is parsed once, under our limits, and every
/// error carries its exact coding path, number conversion errors included.
struct JSONValueDecoder: Decoder {
    /// The value being decoded.
    let value: JSONValue
    /// The path from the document root to `value`.
    let codingPath: [any CodingKey]
    /// Always empty.
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Creates a decoder for `value` found at `codingPath`.
    init(value: JSONValue, codingPath: [any CodingKey]) {
        self.value = value
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: Any].self, expected: "an object") }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([Any].self, expected: "an array") }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        self
    }

    // MARK: - Unboxing

    func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        if case .null = value {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "must not be null"))
        }
        let context = DecodingError.Context(
            codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kind)")
        return .typeMismatch(type, context)
    }

    func unboxBool() throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(Bool.self, expected: "true or false") }
        return flag
    }

    func unboxString() throws -> String {
        guard case .string(let text) = value else { throw mismatch(String.self, expected: "a string") }
        return text
    }

    func unboxInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let literal) = value else { throw mismatch(type, expected: "an integer") }
        if let integer = T(literal) { return integer }
        let isWhole = !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
        let reason = isWhole ? "\(literal) is out of range for \(type)" : "\(literal) is not a whole number"
        throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: reason))
    }

    func unboxFloatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws -> T {
        guard case .number(let literal) = value else { throw mismatch(type, expected: "a number") }
        guard let number = T(literal), number.isFinite else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "\(literal) is out of range for \(type)"))
        }
        return number
    }
}

// MARK: - JSONValueDecoder + SingleValueDecodingContainer

extension JSONValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try unboxBool() }
    func decode(_ type: String.Type) throws -> String { try unboxString() }
    func decode(_ type: Double.Type) throws -> Double { try unboxFloatingPoint(type) }
    func decode(_ type: Float.Type) throws -> Float { try unboxFloatingPoint(type) }
    func decode(_ type: Int.Type) throws -> Int { try unboxInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try unboxInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try unboxInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try unboxInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try unboxInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try unboxInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try unboxInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try unboxInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try unboxInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try unboxInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}

// MARK: - JSONIndexKey

/// The coding key of an array element.
struct JSONIndexKey: CodingKey {
    /// The element's position.
    let index: Int
    var stringValue: String { "\(index)" }
    var intValue: Int? { index }

    init(index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }
}
