import Events
import Foundation
import ServiceKit

// MARK: - Inputs

/// What a hostile input is made of; one row of the fuzz report.
public enum FuzzCategory: String, CaseIterable, Sendable, Comparable {
    /// A valid contract event of a type read from the topic, with fresh identifiers.
    case valid
    /// One of the ordered valid events whose final state proves the order of processing (``FuzzWitness``).
    case ordered
    /// Random bytes, sometimes JSON-looking ones.
    case randomBytes = "random_bytes"
    /// A valid event with an invalid UTF-8 sequence in it.
    case invalidUTF8 = "invalid_utf8"
    /// A valid event cut short, unbalanced, or followed by trailing text.
    case truncatedJSON = "truncated_json"
    /// Nesting deeper than the decoder's limit (up to 100,000 levels).
    case deepNesting = "deep_nesting"
    /// Over-long strings, member names, number literals, ids and messages; and strings right at the limit.
    case hugeString = "huge_string"
    /// A member (envelope or data, any depth) of another JSON type.
    case wrongType = "wrong_type"
    /// A member (envelope or data, any depth) removed.
    case missingField = "missing_field"
    /// Unknown or future `type` versions and `specversion`s.
    case futureVersion = "future_version"
    /// A valid event of a type that belongs on another topic.
    case wrongTopic = "wrong_topic"
    /// A forbidden credential field (PIN, password, CVV…) anywhere in the message.
    case credentials
    /// JSON that is not a CloudEvents object: scalars, arrays, `{}`, a bare `data` object.
    case notACloudEvent = "not_a_cloudevent"
    /// A valid event with one to three random mutations: deleted or duplicated members, type swaps, boundary
    /// numbers, bad timestamps, dates and amounts, odd strings, lone surrogates, U+0000, a byte-order mark…
    case mutated

    public static func < (lhs: FuzzCategory, rhs: FuzzCategory) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What must become of an input.
public enum FuzzExpectation: Sendable, Hashable {
    /// Processed by the handler (the ordered witness events).
    case processed
    /// Dead-lettered; with a category when the consumer must give that one.
    case deadLettered(RecordProcessor.DeadLetterCategory?)
    /// Whatever the catalogue and the handler decide (processed, ignored or dead-lettered), but never lost.
    case any
}

/// One generated Kafka message and what the fuzzer knows about it.
public struct FuzzInput: Sendable {
    /// Its position in the run (with the seed and service, enough to generate it again).
    public var index: Int
    public var category: FuzzCategory
    /// What was done to it, e.g. `removed data.visitId`; for reports, never customer data.
    public var detail: String
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    public var expectation: FuzzExpectation
    /// A credential value the message carries; it must never reach the outbox.
    public var secret: String?
    /// For ``FuzzCategory/ordered``: the entity and the marker its final state must show if this is its last event.
    public var witness: (entity: String, marker: String)?
    /// A credential in a message that is also broken further on (cut short, invalid UTF-8): the decoder reports the
    /// syntax error, so the consumer must recognise the credential in the raw bytes and withhold them.
    public var isBrokenCredential = false

    /// The key and the first `limit` bytes of the value, printable ASCII as is and other bytes as `\xNN`.
    public func preview(limit: Int = 400) -> String {
        func escaped(_ bytes: some Collection<UInt8>) -> String {
            bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }
                .joined()
        }
        return "key \(key.map { escaped($0.prefix(limit)) } ?? "null"), value (\(value.count) bytes) "
            + escaped(value.prefix(limit)) + (value.count > limit ? "…" : "")
    }
}

// MARK: - Seeds

/// The golden fixtures (`Tests/EventsTests/Fixtures/<type>.json`), one valid event per contract type: the seeds
/// the fuzzer mutates.
public struct FuzzFixtures: Sendable {
    /// Parsed fixtures by event type.
    public let events: [String: FuzzJSON]

    /// Reads every fixture of a known event type from the repository.
    public static func load() throws -> FuzzFixtures {
        let directory = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/EventsTests/Fixtures")
        var events: [String: FuzzJSON] = [:]
        for type in EventCatalog.allEventTypes {
            let url = directory.appendingPathComponent("\(type).json")
            events[type] = try FuzzJSON.parse([UInt8](try Data(contentsOf: url)))
        }
        return FuzzFixtures(events: events)
    }
}

