/// A record to produce. The partition is chosen by the partitioner from the key (`murmur2_random` by default,
/// the Java client's partitioner), so all records with the same key land in the same partition, in order.
public struct KafkaOutgoingRecord: Sendable {
    /// The destination topic.
    public var topic: String
    /// The record key; `nil` (or empty) is a null key, spread over partitions at random.
    public var key: [UInt8]?
    /// The record value. The bytes are copied when the record is enqueued.
    public var value: [UInt8]
    /// Headers, in order.
    public var headers: [KafkaHeader]

    /// Creates a record to produce.
    public init(topic: String, key: [UInt8]? = nil, value: [UInt8], headers: [KafkaHeader] = []) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }
}
