// MARK: - EventDecodingLimits

/// Bounds that keep hostile or broken messages from exhausting memory, stack or time. Exceeding one is an
/// ``EventDecodingError`` with code ``EventDecodingError/Code/limitExceeded``.
public struct EventDecodingLimits: Hashable, Sendable {
    /// The largest message accepted, in bytes. Default 1 MiB.
    public var maximumMessageBytes: Int
    /// The deepest nesting of objects and arrays accepted; the envelope object is level 1. Default 32.
    public var maximumDepth: Int
    /// The longest string (or member name) accepted, in Unicode scalars. Default 4,096.
    public var maximumStringLength: Int
    /// The longest number literal accepted, in characters. Default 64.
    public var maximumNumberLength: Int
    /// JSON paths whose strings may be as long as the message allows. Default `["data.valueBase64", "data.key"]`,
    /// the dead-lettered message of `concierge.deadletter.v1` and its Kafka key (which no limit of ours bounds).
    public var longStringFields: Set<String>

    /// Creates limits; every parameter has the documented default.
    public init(
        maximumMessageBytes: Int = 1_048_576,
        maximumDepth: Int = 32,
        maximumStringLength: Int = 4_096,
        maximumNumberLength: Int = 64,
        longStringFields: Set<String> = ["data.valueBase64", "data.key"]
    ) {
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumDepth = maximumDepth
        self.maximumStringLength = maximumStringLength
        self.maximumNumberLength = maximumNumberLength
        self.longStringFields = longStringFields
    }

    /// The defaults.
    public static let `default` = EventDecodingLimits()
}
