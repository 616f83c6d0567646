internal import CRdKafka
import Dispatch
import Logging

/// Topic administration for service start-up.
public enum KafkaAdmin {
    /// What ``ensureTopics(_:configuration:logger:timeout:)`` found or did for one topic.
    public struct TopicOutcome: Sendable, Hashable, CustomStringConvertible {
        /// How the topic came to exist. A struct over a private enum, so cases can be added.
        public struct Status: Sendable, Hashable, CustomStringConvertible {
            fileprivate enum Base: String, Hashable, Sendable {
                case alreadyExisted
                case created
                case verifiedByMetadata
            }

            fileprivate let base: Base

            /// The topic existed before the call (or another client created it concurrently).
            public static let alreadyExisted = Status(base: .alreadyExisted)
            /// CreateTopics created it with ``KafkaConfiguration/topicPartitions`` partitions.
            public static let created = Status(base: .created)
            /// The broker does not support CreateTopics (the librdkafka 2.0.2 mock cluster); a metadata request
            /// showed the topic exists — on a broker that auto-creates topics, possibly because of that request,
            /// with the broker's default partition count.
            public static let verifiedByMetadata = Status(base: .verifiedByMetadata)

            public var description: String { base.rawValue }
        }

        /// How the topic came to exist.
        public var status: Status
        /// The partition count from metadata (or, for a created topic, the requested count).
        public var partitionCount: Int?

        /// Creates an outcome.
        public init(status: Status, partitionCount: Int?) {
            self.status = status
            self.partitionCount = partitionCount
        }

        public var description: String {
            "\(status)(partitions: \(partitionCount.map(String.init) ?? "unknown"))"
        }
    }

    /// Makes sure the topics exist: creates the missing ones with CreateTopics (``KafkaConfiguration/topicPartitions``,
    /// ``KafkaConfiguration/topicReplicationFactor``); "already exists" counts as success. When the broker does
    /// not support CreateTopics (the librdkafka 2.0.2 mock cluster), logs that at info and falls back to a
    /// metadata request per topic, which the mock answers by auto-creating the topic (4 partitions).
    ///
    /// With ``KafkaConfiguration/createTopics`` false, nothing is created and a missing topic is an error.
    /// The blocking librdkafka calls run on a dedicated queue, off the cooperative pool.
    ///
    /// - Parameters:
    ///   - names: the topics the service needs.
    ///   - configuration: brokers and common properties (producer and consumer properties are not used).
    ///   - logger: receives one info line per created or verified topic.
    ///   - timeout: bound for the whole operation.
    /// - Returns: the outcome per topic.
    /// - Throws: ``KafkaError`` naming the topic(s) that could not be ensured.
    public static func ensureTopics(
        _ names: [String],
        configuration: KafkaConfiguration,
        logger: Logger,
        timeout: Duration
    ) async throws(KafkaError) -> [String: TopicOutcome] {
        let names = Array(Set(names)).sorted()
        guard !names.isEmpty else { return [:] }
        var logger = logger
        logger[metadataKey: KafkaLoggingKeys.clientType] = "admin"
        let context = RDKafkaCallbackContext(logger: logger)
        let clientID = configuration.properties["client.id"] ?? "concierge-admin"
        let client = try RDKafkaClient.make(
            kind: .admin,
            properties: configuration.adminProperties(clientID: clientID),
            context: context
        )
        let queue = DispatchQueue(label: "concierge.kafka.admin")
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let loggerCopy = logger
        return try await queue.runBlocking {
            Result { () throws(KafkaError) in
                try ensureTopicsBlocking(
                    names,
                    configuration: configuration,
                    client: client,
                    logger: loggerCopy,
                    deadline: deadline
                )
            }
        }.get()
    }