/// A stream of valid events about a few entities whose final state shows whether they were processed in order:
/// every event of an entity carries the same business time and a new marker, so only the order of processing
/// decides which marker is left (for example the `branch_id` of a staff member in the service's staff copy).
public struct FuzzWitness: Sendable {
    /// The topic its events are read from.
    public var topic: String
    /// The entities (each one's events share a Kafka key, hence a partition).
    public var entities: [String]
    /// The event (message value) that sets `entity`'s state to `marker`, with CloudEvents id `id`.
    public var event: @Sendable (_ entity: String, _ marker: String, _ id: String) -> [UInt8]
    /// SQL (in the service's schema) that returns one text column: `entity`'s current marker.
    public var finalState: @Sendable (_ entity: String) -> String

    public init(
        topic: String, entities: [String], event: @escaping @Sendable (String, String, String) -> [UInt8],
        finalState: @escaping @Sendable (String) -> String
    ) {
        self.topic = topic
        self.entities = entities
        self.event = event
        self.finalState = finalState
    }
}

// MARK: - Generator

/// A deterministic generator of hostile inputs for one service: input `i` depends only on the seed, the service
/// name and `i`.
///
/// Every 20th input (from the 8th) is an ordered witness event; the rest are drawn from ``FuzzCategory`` with fixed
/// weights. Each input gets its own CloudEvents id (`fz<i>-…`) and every string an `id` mutation writes starts
/// with that prefix, so two inputs never share an id, and a bad input is never mistaken for a redelivery.
public struct FuzzGenerator: Sendable {
    public let seed: UInt64
    public let service: String
    /// The topics the service consumes.
    public let topics: [String]
    public let fixtures: FuzzFixtures
    public let witness: FuzzWitness?

    /// Weights (out of their sum) of the categories other than `ordered`.
    static let weights: [(FuzzCategory, Int)] = [
        (.valid, 15), (.randomBytes, 5), (.invalidUTF8, 7), (.truncatedJSON, 7), (.deepNesting, 5),
        (.hugeString, 5), (.wrongType, 9), (.missingField, 9), (.futureVersion, 6), (.wrongTopic, 5),
        (.credentials, 8), (.notACloudEvent, 4), (.mutated, 15),
    ]

    public init(
        seed: UInt64, service: String, topics: [String], fixtures: FuzzFixtures, witness: FuzzWitness?
    ) {
        self.seed = seed
        self.service = service
        self.topics = topics.filter { !EventCatalog.eventTypes(onTopic: $0).isEmpty }
        self.fixtures = fixtures
        self.witness = witness
    }

    /// Input number `index`.
    public func input(_ index: Int) -> FuzzInput {
        var random = FuzzRandom(seed: seed, stream: service, index: index)
        if let witness, index % 20 == 7 {
            let entity = witness.entities[(index / 20) % witness.entities.count]
            let marker = "FZ\(index)"
            return FuzzInput(
                index: index, category: .ordered, detail: "\(entity) := \(marker)", topic: witness.topic,
                key: Array(entity.utf8), value: witness.event(entity, marker, "fz\(index)-\(random.hex())"),
                expectation: .processed, witness: (entity, marker))
        }
        var roll = Int.random(in: 0..<Self.weights.reduce(0) { $0 + $1.1 }, using: &random)
        let category = Self.weights.first { entry in
            defer { roll -= entry.1 }
            return roll < entry.1
        }!.0
        var builder = Builder(index: index, random: random, generator: self)
        return builder.build(category)
    }
}

// MARK: - Building one input

extension FuzzGenerator {
    /// The state of one input being built.
    struct Builder {
        let index: Int
        var random: FuzzRandom
        let generator: FuzzGenerator
        var detail = ""
        var secret: String?
        var isBrokenCredential = false

        init(index: Int, random: FuzzRandom, generator: FuzzGenerator) {
            self.index = index
            self.random = random
            self.generator = generator
        }

        /// The prefix of this input's id.
        var idPrefix: String { "fz\(index)-" }

