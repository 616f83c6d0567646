internal import CRdKafka

/// Turns property lists into a `rd_kafka_conf_t`, naming the offending property on error and redacting secrets.
enum RDKafkaConfig {
    /// An ordered list of librdkafka properties. Order matters: later entries override earlier ones.
    typealias Properties = [(key: String, value: String)]

    /// Whether a property's value must never appear in logs or errors (`sasl.password`, `ssl.key.pem`,
    /// `sasl.oauthbearer.client.secret`, …).
    static func isSensitive(_ key: String) -> Bool {
        let key = key.lowercased()
        return key.contains("password") || key.contains("secret") || key.contains("key")
    }

    /// The value as it may be shown in logs and errors.
    static func displayValue(of key: String, _ value: String) -> String {
        isSensitive(key) ? "<redacted>" : "\"\(value)\""
    }

    /// Applies `properties` to `conf`, in order.
    ///
    /// - Throws: ``KafkaError/Code/configuration`` naming the property (and, unless secret, the value).
    static func apply(_ properties: Properties, to conf: OpaquePointer, source: String? = nil) throws(KafkaError) {
        for (key, value) in properties {
            try set(key, value, on: conf, source: source)
        }
    }

    /// Checks one property against librdkafka on a scratch configuration.
    static func validate(property: String, value: String, source: String) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .configuration, reason: "rd_kafka_conf_new failed")
        }
        defer { rd_kafka_conf_destroy(conf) }
        try set(property, value, on: conf, source: source)
    }

    private static func set(_ key: String, _ value: String, on conf: OpaquePointer, source: String?) throws(KafkaError) {
        var errorBuffer = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
        guard result != RD_KAFKA_CONF_OK else { return }

        let origin = source.map { " (from \($0))" } ?? ""
        let detail: String
        switch result {
        case RD_KAFKA_CONF_UNKNOWN:
            detail = "unknown librdkafka property \"\(key)\"\(origin)"
        default:
            // librdkafka's message quotes the value, so it is only used for properties that are not secret.
            if isSensitive(key) {
                detail = "invalid value <redacted> for librdkafka property \"\(key)\"\(origin)"
            } else {
                let message = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                detail = "invalid value \(displayValue(of: key, value)) for librdkafka property \"\(key)\"\(origin): \(message)"
            }
        }
        throw KafkaError(code: .configuration, reason: detail)
    }
}

// MARK: - KafkaConfiguration + librdkafka properties

extension KafkaConfiguration {
    /// Producer defaults that the caller's properties may change.
    static let producerDefaults: Properties = [
        // librdkafka's own default; spelled out because the latency budget (practice.md §4.4) depends on it.
        ("linger.ms", "5"),
        // The Java client's partitioner, so keys map to the same partitions from any client library.
        ("partitioner", "murmur2_random"),
    ]

    /// Producer settings the caller cannot weaken: the outbox relies on idempotent, fully acknowledged writes.
    static let producerForced: Properties = [
        ("enable.idempotence", "true"),
        ("acks", "all"),
    ]

    /// Consumer defaults that the caller's properties may change.
    static let consumerDefaults: Properties = [
        // Commits only offsets stored through storeOffsets (enable.auto.offset.store is forced off), so
        // automatic commits are safe; 1 s bounds redelivery after a crash.
        ("enable.auto.commit", "true"),
        ("auto.commit.interval.ms", "1000"),
        ("auto.offset.reset", "earliest"),
        // Eager protocol: librdkafka 2.0.2's cooperative-sticky assignor has known bugs fixed only later
        // (#4252 ownership bugs, 2.2.0; #4528 stuck close, 2.4.0; #4800 infinite loop, 2.6.1; commits during an
        // incremental rebalance losing the assignment, 2.10). See docs/adr/0001-librdkafka-wrapper.md.
        ("partition.assignment.strategy", "range,roundrobin"),
        // Prefetched records held in memory: librdkafka's default (65,536 KB) let a lagging consumer of many topics
        // (scoring) grow past 100 MB resident. 16 MB is still tens of seconds of records at the benchmark's rates.
        ("queued.max.messages.kbytes", "16384"),
    ]

    typealias Properties = RDKafkaConfig.Properties

    /// All properties of a producer, in the order they are applied.
    func producerProperties(clientID: String) -> Properties {
        Self.producerDefaults + sorted(properties) + sorted(producerProperties) + [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
        ] + Self.producerForced
    }

    /// All properties of a consumer, in the order they are applied.
    func consumerProperties(groupID: String, clientID: String) -> Properties {
        Self.consumerDefaults + sorted(properties) + sorted(consumerProperties) + [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
            ("group.id", groupID),
            // Offsets are stored only after the caller's database transaction committed (house style §7.5).
            ("enable.auto.offset.store", "false"),
        ]
    }

    /// All properties of an admin client (a producer-type handle that never produces).
    func adminProperties(clientID: String) -> Properties {
        sorted(properties) + [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
        ]
    }

    /// The caller's producer settings that ``producerForced`` overrides, for an info log line.
    func weakenedProducerSettings() -> [String] {
        let caller = properties.merging(producerProperties) { $1 }
        var ignored: [String] = []
        if let value = caller["enable.idempotence"], value.lowercased() != "true" {
            ignored.append("enable.idempotence=\(value)")
        }
        for key in ["acks", "request.required.acks"] {
            if let value = caller[key], !["all", "-1"].contains(value.lowercased()) {
                ignored.append("\(key)=\(value)")
            }
        }
        return ignored
    }

    private func sorted(_ dictionary: [String: String]) -> Properties {
        dictionary.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }
}