    private static func ensureTopicsBlocking(
        _ names: [String],
        configuration: KafkaConfiguration,
        client: RDKafkaClient,
        logger: Logger,
        deadline: ContinuousClock.Instant
    ) throws(KafkaError) -> [String: TopicOutcome] {
        var outcomes: [String: TopicOutcome] = [:]
        let snapshot = try RDKafkaMetadata.snapshot(client: client, only: nil, timeout: deadline - .now)
        for name in names {
            if let partitions = snapshot.topics[name] {
                outcomes[name] = TopicOutcome(status: .alreadyExisted, partitionCount: partitions)
            }
        }
        let missing = names.filter { outcomes[$0] == nil }
        guard !missing.isEmpty else { return outcomes }

        guard configuration.createTopics else {
            throw KafkaError(
                code: .unknownTopicOrPartition,
                reason: "topics missing and topic creation is disabled: \(missing.joined(separator: ", "))"
            )
        }

        // CreateTopics goes to the controller. The 2.0.2 mock cluster reports controller ID 0, which is not
        // one of its brokers (IDs start at 1), so librdkafka would wait for it until the timeout; the mock
        // does not implement CreateTopics anyway. Treat "no valid controller" like "unsupported".
        let controller = client.withHandle { rd_kafka_controllerid($0, min(max((deadline - .now).timeoutMilliseconds, 0), 1000)) }
        do throws(KafkaError) {
            guard snapshot.brokerIDs.contains(controller) else {
                throw KafkaError(
                    code: .unsupportedFeature,
                    reason: "the cluster reports no valid controller (\(controller)) to send CreateTopics to"
                )
            }
            let created = try createTopics(
                missing,
                partitions: configuration.topicPartitions,
                replicationFactor: configuration.topicReplicationFactor,
                client: client,
                timeout: deadline - .now
            )
            for (name, outcome) in created {
                outcomes[name] = outcome
                logger.info(
                    "Kafka topic ensured",
                    metadata: [KafkaLoggingKeys.topic: .string(name), "outcome": "\(outcome)"]
                )
            }
        } catch let error where error.code == .unsupportedFeature {
            logger.info(
                "Broker does not support CreateTopics; checking the topics through metadata instead",
                metadata: [KafkaLoggingKeys.count: .stringConvertible(missing.count), "reason": "\(error.reason)"]
            )
            for name in missing {
                let found = try RDKafkaMetadata.snapshot(client: client, only: name, timeout: deadline - .now)
                guard let partitions = found.topics[name] else {
                    throw KafkaError(code: .unknownTopicOrPartition, reason: "topic \(name) does not exist")
                }
                let outcome = TopicOutcome(status: .verifiedByMetadata, partitionCount: partitions)
                outcomes[name] = outcome
                logger.info(
                    "Kafka topic ensured",
                    metadata: [KafkaLoggingKeys.topic: .string(name), "outcome": "\(outcome)"]
                )
            }
        }
        return outcomes
    }

    /// CreateTopics; blocks until the result event arrives or `timeout` passes.
    private static func createTopics(
        _ names: [String],
        partitions: Int,
        replicationFactor: Int,
        client: RDKafkaClient,
        timeout: Duration
    ) throws(KafkaError) -> [String: TopicOutcome] {
        try client.withHandle { (handle) throws(KafkaError) -> [String: TopicOutcome] in
            var newTopics: [OpaquePointer?] = []
            // We own the NewTopic objects, the options, the queue and the event; all are destroyed here.
            defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
            for name in names {
                var errorBuffer = [CChar](repeating: 0, count: 512)
                guard
                    let topic = rd_kafka_NewTopic_new(
                        name,
                        Int32(clamping: partitions),
                        Int32(clamping: replicationFactor),
                        &errorBuffer,
                        errorBuffer.count
                    )
                else {
                    throw KafkaError(
                        code: .configuration,
                        reason: "invalid topic \(name): \(String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
                    )
                }
                newTopics.append(topic)
            }

            guard let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS) else {
                throw KafkaError(code: .clientCreation, reason: "rd_kafka_AdminOptions_new failed")
            }
            defer { rd_kafka_AdminOptions_destroy(options) }
            var errorBuffer = [CChar](repeating: 0, count: 512)
            let milliseconds = max(timeout.timeoutMilliseconds, 1)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &errorBuffer, errorBuffer.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &errorBuffer, errorBuffer.count)

