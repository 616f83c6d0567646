import Events
import Foundation
import Testing

// MARK: - Fixtures

/// The golden JSON fixtures under `Fixtures/`, one per event type, named `<type>.json`.
enum Fixtures {
    /// The bytes of the fixture for `eventType`.
    static func bytes(_ eventType: String) throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: eventType, withExtension: "json", subdirectory: "Fixtures"),
            "no fixture for \(eventType)")
        return [UInt8](try Data(contentsOf: url))
    }

    /// The names (event types) of every fixture file.
    static func allEventTypes() throws -> [String] {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }
            .map { String($0.dropLast(".json".count)) }
            .sorted()
    }

    /// The fixture for `eventType`, decoded.
    static func event(_ eventType: String) throws -> IncomingEvent {
        try EventCatalog.decode(bytes(eventType))
    }
}

// MARK: - JSONTree

/// A JSON document compared structurally: member order and white space do not matter.
enum JSONTree: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let elements = try? container.decode([JSONTree].self) {
            self = .array(elements)
        } else {
            self = .object(try container.decode([String: JSONTree].self))
        }
    }

    /// Parses `bytes` with Foundation's `JSONDecoder`, independently of the code under test.
    init(_ bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(JSONTree.self, from: Data(bytes))
    }
}

// MARK: - Messages

/// Builds test messages from JSON objects.
enum Message {
    /// A complete, valid `bank.branch.visit-arrived.v1` `data` object.
    static func visitArrivedData() -> [String: Any] {
        [
            "visitId": "V20261123-SH001-0042", "branchId": "SH001", "arrivedAt": "2026-11-23T09:15:02.120+08:00",
            "customerId": "C000123", "purpose": "cash_large", "amount": "500000.00", "recordedBy": "S0107",
            "recordedByRole": "lobby_manager", "signals": ["large_cash", "occupation:doctor"],
        ]
    }

    /// A valid envelope around `data`; `envelope` entries override or add attributes, and an `NSNull` value
    /// removes one.
    static func event(
        type: String = "bank.branch.visit-arrived.v1", data: Any, envelope: [String: Any] = [:]
    ) throws -> [UInt8] {
        var object: [String: Any] = [
            "specversion": "1.0", "id": "0d6f0c8e-3a55-4a8c-9a9f-1f3e2a4b5c6d", "source": "branch/SH001/lobby-tablet-2",
            "type": type, "time": "2026-11-23T09:15:02.120+08:00", "datacontenttype": "application/json",
            "data": data,
        ]
        for (key, value) in envelope {
            object[key] = value is NSNull ? nil : value
        }
        return [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// A visit-arrived event whose `data` is the valid one changed by `change`.
    static func visitArrived(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> [UInt8] {
        var data = visitArrivedData()
        change(&data)
        return try event(data: data)
    }
}

// MARK: - Expectations

/// Decodes `bytes` and returns the error, recording an issue if decoding succeeds.
func decodingError(
    _ bytes: [UInt8], onTopic topic: String? = nil, limits: EventDecodingLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) -> EventDecodingError? {
    do {
        if let topic {
            _ = try EventCatalog.decode(bytes, onTopic: topic, limits: limits)
        } else {
            _ = try EventCatalog.decode(bytes, limits: limits)
        }
        Issue.record("expected a decoding error", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
