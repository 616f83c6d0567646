/// A JSON document the hostile-input fuzzer can take apart and put back together wrongly: member order is kept,
/// duplicate member names are allowed, and numbers stay the literal text they were written as, so a mutation can
/// write any literal (`1e309`, `-0`, 80 digits) and any structure the production parser must refuse.
///
/// Only for test inputs: ``parse(_:)`` reads our own well-formed golden fixtures, not hostile text.
public indirect enum FuzzJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number literal, written as is.
    case number(String)
    case string(String)
    case array([FuzzJSON])
    /// Members in order; a name may appear twice.
    case object([(String, FuzzJSON)])

    public static func == (lhs: FuzzJSON, rhs: FuzzJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    /// The member `name` of an object (the first one), else `nil`.
    public subscript(name: String) -> FuzzJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == name }?.1
    }

    /// Sets (or appends) the member `name` of an object; no effect on other values.
    public mutating func set(_ name: String, _ value: FuzzJSON) {
        guard case .object(var members) = self else { return }
        if let index = members.firstIndex(where: { $0.0 == name }) {
            members[index].1 = value
        } else {
            members.append((name, value))
        }
        self = .object(members)
    }

    // MARK: - Writing

    /// Compact JSON text as UTF-8 bytes. Strings are escaped as RFC 8259 requires (quote, backslash, control
    /// characters); everything else is written as it is, so a mutated tree may well be invalid on purpose.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .number(let literal): out += Array(literal.utf8)
        case .string(let text): Self.writeString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (name, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(name, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: - Reading (trusted fixtures only)

    /// Parses well-formed JSON (escapes `\uXXXX` of the basic plane and surrogate pairs included).
    public static func parse(_ bytes: [UInt8]) throws -> FuzzJSON {
        var reader = Reader(scalars: Array(String(decoding: bytes, as: UTF8.self).unicodeScalars))
        let value = try reader.value()
        reader.skipSpace()
        guard reader.index == reader.scalars.count else { throw Reader.Failure(offset: reader.index) }
        return value
    }

    private struct Reader {
        struct Failure: Error { var offset: Int }

        let scalars: [Unicode.Scalar]
        var index = 0

        mutating func skipSpace() {
            while index < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[index]) { index += 1 }
        }

        mutating func value() throws -> FuzzJSON {
            skipSpace()
            guard index < scalars.count else { throw Failure(offset: index) }
            switch scalars[index] {
            case "{":
                index += 1
                var members: [(String, FuzzJSON)] = []
                skipSpace()
                if scalars[index] == "}" { index += 1; return .object(members) }
                while true {
                    skipSpace()
                    let name = try string()
                    skipSpace()
                    try expect(":")
                    members.append((name, try value()))
                    skipSpace()
                    if scalars[index] == "}" { index += 1; return .object(members) }
                    try expect(",")
                }
            case "[":
                index += 1
                var elements: [FuzzJSON] = []
                skipSpace()
                if scalars[index] == "]" { index += 1; return .array(elements) }
                while true {
                    elements.append(try value())
                    skipSpace()
                    if scalars[index] == "]" { index += 1; return .array(elements) }
                    try expect(",")
                }
            case "\"": return .string(try string())
            case "t": try literal("true"); return .bool(true)
            case "f": try literal("false"); return .bool(false)
            case "n": try literal("null"); return .null
            default:
                let start = index
                while index < scalars.count, "+-.0123456789eE".unicodeScalars.contains(scalars[index]) { index += 1 }
                guard index > start else { throw Failure(offset: index) }
                return .number(String(String.UnicodeScalarView(scalars[start..<index])))
            }
        }

        mutating func expect(_ scalar: Unicode.Scalar) throws {
            guard index < scalars.count, scalars[index] == scalar else { throw Failure(offset: index) }
            index += 1
        }

        mutating func literal(_ word: String) throws {
            for scalar in word.unicodeScalars { try expect(scalar) }
        }

        mutating func string() throws -> String {
            try expect("\"")
            var text = String.UnicodeScalarView()
            var pendingHigh: UInt32?
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                switch scalar {
                case "\"": return String(text)
                case "\\":
                    guard index < scalars.count else { throw Failure(offset: index) }
                    let escape = scalars[index]
                    index += 1
                    switch escape {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "r": text.append("\r")
                    case "b": text.append("\u{08}")
                    case "f": text.append("\u{0C}")
                    case "u":
                        guard index + 4 <= scalars.count,
                            let code = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16)
                        else { throw Failure(offset: index) }
                        index += 4
                        if (0xD800..<0xDC00).contains(code) {
                            pendingHigh = code
                        } else if let high = pendingHigh, (0xDC00..<0xE000).contains(code) {
                            pendingHigh = nil
                            text.append(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))!)
                        } else if let decoded = Unicode.Scalar(code) {
                            text.append(decoded)
                        } else {
                            throw Failure(offset: index)
                        }
                    default: text.append(escape)
                    }
                default: text.append(scalar)
                }
            }
            throw Failure(offset: index)
        }
    }
}