            guard let queue = rd_kafka_queue_new(handle) else {
                throw KafkaError(code: .clientCreation, reason: "rd_kafka_queue_new failed")
            }
            defer { rd_kafka_queue_destroy(queue) }

            newTopics.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
            }
            // A little beyond the request timeout, so librdkafka reports its own timeout first.
            guard let event = rd_kafka_queue_poll(queue, Int32(clamping: Int(milliseconds) + 1000)) else {
                throw KafkaError(code: .timedOut, reason: "CreateTopics did not answer in time", isRetriable: true)
            }
            defer { rd_kafka_event_destroy(event) }

            let requestError = rd_kafka_event_error(event)
            guard requestError == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.rdKafka(
                    requestError,
                    reason: "CreateTopics failed: \(String(cString: rd_kafka_event_error_string(event)))"
                )
            }
            guard let result = rd_kafka_event_CreateTopics_result(event) else {
                throw KafkaError(code: .underlying, reason: "CreateTopics returned no result")
            }
            var count = 0
            guard let topics = rd_kafka_CreateTopics_result_topics(result, &count) else { return [:] }
            var outcomes: [String: TopicOutcome] = [:]
            var failures: [String] = []
            var firstError: rd_kafka_resp_err_t?
            for index in 0..<count {
                guard let topicResult = topics[index] else { continue }
                let name = String(cString: rd_kafka_topic_result_name(topicResult))
                let error = rd_kafka_topic_result_error(topicResult)
                switch error {
                case RD_KAFKA_RESP_ERR_NO_ERROR:
                    outcomes[name] = TopicOutcome(status: .created, partitionCount: partitions)
                case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
                    outcomes[name] = TopicOutcome(status: .alreadyExisted, partitionCount: nil)
                default:
                    let message = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                    failures.append("\(name): \(message)")
                    firstError = firstError ?? error
                }
            }
            if let firstError {
                throw KafkaError.rdKafka(firstError, reason: "creating topics failed (\(failures.joined(separator: "; ")))")
            }
            return outcomes
        }
    }
}

/// Metadata requests, copied out of librdkafka's structs at once.
enum RDKafkaMetadata {
    struct Snapshot {
        /// Partition counts of the topics that exist (error-free) in the response.
        var topics: [String: Int] = [:]
        /// The IDs of the brokers in the response.
        var brokerIDs: Set<Int32> = []
    }

    /// One metadata request: all topics when `only` is nil, otherwise just that one (which a producer-type
    /// client asks the broker to auto-create, if the broker allows it).
    static func snapshot(client: RDKafkaClient, only topic: String?, timeout: Duration) throws(KafkaError) -> Snapshot {
        try client.withHandle { (handle) throws(KafkaError) -> Snapshot in
            // Topic handle owned here for the duration of the request.
            let topicHandle = topic.map { rd_kafka_topic_new(handle, $0, nil) } ?? nil
            defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }

            var metadata: UnsafePointer<rd_kafka_metadata_t>?
            let error = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, max(timeout.timeoutMilliseconds, 1))
            defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError.rdKafka(error, reason: "metadata request failed")
            }
            var snapshot = Snapshot()
            for index in 0..<Int(metadata.pointee.broker_cnt) {
                snapshot.brokerIDs.insert(metadata.pointee.brokers[index].id)
            }
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                let entry = metadata.pointee.topics[index]
                guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0 else { continue }
                snapshot.topics[String(cString: entry.topic)] = Int(entry.partition_cnt)
            }
            return snapshot
        }
    }
}