        mutating func build(_ category: FuzzCategory) -> FuzzInput {
            let topic = random.pick(generator.topics)
            let fresh = freshEvent(onTopic: topic)
            var tree = fresh.0
            let type = fresh.1
            var expectation = FuzzExpectation.deadLettered(nil)
            var value: [UInt8]
            switch category {
            case .valid, .ordered:
                detail = type
                expectation = .any
                value = tree.serialized()
            case .randomBytes:
                value = randomBytes()
            case .invalidUTF8:
                value = invalidUTF8(tree.serialized())
            case .truncatedJSON:
                value = truncated(tree.serialized())
            case .deepNesting:
                value = deepNesting(&tree)
            case .hugeString:
                (value, expectation) = huge(&tree)
            case .wrongType:
                swapType(&tree)
                value = finish(tree)
            case .missingField:
                let path = random.pick(tree.paths())
                detail = "removed \(FuzzJSON.render(path))"
                tree.modify(at: path[...]) { $0 = nil }
                expectation = .any
                value = finish(tree)
            case .futureVersion:
                futureVersion(&tree, type: type)
                value = finish(tree)
            case .wrongTopic:
                let others = EventCatalog.allEventTypes.filter { EventCatalog.topic(forEventType: $0) != topic }
                let other = random.pick(others)
                tree = event(ofType: other)
                detail = "\(other) on \(topic)"
                value = tree.serialized()
                // Fresh identifiers can break a rule of the event (a manager outside their own team): then it is
                // invalid before it is misplaced.
                expectation = .deadLettered((try? EventCatalog.decode(value)) == nil ? .invalid : .unexpectedType)
            case .credentials:
                value = credentials(&tree)
                expectation = .deadLettered(isBrokenCredential ? nil : .credentials)
            case .notACloudEvent:
                value = notACloudEvent(tree)
            case .mutated:
                value = mutated(&tree)
                expectation = .any
            }
            return FuzzInput(
                index: index, category: category, detail: detail.isEmpty ? category.rawValue : detail, topic: topic,
                key: key(for: tree), value: value, expectation: expectation, secret: secret,
                isBrokenCredential: isBrokenCredential)
        }

        // MARK: Valid events

        /// A valid event of a random type read from `topic`, with this input's id and fresh identifiers.
        mutating func freshEvent(onTopic topic: String) -> (FuzzJSON, String) {
            let type = random.pick(EventCatalog.eventTypes(onTopic: topic))
            return (event(ofType: type), type)
        }

        /// The fixture of `type` with a new id and identifiers drawn from small pools, so that events meet each
        /// other (a visit arrives, is served and leaves; a case opens and resolves). Each identifier of the fixture
        /// (a member named `…Id` or `…Ref`) gets one new value, used wherever the fixture repeats it (a manager in
        /// their service team), and different identifiers get different values, so the event stays valid.
        mutating func event(ofType type: String) -> FuzzJSON {
            var tree = generator.fixtures.events[type]!
            tree.set("id", .string(idPrefix + random.hex()))
            guard case .object(let data)? = tree["data"] else { return tree }
            var replacements: [String: String] = [:]
            for (name, value) in data {
                guard case .string(let text) = value, name.hasSuffix("Id") || name.hasSuffix("Ref"),
                    replacements[text] == nil
                else { continue }
                // Keep the first character (C…, V…, S…); vary the number.
                var fresh: String
                repeat {
                    fresh = "\(text.prefix(1))FZ\(Int.random(in: 0..<40, using: &random))"
                } while replacements.values.contains(fresh)
                replacements[text] = fresh
            }
            tree.set("data", Self.replacingStrings(in: .object(data), replacements))
            return tree
        }

        /// `value` with every string found in `replacements` replaced, at any depth.
        static func replacingStrings(in value: FuzzJSON, _ replacements: [String: String]) -> FuzzJSON {
            switch value {
            case .string(let text): .string(replacements[text] ?? text)
            case .array(let elements): .array(elements.map { replacingStrings(in: $0, replacements) })
            case .object(let members): .object(members.map { ($0.0, replacingStrings(in: $0.1, replacements)) })
            default: value
            }
        }

        /// The Kafka key a producer would use: the customer, else the visit, complaint, case or staff member.
        mutating func key(for tree: FuzzJSON) -> [UInt8]? {
            if random.chance(3) {
                // Hostile keys: none, random bytes, NUL (alone, or before a combining mark), invalid UTF-8.
                return random.pick([
                    nil, random.bytes(Int.random(in: 0...300, using: &random)), [0], [0x41, 0, 0xCC, 0x81],
                    [0xFF, 0xFE], Array("fz-key-\(index)".utf8) + [0xC3],
                ])
            }
            for name in ["customerId", "visitId", "complaintId", "caseRef", "caseId", "staffId", "branchId"] {
                if case .string(let value)? = tree["data"]?[name] { return Array(value.utf8) }
            }
            return Array("fz-key-\(index)".utf8)
        }

