import Foundation
import Logging
import Messaging

/// Kafka helpers for tests: an in-process mock cluster, a running producer, a reader.
public enum TestKafka {
    /// A consumer configuration tuned for the mock cluster (short fetch wait and group timeouts).
    public static func configuration(bootstrapServers: String) -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: bootstrapServers)
        configuration.consumerProperties["fetch.wait.max.ms"] = "10"
        configuration.consumerProperties["session.timeout.ms"] = "6000"
        configuration.consumerProperties["heartbeat.interval.ms"] = "500"
        configuration.producerProperties["linger.ms"] = "1"
        return configuration
    }

    /// A 3-broker mock cluster with `topics` (6 partitions each).
    public static func makeCluster(topics: [String], partitions: Int = 6) throws -> KafkaMockCluster {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: Logger(label: "test.kafka.mock"))
        for topic in topics {
            try cluster.createTopic(topic, partitions: partitions, replicationFactor: 3)
        }
        return cluster
    }

    /// Runs `body` with a producer whose delivery-report loop runs, then stops it.
    public static func withProducer<Result: Sendable>(
        _ configuration: KafkaConfiguration, _ body: @Sendable (KafkaProducer) async throws -> Result
    ) async throws -> Result {
        let producer = try KafkaProducer(
            configuration: configuration, clientID: "test-producer", logger: Logger(label: "test.kafka.producer"))
        return try await producer.withRunning(logger: Logger(label: "test.kafka.producer"), body)
    }

    /// Reads `topic` from the beginning with a fresh group until `enough` says stop or `timeout` passes.
    public static func read(
        _ topic: String, configuration: KafkaConfiguration, timeout: Duration,
        until enough: ([KafkaRecord]) -> Bool
    ) async throws -> [KafkaRecord] {
        try await read([topic], configuration: configuration, timeout: timeout, until: enough)
    }

    /// Reads `topics` from the beginning with one fresh group until `enough` says stop or `timeout` passes. Each
    /// partition's records keep their offset order.
    public static func read(
        _ topics: [String], configuration: KafkaConfiguration, timeout: Duration,
        until enough: ([KafkaRecord]) -> Bool
    ) async throws -> [KafkaRecord] {
        var configuration = configuration
        configuration.consumerProperties["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumer(
            configuration: configuration, groupID: "test-reader-\(UUID().uuidString.prefix(8))", topics: topics,
            clientID: "test-reader", logger: Logger(label: "test.kafka.reader"))
        var records: [KafkaRecord] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !enough(records) {
            records += try await consumer.poll(maxRecords: 500, timeout: .milliseconds(100))
        }
        await consumer.close()
        return records
    }
}
