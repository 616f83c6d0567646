import Prometheus

/// The metrics every service exposes on `GET /metrics` (Prometheus text format).
///
/// Names: `concierge_events_consumed_total`, `concierge_events_duplicate_total`, `concierge_events_ignored_total`,
/// `concierge_events_deadlettered_total`, `concierge_events_produced_total`, `concierge_handler_retries_total`,
/// `concierge_handler_duration_seconds`, `concierge_outbox_publish_failures_total`,
/// `concierge_outbox_lag_seconds`, `concierge_http_access_refused_total` (`status` 401 or 403),
/// `concierge_consumer_lag_records` (gauge, by `topic`). Each carries the `service` label; event counters also
/// `topic`.
public struct ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let service: String

    public init(service: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.service = service
        self.registry = registry
    }

    public func consumed(topic: String, type: String) {
        counter("concierge_events_consumed_total", ["topic": topic, "type": type]).increment()
    }

    public func duplicate(topic: String) {
        counter("concierge_events_duplicate_total", ["topic": topic]).increment()
    }

    public func ignored(topic: String) {
        counter("concierge_events_ignored_total", ["topic": topic]).increment()
    }

    public func deadLettered(topic: String, reason: String) {
        counter("concierge_events_deadlettered_total", ["topic": topic, "reason": reason]).increment()
    }

    public func produced(topic: String, count: Int) {
        counter("concierge_events_produced_total", ["topic": topic]).increment(by: Int64(count))
    }

    public func publishFailed(topic: String) {
        counter("concierge_outbox_publish_failures_total", ["topic": topic]).increment()
    }

    /// A request refused for want of a valid token (401) or of the right to what it asked (403).
    public func accessRefused(status: Int) {
        counter("concierge_http_access_refused_total", ["status": String(status)]).increment()
    }

    public func handlerRetried(topic: String) {
        counter("concierge_handler_retries_total", ["topic": topic]).increment()
    }

    public func handlerDuration(_ duration: Duration, topic: String) {
        registry.makeDurationHistogram(
            descriptor: Self.descriptor("concierge_handler_duration_seconds"),
            labels: [("service", service), ("topic", topic)],
            buckets: [
                .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000),
            ]
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// Time from an outbox row's insert to its delivery report.
    public func outboxLag(_ duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: Self.descriptor("concierge_outbox_lag_seconds"),
            labels: [("service", service)],
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(1000), .seconds(5),
            ]
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// Records not yet handed to this instance's handler, summed per topic over the partitions it holds
    /// (`KafkaConsumer.lag()`). Topics it held before and holds no longer read 0.
    public func consumerLag(_ byTopic: [String: Int64]) {
        for (topic, records) in byTopic {
            registry.makeGauge(
                descriptor: Self.descriptor("concierge_consumer_lag_records"),
                labels: [("service", service), ("topic", topic)]
            ).set(records)
        }
    }

    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }

    private func counter(_ name: String, _ labels: [String: String]) -> Counter {
        var pairs = [("service", service)]
        pairs.append(contentsOf: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return registry.makeCounter(descriptor: Self.descriptor(name), labels: pairs)
    }

    static let help: [String: String] = [
        "concierge_events_consumed_total": "Events read from Kafka and decoded, by topic and type.",
        "concierge_events_duplicate_total": "Events whose id was already in the inbox (redeliveries, duplicates).",
        "concierge_events_ignored_total": "Valid events of a type this service does not act on.",
        "concierge_events_deadlettered_total": "Events sent to concierge.deadletter, by reason category.",
        "concierge_events_produced_total": "Outbox events published with a delivery report.",
        "concierge_outbox_publish_failures_total": "Outbox events whose publication failed (retried).",
        "concierge_handler_retries_total": "Handler runs retried after an error.",
        "concierge_handler_duration_seconds": "Time to handle one event, transaction included.",
        "concierge_outbox_lag_seconds": "Time from an outbox row's insert to its delivery report.",
        "concierge_http_access_refused_total": "HTTP requests refused: 401 no valid token, 403 not allowed.",
        "concierge_consumer_lag_records": "Records on the partitions this instance holds not yet handed to its handler.",
    ]

    static func descriptor(_ name: String) -> MetricNameDescriptor {
        // Empty components are skipped when the name is built, so the whole name can go in `metricName`.
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