        /// Serializes and replaces the placeholders of raw JSON text (lone surrogates, escaped member names).
        func finish(_ tree: FuzzJSON) -> [UInt8] {
            var bytes = tree.serialized()
            for (placeholder, raw) in FuzzValues.rawPlaceholders {
                bytes = bytes.replacing(Array(placeholder.utf8), with: Array(raw.utf8))
            }
            return bytes
        }

        // MARK: Broken bytes

        mutating func randomBytes() -> [UInt8] {
            let count = random.pick([0, 1, 2, 8, 64, 512, 4_096])
            let length = Int.random(in: 0...count, using: &random)
            if random.chance(40) {
                detail = "\(length) JSON-like characters"
                let alphabet = Array(#"{}[]":,0123456789.-+eEtrufalsn \u\"#.utf8)
                return (0..<length).map { _ in random.pick(alphabet) }
            }
            detail = "\(length) random bytes"
            return random.bytes(length)
        }

        mutating func invalidUTF8(_ bytes: [UInt8]) -> [UInt8] {
            let sequence = random.pick(FuzzValues.invalidUTF8)
            // Just after an opening or closing quote: inside a string, a member name, or between tokens.
            let quotes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") }
            let position = (quotes.isEmpty ? 0 : random.pick(quotes)) + 1
            detail = "bytes \(sequence.map { String($0, radix: 16) }.joined(separator: " ")) at \(position)"
            var result = bytes
            result.insert(contentsOf: sequence, at: min(position, result.count))
            return result
        }

        mutating func truncated(_ bytes: [UInt8]) -> [UInt8] {
            switch Int.random(in: 0..<4, using: &random) {
            case 0, 1:
                let cut = Int.random(in: 0..<bytes.count, using: &random)
                detail = "cut at \(cut) of \(bytes.count)"
                return Array(bytes[..<cut])
            case 2:
                detail = "trailing text"
                return bytes + Array(random.pick([",", "}", " x", "{}", "\u{0}", "\n\n{\"a\":1}"]).utf8)
            default:
                let closers = bytes.indices.filter { bytes[$0] == UInt8(ascii: "}") || bytes[$0] == UInt8(ascii: "]") }
                let drop = random.pick(closers)
                detail = "unbalanced: removed byte \(drop)"
                var result = bytes
                result.remove(at: drop)
                return result
            }
        }

        // MARK: Limits

        /// Nesting beyond the limit, written as raw text (a tree that deep would overflow the stack of whoever walks
        /// it): inside `data`, as `data` itself, or as the whole message.
        mutating func deepNesting(_ tree: inout FuzzJSON) -> [UInt8] {
            let depth = random.chance(90) ? Int.random(in: 33...64, using: &random)
                : random.chance(80) ? Int.random(in: 65...5_000, using: &random) : 100_000
            let asArrays = random.chance(50)
            let open = asArrays ? "[" : "{\"n\":"
            let close = asArrays ? "]" : "}"
            let closed = random.chance(90)
            let nested = String(repeating: open, count: depth) + "1" + (closed ? String(repeating: close, count: depth) : "")
            let member = random.pick(["extra", "signals", "data", "message"])
            detail = "\(depth) \(closed ? "" : "unclosed ")levels of \(asArrays ? "arrays" : "objects") at \(member)"
            switch member {
            case "message":
                return Array(nested.utf8)
            case "data":
                tree.set("data", .string(FuzzValues.rawPlaceholder))
            default:
                var data = tree["data"] ?? .object([])
                data.set(member, .string(FuzzValues.rawPlaceholder))
                tree.set("data", data)
            }
            return tree.serialized().replacing(
                Array("\"\(FuzzValues.rawPlaceholder)\"".utf8), with: Array(nested.utf8))
        }

        mutating func huge(_ tree: inout FuzzJSON) -> ([UInt8], FuzzExpectation) {
            let strings = tree.paths().filter { if case .string = tree.value(at: $0[...]) { true } else { false } }
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1, 2:
                let path = random.pick(strings)
                let length = random.chance(95) ? Int.random(in: 4_097...20_000, using: &random)
                    : Int.random(in: 20_001...200_000, using: &random)
                detail = "\(length)-character \(FuzzJSON.render(path))"
                let text = longString(length, prefix: path == [.key("id")] ? idPrefix : "")
                tree.modify(at: path[...]) { $0 = .string(text) }
                return (tree.serialized(), .deadLettered(nil))
            case 3:
                detail = "member name of 4,097+ characters"
                var data = tree["data"] ?? .object([])
                data.set(longString(Int.random(in: 4_097...8_000, using: &random), prefix: ""), .number("1"))
                tree.set("data", data)
                return (tree.serialized(), .deadLettered(nil))
            case 4:
                let digits = Int.random(in: 65...400, using: &random)
                detail = "number literal of \(digits) digits"
                var data = tree["data"] ?? .object([])
                data.set("extra", .number(String(repeating: "9", count: digits)))
                tree.set("data", data)
                return (tree.serialized(), .deadLettered(nil))
            case 5:
                detail = "id of 201+ characters"
                tree.set("id", .string(idPrefix + String(repeating: "x", count: Int.random(in: 201...4_000, using: &random))))
                return (tree.serialized(), .deadLettered(nil))
            case 6 where random.chance(5):
                // Rare: the whole message over 1 MiB (padding, or one long free text).
                let bytes = tree.serialized()
                detail = "message over 1 MiB"
                return (bytes + [UInt8](repeating: UInt8(ascii: " "), count: 1_048_577 - bytes.count), .deadLettered(nil))
            default:
                // Right at the limits: 4,096 characters (CJK and emoji included) in a string; may be valid.
                let path = random.pick(strings)
                detail = "4,096-character \(FuzzJSON.render(path)) (at the limit)"
                let text = longString(4_096, prefix: path == [.key("id")] ? idPrefix : "")
                tree.modify(at: path[...]) { $0 = .string(text) }
                return (tree.serialized(), .any)
            }
        }

