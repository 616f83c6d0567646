// MARK: - EventCatalog + redaction

extension EventCatalog {
    /// The placeholder that replaces a credential's value in ``redactingCredentials(_:limits:)``.
    public static let redactedValue = "<redacted>"

    /// The message with the value of every credential field (``CredentialFields``) replaced by
    /// ``redactedValue``, as compact JSON with sorted keys; `nil` when the message is not parseable JSON.
    ///
    /// Dead-letter this instead of the original when ``EventDecodingError/containsCredentials`` is true, so that a
    /// PIN or password never reaches the dead-letter topic (rulebook D-10, H-07).
    ///
    /// - Parameters:
    ///   - bytes: The Kafka message value.
    ///   - limits: Size, depth and length limits, as for decoding.
    public static func redactingCredentials(
        _ bytes: [UInt8], limits: EventDecodingLimits = .default
    ) -> [UInt8]? {
        guard bytes.count <= limits.maximumMessageBytes, String(validating: bytes, as: UTF8.self) != nil,
            let document = try? JSONParser.parse(bytes, limits: limits)
        else { return nil }
        return redacted(document.value).serialized()
    }

    private static func redacted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                result[key] = CredentialFields.isForbidden(key) ? .string(redactedValue) : redacted(member)
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.map(redacted))
        default:
            return value
        }
    }

    /// Whether a message may carry a credential even though it does not parse (cut short, invalid UTF-8, broken
    /// syntax): some quoted name followed by `:` is a credential field (``CredentialFields``). Every pair of
    /// consecutive quotes is tried, so an escaped quote cannot hide a name.
    ///
    /// Such a message is dead-lettered without its bytes (``redactingCredentials(_:limits:)`` returns `nil` for it),
    /// since its value cannot be redacted reliably (rulebook D-10, H-07).
    public static func mayContainCredentials(_ bytes: [UInt8]) -> Bool {
        let quotes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") }
        for (open, close) in zip(quotes, quotes.dropFirst()) where close - open <= 129 {
            var after = close + 1
            while after < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[after]) { after += 1 }
            guard after < bytes.count, bytes[after] == UInt8(ascii: ":") else { continue }
            if CredentialFields.isForbidden(unescaped(bytes[(open + 1)..<close])) { return true }
        }
        return false
    }

    /// A member name as JSON means it: `\uXXXX` and the one-letter escapes resolved (`p\u0049N` is `pIN`); what is
    /// not a valid escape is kept as written.
    private static func unescaped(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("\\") else { return text }
        var result = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\", let escape = scalars.next() else {
                result.append(scalar)
                continue
            }
            switch escape {
            case "u":
                let hex = String(String.UnicodeScalarView((0..<4).compactMap { _ in scalars.next() }))
                if hex.count == 4, let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) {
                    result.append(decoded)
                }
            case "n": result.append("\n")
            case "t": result.append("\t")
            default: result.append(escape)
            }
        }
        return String(result)
    }
}
