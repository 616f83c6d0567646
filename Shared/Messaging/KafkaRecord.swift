/// A consumed record. All bytes are owned Swift arrays, copied out of librdkafka when the record was polled.
public struct KafkaRecord: Sendable {
    /// The topic the record was read from.
    public var topic: String
    /// The partition the record was read from.
    public var partition: Int32
    /// The offset of the record in its partition.
    public var offset: Int64
    /// The record key, `nil` for a null key.
    public var key: [UInt8]?
    /// The record value (empty for a null value).
    public var value: [UInt8]
    /// Headers, in order.
    public var headers: [KafkaHeader]
    /// The record timestamp (create or log-append time) in milliseconds since the epoch, if the broker sent one.
    public var timestampMilliseconds: Int64?

    /// Creates a record, e.g. for tests or fakes.
    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]? = nil,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The record's topic and partition.
    public var topicPartition: KafkaTopicPartition {
        KafkaTopicPartition(topic: topic, partition: partition)
    }
}