        /// `count` Unicode scalars (ASCII, CJK, emoji) starting with `prefix`.
        mutating func longString(_ count: Int, prefix: String) -> String {
            let unit = random.pick(["x", "中", "😀", "é", "a b"])
            let wanted = count - prefix.unicodeScalars.count
            let body = String(repeating: unit, count: wanted / unit.unicodeScalars.count + 1)
            return prefix + String(body.unicodeScalars.prefix(wanted))
        }

        // MARK: Types and versions

        mutating func swapType(_ tree: inout FuzzJSON) {
            let paths = tree.paths().filter { tree.value(at: $0[...]) != .null }
            let path = random.pick(paths)
            let original = tree.value(at: path[...])!
            let replacement = otherKind(than: original)
            detail = "\(FuzzJSON.render(path)): \(original.kind) → \(replacement.kind)"
            tree.modify(at: path[...]) { $0 = replacement }
        }

        /// A value of a JSON kind other than `value`'s (never `null`: for an optional member that is "absent").
        mutating func otherKind(than value: FuzzJSON) -> FuzzJSON {
            let candidates: [FuzzJSON] = [
                .string(random.pick(FuzzValues.strings)), .number(random.pick(FuzzValues.numbers)),
                .bool(random.chance(50)), .array([]), .array([.number("1"), .string("x")]), .object([]),
                .object([("value", .string("x"))]),
            ]
            return random.pick(candidates.filter { $0.kind != value.kind })
        }

        mutating func futureVersion(_ tree: inout FuzzJSON, type: String) {
            let family = String(type[..<type.range(of: ".v", options: .backwards)!.lowerBound])
            if random.chance(35) {
                let version = random.pick(["2.0", "1.1", "0.3", "1", "1.0 ", " 1.0", "v1.0", "1.0.0", ""])
                detail = "specversion \"\(version)\""
                tree.set("specversion", .string(version))
            } else {
                let next = random.pick([
                    family + ".v2", family + ".v\(Int.random(in: 3...99, using: &random))", family + ".v0",
                    family + ".V1", family + ".v1.1", family + ".v01", family, type + "-beta", type.uppercased(),
                    "bank.branch.visit-teleported.v1", "com.example.unknown.v1", " " + type,
                ])
                detail = "type \(next)"
                tree.set("type", .string(next))
            }
        }

        // MARK: Credentials

