// MARK: - JSONParser

/// A strict RFC 8259 parser for untrusted messages, with the limits of ``EventDecodingLimits``.
///
/// One linear pass builds a ``JSONValue`` tree and, on the way, notes the first credential key
/// (``CredentialFields``) anywhere in the document. It rejects duplicate keys, control characters and U+0000 in
/// strings, unpaired surrogates, nesting deeper than the limit, and over-long strings and numbers. Recursion depth
/// is bounded by ``EventDecodingLimits/maximumDepth``, so hostile nesting cannot overflow the stack.
struct JSONParser {
    /// Why parsing stopped: the error code to report, a sentence, and the JSON path when one applies.
    struct Failure: Error {
        var code: EventDecodingError.Code
        var reason: String
        var path: String?
    }

    /// The result of a successful parse.
    struct Document {
        /// The parsed value.
        var value: JSONValue
        /// The path of the first credential key found, if any.
        var credentialPath: String?
    }

    private let bytes: [UInt8]
    private let limits: EventDecodingLimits
    private var index = 0
    private var path: [JSONPathComponent] = []
    private var credentialPath: String?

    private init(bytes: [UInt8], limits: EventDecodingLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Parses one JSON value filling the whole input (a leading UTF-8 byte-order mark is skipped).
    ///
    /// - Parameters:
    ///   - bytes: The message, already checked to be valid UTF-8.
    ///   - limits: Depth, string and number limits.
    /// - Throws: ``Failure`` with code `malformedJSON` or `limitExceeded`.
    static func parse(_ bytes: [UInt8], limits: EventDecodingLimits) throws(Failure) -> Document {
        var parser = JSONParser(bytes: bytes, limits: limits)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.malformed("unexpected text after the JSON value") }
        return Document(value: value, credentialPath: parser.credentialPath)
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw malformed("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw malformed("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        try checkDepth(depth)
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw malformed("expected a quoted member name")
            }
            let key = try parseString(isKey: true)
            guard members[key] == nil else {
                throw Failure(
                    code: .malformedJSON, reason: "member \(key.quotedForMessage()) appears twice",
                    path: JSONPath.render(path + [.key(key)]))
            }
            if credentialPath == nil, CredentialFields.isForbidden(key) {
                credentialPath = JSONPath.render(path + [.key(key)])
            }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw malformed("expected ':' after a member name") }
            path.append(.key(key))
            members[key] = try parseValue(depth: depth)
            path.removeLast()
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "}")) { return .object(members) }
            throw malformed("expected ',' or '}' in an object")
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        try checkDepth(depth)
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            path.append(.index(elements.count))
            elements.append(try parseValue(depth: depth))
            path.removeLast()
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return .array(elements) }
            throw malformed("expected ',' or ']' in an array")
        }
    }

    private mutating func parseLiteral(_ word: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { expected in
            index + count <= bytes.count && bytes[index..<(index + count)].elementsEqual(expected)
        }
        guard matches else { throw malformed("unexpected character") }
        index += count
        return value
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        if consume(UInt8(ascii: "0")) {
            // A leading zero stands alone.
        } else if skipDigits() == 0 {
            throw malformed("expected a digit")
        }
        if consume(UInt8(ascii: ".")), skipDigits() == 0 { throw malformed("expected a digit after '.'") }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            if skipDigits() == 0 { throw malformed("expected a digit in the exponent") }
        }
        guard index - start <= limits.maximumNumberLength else {
            throw Failure(
                code: .limitExceeded,
                reason: "a number is longer than \(limits.maximumNumberLength) characters",
                path: JSONPath.render(path))
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    // MARK: - Strings

    private mutating func parseString(isKey: Bool = false) throws(Failure) -> String {
        index += 1
        var segmentStart = index
        var unescaped: [UInt8] = []
        var hasEscapes = false
        var characters = 0
        while true {
            guard index < bytes.count else { throw malformed("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                unescaped.append(contentsOf: bytes[segmentStart..<index])
                try parseEscape(into: &unescaped)
                characters += 1
                segmentStart = index
                continue
            }
            guard byte >= 0x20 else { throw malformed("control character in a string; escape it") }
            if byte & 0xC0 != 0x80 { characters += 1 }
            index += 1
        }
        let text: String
        if hasEscapes {
            unescaped.append(contentsOf: bytes[segmentStart..<index])
            text = String(decoding: unescaped, as: UTF8.self)
        } else {
            text = String(decoding: bytes[segmentStart..<index], as: UTF8.self)
        }
        index += 1
        if characters > limits.maximumStringLength {
            let fieldPath = JSONPath.render(path)
            if isKey || !limits.longStringFields.contains(fieldPath) {
                throw Failure(
                    code: .limitExceeded,
                    reason: "\(isKey ? "a member name" : "a string") is longer than \(limits.maximumStringLength)"
                        + " characters",
                    path: fieldPath.isEmpty ? nil : fieldPath)
            }
        }
        return text
    }

    /// Reads one escape sequence (the backslash is at `index`) and appends its UTF-8 bytes.
    private mutating func parseEscape(into buffer: inout [UInt8]) throws(Failure) {
        index += 1
        guard index < bytes.count else { throw malformed("unterminated string") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalarValue = try readHex4()
            if (0xD800...0xDBFF).contains(scalarValue) {
                guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else {
                    throw malformed("unpaired surrogate in a \\u escape")
                }
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw malformed("unpaired surrogate in a \\u escape") }
                scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalarValue) {
                throw malformed("unpaired surrogate in a \\u escape")
            }
            guard scalarValue != 0, let scalar = Unicode.Scalar(scalarValue) else {
                throw malformed("U+0000 is not allowed in a string")
            }
            buffer.append(contentsOf: Array(String(scalar).utf8))
        default:
            throw malformed("invalid escape sequence")
        }
    }

    private mutating func readHex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw malformed("expected four hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw malformed("expected four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Skips ASCII digits and returns how many there were.
    private mutating func skipDigits() -> Int {
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            index += 1
        }
        return index - start
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private func checkDepth(_ depth: Int) throws(Failure) {
        guard depth <= limits.maximumDepth else {
            throw Failure(
                code: .limitExceeded, reason: "nesting is deeper than \(limits.maximumDepth) levels",
                path: path.isEmpty ? nil : JSONPath.render(path))
        }
    }

    private func malformed(_ detail: String) -> Failure {
        Failure(code: .malformedJSON, reason: "malformed JSON at byte \(index): \(detail)", path: nil)
    }
}
