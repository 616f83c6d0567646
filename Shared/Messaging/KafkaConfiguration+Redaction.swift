// MARK: - KafkaConfiguration + redaction

extension KafkaConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings with the value of every secret property (`sasl.password`, `ssl.key.password`,
    /// `sasl.oauthbearer.client.secret`, …) shown as `<redacted>`, so that logging or printing a configuration never
    /// writes a credential (docs/security.md).
    public var description: String {
        "KafkaConfiguration(bootstrapServers: \"\(bootstrapServers)\", properties: \(Self.shown(properties)), "
            + "producerProperties: \(Self.shown(producerProperties)), "
            + "consumerProperties: \(Self.shown(consumerProperties)), topicPartitions: \(topicPartitions), "
            + "topicReplicationFactor: \(topicReplicationFactor), createTopics: \(createTopics))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror with secret values redacted, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "bootstrapServers": bootstrapServers, "properties": Self.redacted(properties),
                "producerProperties": Self.redacted(producerProperties),
                "consumerProperties": Self.redacted(consumerProperties), "topicPartitions": topicPartitions,
                "topicReplicationFactor": topicReplicationFactor, "createTopics": createTopics,
                "producerShutdownFlushTimeout": producerShutdownFlushTimeout,
            ],
            displayStyle: .struct)
    }

    /// The properties with secret values replaced by `<redacted>`.
    static func redacted(_ properties: [String: String]) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: properties.map { ($0.key, RDKafkaConfig.isSensitive($0.key) ? "<redacted>" : $0.value) })
    }

    /// `[key: "value", secret.key: <redacted>]`, sorted by key.
    private static func shown(_ properties: [String: String]) -> String {
        "["
            + properties.sorted { $0.key < $1.key }
            .map { "\($0.key): \(RDKafkaConfig.displayValue(of: $0.key, $0.value))" }
            .joined(separator: ", ") + "]"
    }
}
