// MARK: - JSONValue

/// A parsed JSON document, as produced by ``JSONParser`` and read by ``JSONValueDecoder``.
///
/// Numbers keep their literal text, so integers are range-checked exactly and nothing passes through `Double`.
enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its RFC 8259 literal.
    case number(String)
    /// A string, unescaped.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; keys are unique (the parser rejects duplicates).
    case object([String: JSONValue])

    /// What kind of value this is, for error messages: "a string", "an object", ….
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "true or false"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

// MARK: - JSONPath

/// One step of a path into a JSON document: an object key or an array index.
enum JSONPathComponent: Sendable, Equatable {
    /// An object member.
    case key(String)
    /// An array element.
    case index(Int)
}

/// Renders JSON paths as `data.signals[2]` for error messages.
enum JSONPath {
    /// The path as text: keys joined with `.`, indexes as `[n]`; keys that are not plain identifiers are quoted,
    /// so that a hostile key cannot forge a log line.
    static func render(_ components: [JSONPathComponent]) -> String {
        var text = ""
        for component in components {
            switch component {
            case .index(let index):
                text += "[\(index)]"
            case .key(let key) where isPlain(key):
                text += text.isEmpty ? key : "." + key
            case .key(let key):
                text += "[\(key.quotedForMessage())]"
            }
        }
        return text
    }

    /// The path of a `Decoder`'s coding path.
    static func render(_ codingPath: [any CodingKey]) -> String {
        render(codingPath.map { key in (key as? JSONIndexKey).map { .index($0.index) } ?? .key(key.stringValue) })
    }

    private static func isPlain(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 64
            && key.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }
}
