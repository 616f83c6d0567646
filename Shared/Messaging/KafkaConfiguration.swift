/// Connection and client settings shared by every Kafka client of a service.
///
/// librdkafka properties are plain strings, exactly as documented in librdkafka's `CONFIGURATION.md` (2.0.2).
/// They are applied in this order, later entries winning:
///
/// 1. `Messaging`'s defaults (see ``KafkaProducer`` and ``KafkaConsumer``),
/// 2. ``properties`` (every client),
/// 3. ``producerProperties`` or ``consumerProperties``,
/// 4. the forced settings: `bootstrap.servers` (from ``bootstrapServers``), `client.id`, and for producers
///    `enable.idempotence=true` and `acks=all`, for consumers `group.id` and `enable.auto.offset.store=false`.
///
/// Within one dictionary, keys are applied in sorted order, so aliases (`acks` and `request.required.acks`)
/// resolve deterministically.
public struct KafkaConfiguration: Sendable {
    /// Comma-separated `host:port` list (`bootstrap.servers`).
    public var bootstrapServers: String
    /// librdkafka properties for every client (producer, consumer, admin).
    public var properties: [String: String] = [:]
    /// librdkafka properties for producers only.
    public var producerProperties: [String: String] = [:]
    /// librdkafka properties for consumers only.
    public var consumerProperties: [String: String] = [:]
    /// Partition count for topics that ``KafkaAdmin/ensureTopics(_:configuration:logger:timeout:)`` creates.
    public var topicPartitions: Int = 6
    /// Replication factor for created topics; `-1` uses the broker's `default.replication.factor`.
    public var topicReplicationFactor: Int = -1
    /// Whether services should create missing topics at start-up.
    public var createTopics: Bool = true
    /// How long ``KafkaProducer/run()`` waits for queued records to be delivered on graceful shutdown before it
    /// purges (fails) the rest.
    public var producerShutdownFlushTimeout: Duration = .seconds(10)

    /// Creates a configuration with `Messaging`'s defaults.
    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }
}
