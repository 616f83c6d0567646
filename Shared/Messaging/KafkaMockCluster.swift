internal import CRdKafka
import Logging

/// librdkafka's in-process mock Kafka cluster (librdkafka 2.0.2), for the development broker and tests.
///
/// The brokers listen on ephemeral loopback ports (2.0.2 cannot choose them); publish ``bootstrapServers`` to
/// whoever needs to connect. Broker IDs are 1…`brokerCount`. What the 2.0.2 mock does **not** do: CreateTopics
/// (topics are auto-created on Metadata with 4 partitions, or created with ``createTopic(_:partitions:replicationFactor:)``),
/// more than 100,000 messages / 5 MB per partition (older ones are dropped), early Fetch return on new data (set
/// `fetch.wait.max.ms` to ~10 ms in consumers), offset commits while the group is rebalancing (it answers
/// `REBALANCE_IN_PROGRESS`, a real broker accepts them), and real leader election or replication.
///
/// - Important: Experimental librdkafka API without API/ABI guarantee; this is the only type that exposes
///   fault injection. The fault-injection calls are quick, but they block briefly on the mock's thread.
///
/// `Sendable`: the `rd_kafka_mock_*` calls are thread-safe in librdkafka 2.0.2 (they either post an op to the
/// mock cluster's own thread and wait for it, or take the cluster's lock), and the handle is thread-safe.
public final class KafkaMockCluster: Sendable {
    private let client: RDKafkaClient

    /// `host:port,…` of the mock brokers (`rd_kafka_mock_cluster_bootstraps`).
    public let bootstrapServers: String
    /// The number of brokers (IDs 1…`brokerCount`).
    public let brokerCount: Int

    /// Starts a mock cluster, owned by a dedicated librdkafka handle configured with `test.mock.num.brokers`.
    /// It runs until this object is released.
    ///
    /// - Throws: ``KafkaError/Code/clientCreation`` if librdkafka cannot create it.
    public init(brokerCount: Int = 3, logger: Logger) throws(KafkaError) {
        guard brokerCount >= 1 else {
            throw KafkaError(code: .configuration, reason: "a mock cluster needs at least one broker")
        }
        var logger = logger
        logger[metadataKey: KafkaLoggingKeys.clientType] = "mock"
        self.client = try RDKafkaClient.make(
            kind: .mock,
            properties: [
                ("test.mock.num.brokers", String(brokerCount)),
                ("client.id", "concierge-mock-cluster"),
            ],
            context: RDKafkaCallbackContext(logger: logger)
        )
        self.brokerCount = brokerCount
        var servers = ""
        try Self.withMockCluster(client) { cluster in
            servers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        }
        self.bootstrapServers = servers
    }

    /// A configuration pointing at this cluster.
    public func makeConfiguration() -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: bootstrapServers)
    }

    /// Lends the mock cluster, which the handle owns (destroyed with it).
    private static func withMockCluster(
        _ client: RDKafkaClient,
        _ body: (OpaquePointer) throws(KafkaError) -> Void
    ) throws(KafkaError) {
        try client.withHandle { (handle) throws(KafkaError) in
            guard let cluster = rd_kafka_handle_mock_cluster(handle) else {
                throw KafkaError(code: .mockCluster, reason: "the handle has no mock cluster")
            }
            try body(cluster)
        }
    }

    private func perform(_ what: String, _ body: (OpaquePointer) -> rd_kafka_resp_err_t) throws(KafkaError) {
        try Self.withMockCluster(client) { (cluster) throws(KafkaError) in
            let error = body(cluster)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                var failure = KafkaError.rdKafka(error, reason: "mock cluster: \(what) failed")
                failure.code = .mockCluster
                throw failure
            }
        }
    }

    /// Creates a topic with an explicit partition count and replication factor (≤ broker count).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int) throws(KafkaError) {
        try perform("creating topic \(name)") {
            rd_kafka_mock_topic_create($0, name, Int32(clamping: partitions), Int32(clamping: replicationFactor))
        }
    }

    /// Takes a broker down: it refuses new connections and drops existing ones.
    public func setBrokerDown(_ brokerID: Int32) throws(KafkaError) {
        try perform("setting broker \(brokerID) down") { rd_kafka_mock_broker_set_down($0, brokerID) }
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ brokerID: Int32) throws(KafkaError) {
        try perform("setting broker \(brokerID) up") { rd_kafka_mock_broker_set_up($0, brokerID) }
    }

    /// Moves a partition's leadership; `nil` makes the partition leaderless (-1).
    public func setPartitionLeader(topic: String, partition: Int32, brokerID: Int32?) throws(KafkaError) {
        try perform("setting the leader of \(topic)[\(partition)]") {
            rd_kafka_mock_partition_set_leader($0, topic, partition, brokerID ?? -1)
        }
    }

    /// Makes `brokerID` the coordinator of consumer group `group`.
    public func setGroupCoordinator(group: String, brokerID: Int32) throws(KafkaError) {
        try perform("setting the coordinator of group \(group)") {
            rd_kafka_mock_coordinator_set($0, "group", group, brokerID)
        }
    }

    /// Makes the next requests of the given Kafka API (`apiKey`, e.g. 0 = Produce, 1 = Fetch, 8 = OffsetCommit,
    /// 11 = JoinGroup, 12 = Heartbeat) fail with these raw Kafka error codes, one per request, on any broker.
    public func pushRequestErrors(apiKey: Int16, errorCodes: [Int32]) throws(KafkaError) {
        let errors = errorCodes.map { rd_kafka_resp_err_t(rawValue: $0) }
        try Self.withMockCluster(client) { cluster in
            errors.withUnsafeBufferPointer { buffer in
                rd_kafka_mock_push_request_errors_array(cluster, apiKey, buffer.count, buffer.baseAddress)
            }
        }
    }

    /// Drops the errors still queued by ``pushRequestErrors(apiKey:errorCodes:)`` for `apiKey`.
    public func clearRequestErrors(apiKey: Int16) throws(KafkaError) {
        try Self.withMockCluster(client) { cluster in
            rd_kafka_mock_clear_request_errors(cluster, apiKey)
        }
    }

    /// Delays every response of a broker by `milliseconds`.
    public func setBrokerRoundTripTime(_ brokerID: Int32, milliseconds: Int) throws(KafkaError) {
        try perform("setting the round-trip time of broker \(brokerID)") {
            rd_kafka_mock_broker_set_rtt($0, brokerID, Int32(clamping: milliseconds))
        }
    }
}
