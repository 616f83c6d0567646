/// A Kafka record header. Keys need not be unique; order is preserved.
public struct KafkaHeader: Sendable, Hashable {
    /// The header name.
    public var key: String
    /// The header value. A null header value on the wire is read as an empty array.
    public var value: [UInt8]

    /// Creates a header.
    public init(key: String, value: [UInt8]) {
        self.key = key
        self.value = value
    }
}
