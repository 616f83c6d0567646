// MARK: - EventDecodingError

/// Why a Kafka message could not be turned into an ``IncomingEvent``. A consumer dead-letters the message with
/// ``reason`` as the dead letter's `error` (contract §1.4).
///
/// Errors compare and hash by ``code`` only (house style §7.8), so `error == EventDecodingError(code: .invalidData)`
/// style checks ask "is this an invalid-data error?".
public struct EventDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    // MARK: - Code

    /// What kind of problem it is. Extensible: new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformedJSON, notACloudEvent, unknownEventType, invalidData, forbiddenField, limitExceeded
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// Not JSON: a syntax error, invalid UTF-8, a duplicate member name, U+0000 in a string.
        public static let malformedJSON = Code(.malformedJSON)
        /// JSON, but not a CloudEvents 1.0 structured-mode event: not an object, or a missing or invalid envelope
        /// attribute (`specversion`, `id`, `source`, `type`, `time`, `datacontenttype`, …).
        public static let notACloudEvent = Code(.notACloudEvent)
        /// A `type` this build does not know, including unknown versions (`….v2`) and types read from the wrong
        /// topic.
        public static let unknownEventType = Code(.unknownEventType)
        /// `data` does not match its type: a missing required field, a wrong JSON type, a value outside its enum, a
        /// malformed amount, timestamp or date, or a broken rule (``EventValidationError``).
        public static let invalidData = Code(.invalidData)
        /// A credential field such as a password, PIN or CVV anywhere in the message (rulebook D-10, H-07).
        public static let forbiddenField = Code(.forbiddenField)
        /// The message is too large, too deeply nested or has an over-long string (``EventDecodingLimits``).
        public static let limitExceeded = Code(.limitExceeded)

        /// The code's name, e.g. `invalidData`.
        public var description: String { base.rawValue }
    }

    // MARK: - Properties

    /// What kind of problem it is.
    public let code: Code
    /// A sentence a person can act on, starting with the JSON path when there is one, e.g.
    /// `data.purpose: "teleport" is not one of cash_large, cash_small, …`. Never contains a credential's value.
    public let reason: String
    /// The JSON path of the offending member (`data.purpose`, `data.signals[2]`), when there is one.
    public let path: String?
    /// The event's `id`, when it could be read.
    public let eventID: String?
    /// The event's `type`, when it could be read.
    public let eventType: String?
    /// The source file that raised the error.
    public let file: String
    /// The source line that raised the error.
    public let line: Int

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of problem it is.
    ///   - reason: A sentence a person can act on.
    ///   - path: The JSON path of the offending member, if any.
    ///   - eventID: The event's `id`, when known.
    ///   - eventType: The event's `type`, when known.
    public init(
        code: Code,
        reason: String,
        path: String? = nil,
        eventID: String? = nil,
        eventType: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.path = path
        self.eventID = eventID
        self.eventType = eventType
        self.file = file
        self.line = line
    }

    /// `EventDecodingError.<code>: <reason>`.
    public var description: String { "EventDecodingError.\(code): \(reason)" }

    /// Whether the original message carries a credential and must not be stored as is; dead-letter
    /// ``EventCatalog/redactingCredentials(_:)`` of it instead.
    public var containsCredentials: Bool { code == .forbiddenField }

    /// Compares codes only.
    public static func == (lhs: EventDecodingError, rhs: EventDecodingError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }
}