        mutating func credentials(_ tree: inout FuzzJSON) -> [UInt8] {
            let value = "FZSECRET\(index)x\(random.hex())"
            secret = value
            let escaped = random.chance(10)
            let name = escaped ? FuzzValues.escapedPINPlaceholder : random.pick(FuzzValues.credentialNames)
            let payload: FuzzJSON = random.chance(80) ? .string(value) : .object([("value", .string(value))])
            var data = tree["data"] ?? .object([])
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                detail = "envelope \(escaped ? "p\\u0049N" : name)"
                tree.set(name, payload)
            case 1:
                detail = "data.\(escaped ? "p\\u0049N" : name)"
                data.set(name, payload)
            case 2:
                detail = "data.card.\(escaped ? "p\\u0049N" : name)"
                data.set("card", .object([("last4", .string("8000")), (name, payload)]))
            default:
                detail = "data.extras[1].\(escaped ? "p\\u0049N" : name)"
                data.set("extras", .array([.object([("a", .number("1"))]), .object([(name, payload)])]))
            }
            if case .object = tree["data"] { tree.set("data", data) }
            let bytes = finish(tree)
            guard random.chance(15) else { return bytes }
            // The same message, also broken after the credential (cut short, or invalid UTF-8 further on): the
            // decoder fails on the syntax first (see ``FuzzInput/isBrokenCredential``).
            isBrokenCredential = true
            let end = bytes.firstRange(of: Array(value.utf8))!.upperBound
            if random.chance(50) {
                detail += ", then cut short"
                return Array(bytes[..<Int.random(in: end..<bytes.count, using: &random)])
            }
            detail += ", then invalid UTF-8"
            var broken = bytes
            broken.insert(contentsOf: random.pick(FuzzValues.invalidUTF8), at: Int.random(in: end..<bytes.count, using: &random))
            return broken
        }

        // MARK: Not a CloudEvent

        mutating func notACloudEvent(_ tree: FuzzJSON) -> [UInt8] {
            let data = tree["data"] ?? .object([])
            let shapes: [(String, FuzzJSON)] = [
                ("an array", .array([])), ("a string", .string("event")), ("a number", .number("42")),
                ("null", .null), ("true", .bool(true)), ("an empty object", .object([])),
                ("a bare data object", data), ("an array of the event", .array([tree])),
                ("only data", .object([("data", data)])),
                ("no specversion", tree.removing("specversion")), ("no source", tree.removing("source")),
                ("no time", tree.removing("time")), ("no type", tree.removing("type")),
                ("no id", tree.removing("id")), ("no data", tree.removing("data")),
                ("datacontenttype text/plain", tree.setting("datacontenttype", .string("text/plain"))),
                ("empty source", tree.setting("source", .string(""))),
                ("time without offset", tree.setting("time", .string("2026-11-23T09:15:02.120"))),
            ]
            let (name, value) = random.pick(shapes)
            detail = name
            return value.serialized()
        }

        // MARK: Random mutations

        /// `text` as the value at `path`: for the envelope `id`, prefixed with this input's id prefix (unless empty,
        /// which the consumer does not read as an id), so that no two inputs share an id.
        func unique(_ text: String, at path: [FuzzStep]) -> String {
            path == [.key("id")] && !text.isEmpty ? idPrefix + text : text
        }

        mutating func mutated(_ tree: inout FuzzJSON) -> [UInt8] {
            var notes: [String] = []
            var prefix: [UInt8] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let paths = tree.paths()
                let path = random.pick(paths)
                let place = FuzzJSON.render(path)
                switch Int.random(in: 0..<12, using: &random) {
                case 0:
                    notes.append("removed \(place)")
                    tree.modify(at: path[...]) { $0 = nil }
                case 1:
                    // A duplicate member name (the strict parser refuses it).
                    guard case .key(let name) = path.last!, let value = tree.value(at: path[...]) else { continue }
                    notes.append("duplicated \(place)")
                    tree.modify(at: path.dropLast()[...]) { parent in
                        if case .object(let members)? = parent { parent = .object(members + [(name, value)]) }
                    }
                case 2:
                    let value = tree.value(at: path[...])!
                    let replacement = otherKind(than: value)
                    notes.append("\(place) → \(replacement.kind)")
                    tree.modify(at: path[...]) { $0 = replacement }
                case 3:
                    let number = random.pick(FuzzValues.numbers)
                    notes.append("\(place) = \(number)")
                    tree.modify(at: path[...]) { $0 = .number(number) }
                case 4:
                    let text = random.pick(FuzzValues.timestamps)
                    notes.append("\(place) = timestamp \"\(text)\"")
                    tree.modify(at: path[...]) { $0 = .string(unique(text, at: path)) }
                case 5:
                    let text = random.pick(FuzzValues.dates)
                    notes.append("\(place) = date \"\(text)\"")
                    tree.modify(at: path[...]) { $0 = .string(unique(text, at: path)) }
                case 6:
                    let text = random.pick(FuzzValues.amounts)
                    notes.append("\(place) = amount \"\(text)\"")
                    tree.modify(at: path[...]) { $0 = .string(unique(text, at: path)) }
                case 7:
                    let text = random.pick(FuzzValues.strings)
                    notes.append("\(place) = odd string")
                    tree.modify(at: path[...]) { $0 = .string(unique(text, at: path)) }
                case 8:
                    notes.append("unknown member \(place).fzExtra")
                    tree.modify(at: path[...]) { value in
                        if case .object(let members)? = value {
                            value = .object(members + [("fzExtra", .array([.null, .bool(false), .object([])]))])
                        }
                    }
                    if case .object(let members) = tree { tree = .object(members + [("fzExtension", .string("x"))]) }
                case 9:
                    // An enum value in the wrong case or with spaces.
                    guard case .string(let text)? = tree.value(at: path[...]) else { continue }
                    let variant = random.pick([text.uppercased(), text + " ", " " + text, text.capitalized, ""])
                    notes.append("\(place) case or space variant")
                    tree.modify(at: path[...]) { $0 = .string(unique(variant, at: path)) }
                case 10:
                    notes.append("byte-order mark or white space around the message")
                    prefix = random.pick([[0xEF, 0xBB, 0xBF], Array(" \n\t".utf8), [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF]])
                default:
                    // Reordered members: must make no difference.
                    notes.append("members reordered")
                    if case .object(let members) = tree { tree = .object(members.reversed()) }
                }
            }
            detail = notes.joined(separator: "; ")
            return prefix + finish(tree)
        }
    }
}

