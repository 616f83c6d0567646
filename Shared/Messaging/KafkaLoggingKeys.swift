/// Logger metadata keys used by `Messaging`, in one place so every service logs Kafka context the same way.
///
/// - Important: `Messaging` never logs message keys, values or headers: they contain customer data.
public enum KafkaLoggingKeys {
    /// The topic of a record or of an assignment.
    public static let topic = "kafka.topic"
    /// The partition of a record or of an assignment.
    public static let partition = "kafka.partition"
    /// An offset (of a record, or the next offset to consume when committing).
    public static let offset = "kafka.offset"
    /// The consumer group.
    public static let groupID = "kafka.group.id"
    /// The `client.id` of the librdkafka client.
    public static let clientID = "kafka.client.id"
    /// The kind of client: `producer`, `consumer`, `admin` or `mock`.
    public static let clientType = "kafka.client.type"
    /// The name of a librdkafka error code, e.g. `_MSG_TIMED_OUT`.
    public static let errorName = "kafka.error.name"
    /// The facility of a log line that librdkafka emitted itself.
    public static let facility = "kafka.log.facility"
    /// A number of partitions or records the log line is about.
    public static let count = "kafka.count"
}
