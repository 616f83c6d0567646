// MARK: - KafkaConfiguration + environment variables

extension KafkaConfiguration {
    /// The `bootstrap.servers` used when neither `KAFKA_BROKERS` nor `KAFKA_BOOTSTRAP_SERVERS` is set.
    public static let defaultBootstrapServers = "127.0.0.1:9092"

    /// Reads the configuration from `KAFKA_*` environment variables.
    ///
    /// - Configuration keys:
    ///   - `KAFKA_BROKERS` (string, default `127.0.0.1:9092`): `bootstrap.servers`.
    ///     `KAFKA_BOOTSTRAP_SERVERS` is accepted as an alias; setting both to different values is an error.
    ///   - `KAFKA_TOPIC_PARTITIONS` (integer ≥ 1, default 6): partitions of created topics.
    ///   - `KAFKA_TOPIC_REPLICATION_FACTOR` (integer ≥ 1 or -1, default -1 = broker default).
    ///   - `KAFKA_CREATE_TOPICS` (`true`/`false`/`1`/`0`/`yes`/`no`, default true).
    ///   - `KAFKA_PRODUCER_<X>`: librdkafka property `<x>` for producers only.
    ///   - `KAFKA_CONSUMER_<X>`: librdkafka property `<x>` for consumers only.
    ///   - any other `KAFKA_<X>`: librdkafka property `<x>` for every client.
    ///
    ///   `<X>` is lowercased and `_` becomes `.`: `KAFKA_SECURITY_PROTOCOL` → `security.protocol`,
    ///   `KAFKA_SASL_MECHANISMS` → `sasl.mechanisms`, `KAFKA_CONSUMER_FETCH_WAIT_MAX_MS` → `fetch.wait.max.ms`.
    ///
    /// Every property is checked against librdkafka (`rd_kafka_conf_set`) here, so a typo fails at start-up,
    /// naming the variable. Variables that other tools set and that are not librdkafka settings are skipped:
    /// ``ignoredVariables`` (Kafka distribution and JVM variables such as `KAFKA_HOME`) and the variables Kubernetes
    /// injects for a Service named `kafka` (`KAFKA_PORT…`, `KAFKA_SERVICE_…`).
    ///
    /// - Parameter environment: usually `ProcessInfo.processInfo.environment`.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/configuration`` for a value that does not parse or a
    ///   property librdkafka rejects. Values of secret-looking keys are never included in the message.
    public init(environment: [String: String]) throws(KafkaError) {
        let brokers = environment["KAFKA_BROKERS"]
        let bootstrapAlias = environment["KAFKA_BOOTSTRAP_SERVERS"]
        if let brokers, let bootstrapAlias, brokers != bootstrapAlias {
            throw KafkaError(
                code: .configuration,
                reason: "KAFKA_BROKERS and KAFKA_BOOTSTRAP_SERVERS are both set, to different values"
            )
        }
        self.init(bootstrapServers: brokers ?? bootstrapAlias ?? Self.defaultBootstrapServers)

        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            guard name.hasPrefix("KAFKA_"), !Self.isIgnored(name) else { continue }
            switch name {
            case "KAFKA_BROKERS", "KAFKA_BOOTSTRAP_SERVERS":
                continue
            case "KAFKA_TOPIC_PARTITIONS":
                self.topicPartitions = try Self.parseInteger(value, variable: name, allowed: { $0 >= 1 })
            case "KAFKA_TOPIC_REPLICATION_FACTOR":
                self.topicReplicationFactor = try Self.parseInteger(
                    value,
                    variable: name,
                    allowed: { $0 == -1 || $0 >= 1 }
                )
            case "KAFKA_CREATE_TOPICS":
                self.createTopics = try Self.parseBool(value, variable: name)
            default:
                if let suffix = name.dropPrefix("KAFKA_PRODUCER_") {
                    let property = try Self.propertyName(suffix, variable: name)
                    try RDKafkaConfig.validate(property: property, value: value, source: name)
                    self.producerProperties[property] = value
                } else if let suffix = name.dropPrefix("KAFKA_CONSUMER_") {
                    let property = try Self.propertyName(suffix, variable: name)
                    try RDKafkaConfig.validate(property: property, value: value, source: name)
                    self.consumerProperties[property] = value
                } else if let suffix = name.dropPrefix("KAFKA_") {
                    let property = try Self.propertyName(suffix, variable: name)
                    try RDKafkaConfig.validate(property: property, value: value, source: name)
                    self.properties[property] = value
                }
            }
        }
    }

    /// `KAFKA_*` variables set by Kafka's own scripts and JVM tooling, never librdkafka properties.
    public static let ignoredVariables: Set<String> = [
        "KAFKA_HOME", "KAFKA_OPTS", "KAFKA_HEAP_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_JMX_OPTS",
        "KAFKA_LOG4J_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_DEBUG", "KAFKA_VERSION",
    ]

    /// Whether `name` is one of ``ignoredVariables`` or a Kubernetes service-link variable of a Service named
    /// `kafka` (`KAFKA_PORT`, `KAFKA_PORT_9092_TCP_ADDR`, `KAFKA_SERVICE_HOST`, …).
    static func isIgnored(_ name: String) -> Bool {
        ignoredVariables.contains(name) || name == "KAFKA_PORT" || name.hasPrefix("KAFKA_PORT_")
            || name.hasPrefix("KAFKA_SERVICE_")
    }

    /// `FETCH_WAIT_MAX_MS` → `fetch.wait.max.ms`.
    static func propertyName(_ suffix: Substring, variable: String) throws(KafkaError) -> String {
        guard !suffix.isEmpty else {
            throw KafkaError(code: .configuration, reason: "\(variable) names no librdkafka property")
        }
        return suffix.lowercased().replacingAll("_", with: ".")
    }

    private static func parseInteger(
        _ value: String,
        variable: String,
        allowed: (Int) -> Bool
    ) throws(KafkaError) -> Int {
        guard let number = Int(value.trimmingSpaces()), allowed(number) else {
            throw KafkaError(code: .configuration, reason: "\(variable) must be a valid integer, got \"\(value)\"")
        }
        return number
    }

    private static func parseBool(_ value: String, variable: String) throws(KafkaError) -> Bool {
        switch value.trimmingSpaces().lowercased() {
        case "true", "1", "yes", "on":
            return true
        case "false", "0", "no", "off":
            return false
        default:
            throw KafkaError(code: .configuration, reason: "\(variable) must be true or false, got \"\(value)\"")
        }
    }
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }

    fileprivate func trimmingSpaces() -> Substring {
        var slice = self[...]
        while slice.first?.isWhitespace == true { slice = slice.dropFirst() }
        while slice.last?.isWhitespace == true { slice = slice.dropLast() }
        return slice
    }

    fileprivate func replacingAll(_ character: Character, with replacement: Character) -> String {
        String(map { $0 == character ? replacement : $0 })
    }
}