// MARK: - Value pools

/// Hostile values the mutations draw from.
enum FuzzValues {
    static let lonePlaceholder = "\u{E000}FZLONE\u{E000}"
    static let nulPlaceholder = "\u{E000}FZNUL\u{E000}"
    static let escapedPINPlaceholder = "\u{E000}FZPIN\u{E000}"
    /// A string replaced, quotes included, by raw JSON text after serialization.
    static let rawPlaceholder = "\u{E000}FZRAW\u{E000}"

    /// Placeholders in a tree and the raw JSON text that replaces them after serialization.
    static let rawPlaceholders: [(String, String)] = [
        (lonePlaceholder, #"\ud800"#), (nulPlaceholder, #"\u0000"#), (escapedPINPlaceholder, #"p\u0049N"#),
    ]

    static let strings = [
        "", " ", "\t", "\u{200B}", "null", "undefined", "NaN", "'; DROP TABLE inbox; --", "%s%n%x", "../../etc/passwd",
        "\u{202E}evil", "🏦💰", "中文客户", "\u{FEFF}x", "\\", "\"", "<script>alert(1)</script>", "a\u{1}b",
        lonePlaceholder, "x" + lonePlaceholder, nulPlaceholder, "a" + nulPlaceholder + "b", "\u{10FFFF}",
        String(repeating: "长", count: 1_000), "C000123", "0", "-1", "true",
    ]

    static let numbers = [
        "0", "-0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "1e308", "1e309", "-1e-400", "1.5", "0.0000001", "1E2",
        "1.0", "100", "3000000", String(repeating: "9", count: 64), "-" + String(repeating: "9", count: 63),
        "01", "+1", ".5", "1.", "NaN", "Infinity",
    ]

    static let timestamps = [
        "2026-02-30T10:00:00.000+08:00", "2026-11-23T24:00:00.000+08:00", "2026-11-23T09:15:02+08:00",
        "2026-11-23 09:15:02.120+08:00", "2026-11-23T09:15:02.120Z", "2026-11-23T09:15:02.120",
        "0000-01-01T00:00:00.000+00:00", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999+14:00",
        "-2026-11-23T09:15:02.120+08:00", "2026-11-23T09:15:02.120+25:00", "2026-11-23T09:15:60.000+08:00",
        "1970-01-01T00:00:00.000Z", "2262-04-12T00:00:00.000Z", "1900-01-01T00:00:00.000+08:05:43", "", "now",
        "2026-11-23T09:15:02.123456789+08:00", "2026-11-23t09:15:02.120z", "2026-W48-1T09:00:00Z",
        "1899-12-31T23:59:59.999+08:00", "1900-01-01T00:00:00.000+08:00", "2999-12-31T23:59:59.999-12:00",
    ]

    static let dates = [
        "2026-02-29", "2024-02-29", "2026-13-01", "2026-11-31", "26-11-23", "2026/11/23", "0001-01-01",
        "9999-12-31", "0000-00-00", "", "2026-11-23T00:00:00Z", "+2026-11-23", "2026-1-5",
        "1899-12-31", "1900-01-01", "2999-12-31", "3000-01-01",
    ]

    static let amounts = [
        "1e6", "-0.00", "1,000.00", "0.001", "99999999999999999999.99", "92233720368547758.07",
        "-92233720368547758.08", "92233720368547758.08", "", " 1.00", "1.00 ", "-", ".50", "1.", "０.５", "NaN",
        "-1", "0", "1500000", "12.5",
    ]

    static let credentialNames = [
        "password", "Password", "PASSWD", "pwd", "pin", "PIN", "pinCode", "pin_code", "card-pin", "ATM PIN", "atmPin",
        "cvv", "CVV2", "cvc", "cvn", "card_verification_value", "securityCode", "certificate", "eBankingCertificate",
        "usbKey", "private_key", "otp", "smsCode", "loginPassword", "password_hash", "tradingPin", "loginPIN",
        "ATMPin", "pinBlock", "cardCvv", "ebankCertificate",
    ]

    static let invalidUTF8: [[UInt8]] = [
        [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF],
        [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x28], [0xE2, 0x28, 0xA1],
    ]
}

// MARK: - Tree paths

/// One step of a path into a ``FuzzJSON`` tree.
public enum FuzzStep: Hashable, Sendable {
    case key(String)
    case index(Int)
}

extension FuzzJSON {
    /// The JSON kind, as the decoder names it.
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Every path to a member or element, depth first (the root excluded).
    public func paths() -> [[FuzzStep]] {
        var result: [[FuzzStep]] = []
        func walk(_ value: FuzzJSON, _ path: [FuzzStep]) {
            switch value {
            case .object(let members):
                for (name, member) in members {
                    result.append(path + [.key(name)])
                    walk(member, path + [.key(name)])
                }
            case .array(let elements):
                for (index, element) in elements.enumerated() {
                    result.append(path + [.index(index)])
                    walk(element, path + [.index(index)])
                }
            default: break
            }
        }
        walk(self, [])
        return result
    }

    /// The value at `path`, or `nil`.
    public func value(at path: ArraySlice<FuzzStep>) -> FuzzJSON? {
        guard let step = path.first else { return self }
        switch (self, step) {
        case (.object(let members), .key(let name)):
            return members.first { $0.0 == name }.flatMap { $0.1.value(at: path.dropFirst()) }
        case (.array(let elements), .index(let index)) where index < elements.count:
            return elements[index].value(at: path.dropFirst())
        default:
            return nil
        }
    }

    /// Changes the value at `path` (the root for an empty path); setting `nil` removes the member or element.
    public mutating func modify(at path: ArraySlice<FuzzStep>, _ change: (inout FuzzJSON?) -> Void) {
        guard let step = path.first else {
            var value: FuzzJSON? = self
            change(&value)
            self = value ?? .null
            return
        }
        switch (self, step) {
        case (.object(var members), .key(let name)):
            guard let position = members.firstIndex(where: { $0.0 == name }) else { return }
            if path.count == 1 {
                var value: FuzzJSON? = members[position].1
                change(&value)
                if let value { members[position].1 = value } else { members.remove(at: position) }
            } else {
                members[position].1.modify(at: path.dropFirst(), change)
            }
            self = .object(members)
        case (.array(var elements), .index(let index)) where index < elements.count:
            if path.count == 1 {
                var value: FuzzJSON? = elements[index]
                change(&value)
                if let value { elements[index] = value } else { elements.remove(at: index) }
            } else {
                elements[index].modify(at: path.dropFirst(), change)
            }
            self = .array(elements)
        default:
            return
        }
    }

    /// A copy without the top-level member `name`.
    public func removing(_ name: String) -> FuzzJSON {
        var copy = self
        copy.modify(at: [.key(name)][...]) { $0 = nil }
        return copy
    }

    /// A copy with the top-level member `name` set to `value`.
    public func setting(_ name: String, _ value: FuzzJSON) -> FuzzJSON {
        var copy = self
        copy.set(name, value)
        return copy
    }

    /// `data.signals[1]`.
    public static func render(_ path: [FuzzStep]) -> String {
        var text = ""
        for step in path {
            switch step {
            case .key(let name): text += text.isEmpty ? name : ".\(name)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text.count > 80 ? String(text.prefix(80)) + "…" : text
    }
}
