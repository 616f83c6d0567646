internal import CRdKafka
import Dispatch
import Logging
import Synchronization

/// A consumer-group member with at-least-once, store-after-commit offset handling.
///
/// Defaults (applied before the caller's properties, see ``KafkaConfiguration``): `enable.auto.commit=true`,
/// `auto.commit.interval.ms=1000`, `auto.offset.reset=earliest`, `partition.assignment.strategy=range,roundrobin`
/// (the eager protocol: librdkafka 2.0.2's cooperative-sticky has known bugs fixed only in later releases; if
/// a caller configures `cooperative-sticky` anyway, the rebalance callback uses the incremental calls).
/// Forced: `group.id`, `client.id`, `bootstrap.servers`, `enable.auto.offset.store=false`. Automatic commits
/// therefore commit only offsets the caller stored with ``storeOffsets(_:)`` after its database transaction.
///
/// Usage, one loop per consumer:
/// ```swift
/// while !Task.isShuttingDownGracefully {
///     let batch = try await consumer.poll(maxRecords: 100, timeout: .milliseconds(500))
///     for record in batch { try await handle(record) }   // one database transaction each (inbox + effects)
///     try consumer.storeOffsets(batch)                    // only after the transactions committed
/// }
/// await consumer.close()
/// ```
///
/// All librdkafka calls that block (poll, commit, close) run on the consumer's own serial queue, never on the
/// cooperative pool; rebalance callbacks therefore run there too, and only inside ``poll(maxRecords:timeout:)``
/// and ``close()``.
public final class KafkaConsumer: Sendable {
    let client: RDKafkaClient
    private let handler: RDKafkaRebalanceHandler
    private let logger: Logger
    private let queue: DispatchQueue

    /// The consumer group.
    public let groupID: String
    /// The subscribed topics.
    public let topics: [String]

    /// Creates a consumer and subscribes it to `topics`. It joins the group on the first
    /// ``poll(maxRecords:timeout:)``.
    ///
    /// - Parameters:
    ///   - configuration: brokers and properties.
    ///   - groupID: the consumer group, by convention the service's product name.
    ///   - topics: the topics to subscribe to. They must exist (consumers do not auto-create topics).
    ///   - clientID: `client.id`.
    ///   - logger: receives the consumer's logs and librdkafka's, at info or below.
    /// - Throws: ``KafkaError/Code/configuration`` or ``KafkaError/Code/clientCreation``.
    public init(
        configuration: KafkaConfiguration,
        groupID: String,
        topics: [String],
        clientID: String,
        logger: Logger
    ) throws(KafkaError) {
        guard !topics.isEmpty else {
            throw KafkaError(code: .configuration, reason: "a consumer needs at least one topic")
        }
        var logger = logger
        logger[metadataKey: KafkaLoggingKeys.clientID] = .string(clientID)
        logger[metadataKey: KafkaLoggingKeys.groupID] = .string(groupID)
        logger[metadataKey: KafkaLoggingKeys.clientType] = "consumer"
        let handler = RDKafkaRebalanceHandler(logger: logger)
        let client = try RDKafkaClient.make(
            kind: .consumer,
            properties: configuration.consumerProperties(groupID: groupID, clientID: clientID),
            context: RDKafkaCallbackContext(logger: logger, rebalance: handler)
        )
        try client.withHandle { (handle) throws(KafkaError) in
            // Route the main queue (errors, logs) into the consumer queue, so one poll serves everything.
            rd_kafka_poll_set_consumer(handle)
            let subscription = RDKafkaTopicPartitionList(capacity: topics.count)
            for topic in topics {
                subscription.add(KafkaTopicPartition(topic: topic, partition: -1))  // RD_KAFKA_PARTITION_UA
            }
            let error = subscription.withListPointer { rd_kafka_subscribe(handle, $0) }
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw .rdKafka(error, reason: "subscribing to \(topics.joined(separator: ", ")) failed")
            }
        }
        self.client = client
        self.handler = handler
        self.logger = logger
        self.groupID = groupID
        self.topics = topics
        self.queue = DispatchQueue(label: "concierge.kafka.consumer.\(groupID).\(clientID)")
    }

    /// The partitions this consumer currently owns.
    public var assignment: Set<KafkaTopicPartition> {
        handler.state.withLock { $0.assignment }
    }

    /// The offsets stored for the current assignment and not yet handed to a revocation (tests, diagnostics).
    var storedOffsets: [KafkaTopicPartition: Int64] {
        handler.state.withLock { $0.storedOffsets }
    }

    // MARK: - Polling

    /// Polls one batch: waits up to `timeout` for the first record, then takes what is already fetched, up to
    /// `maxRecords`.
    ///
    /// Rebalance callbacks run inside this call (group join, assignment, revocation with its offset commit).
    /// Records of partitions revoked during this call are dropped from the batch: the next owner reads them.
    /// Partition EOF and transient errors are logged, not returned.
    ///
    /// - Important: Call it again only after the previous batch is handled and its offsets stored; a
    ///   revocation inside this call commits what is stored. Call it at least every `max.poll.interval.ms`
    ///   (librdkafka default 300 s), or the consumer leaves the group. Not cancellable; bounded by `timeout`.
    /// - Returns: the records, in partition order per partition; possibly empty.
    /// - Throws: ``KafkaError/Code/consumerClosed`` after ``close()``; ``KafkaError/Code/fatal`` on a fatal
    ///   consumer error.
    public func poll(maxRecords: Int, timeout: Duration) async throws(KafkaError) -> [KafkaRecord] {
        precondition(maxRecords > 0, "maxRecords must be positive")
        return try await queue.runBlocking { self.pollBatch(maxRecords: maxRecords, timeout: timeout) }.get()
    }

    private func pollBatch(maxRecords: Int, timeout: Duration) -> Result<[KafkaRecord], KafkaError> {
        let isClosed = handler.state.withLock { state in
            state.revokedDuringPoll = []
            return state.isClosed
        }
        guard !isClosed else {
            return .failure(KafkaError(code: .consumerClosed, reason: "the consumer is closed"))
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var batch: [KafkaRecord] = []
        var topicNames: [OpaquePointer: String] = [:]

        return client.withHandle { handle in
            while batch.count < maxRecords {
                let wait: Int32 = batch.isEmpty ? (deadline - ContinuousClock.now).timeoutMilliseconds : 0
                let message = rd_kafka_consumer_poll(handle, wait)
                dropRevokedRecords(from: &batch)
                guard let message else {
                    if batch.isEmpty && ContinuousClock.now < deadline { continue }
                    break
                }
                // Everything is copied out before the message is destroyed.
                defer { rd_kafka_message_destroy(message) }
                let error = message.pointee.err
                if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                    if let fatal = handleConsumerError(message, error) {
                        return .failure(fatal)
                    }
                    continue
                }
                batch.append(KafkaRecord(copying: message, topicNames: &topicNames))
            }
            return .success(batch)
        }
    }

    /// Drops records of partitions revoked by a rebalance callback during this poll.
    private func dropRevokedRecords(from batch: inout [KafkaRecord]) {
        let revoked: Set<KafkaTopicPartition> = handler.state.withLock { state in
            defer { state.revokedDuringPoll = [] }
            return state.revokedDuringPoll
        }
        guard !revoked.isEmpty, !batch.isEmpty else { return }
        let before = batch.count
        batch.removeAll { revoked.contains($0.topicPartition) }
        if batch.count != before {
            logger.debug(
                "Dropped polled records of revoked partitions",
                metadata: [KafkaLoggingKeys.count: .stringConvertible(before - batch.count)]
            )
        }
    }

    /// Logs a consumer error event; returns an error only if the consumer is unusable.
    private func handleConsumerError(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>,
        _ error: rd_kafka_resp_err_t
    ) -> KafkaError? {
        var metadata: Logger.Metadata = [
            KafkaLoggingKeys.errorName: .string(String(cString: rd_kafka_err2name(error)))
        ]
        if let topic = message.pointee.rkt {
            metadata[KafkaLoggingKeys.topic] = .string(String(cString: rd_kafka_topic_name(topic)))
            metadata[KafkaLoggingKeys.partition] = .stringConvertible(message.pointee.partition)
        }
        switch error {
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            metadata[KafkaLoggingKeys.offset] = .stringConvertible(message.pointee.offset)
            logger.trace("Kafka partition EOF", metadata: metadata)
            return nil
        case RD_KAFKA_RESP_ERR__FATAL:
            let fatal = client.fatalError() ?? .rdKafka(error, isFatal: true)
            logger.info("Kafka consumer fatal error", error: fatal, metadata: metadata)
            return fatal
        default:
            // For error events the payload is librdkafka's error string, not record data.
            metadata["reason"] = .string(String(cString: rd_kafka_message_errstr(message)))
            logger.info("Kafka consumer error", metadata: metadata)
            return nil
        }
    }

    // MARK: - Offsets

    /// Stores, for each partition, the offset after the highest given record, to be committed by the next
    /// automatic commit, ``commit()``, a revocation, or ``close()``.
    ///
    /// Call it after the database transaction that handled the records committed. Only partitions this
    /// consumer currently owns are stored; records of other partitions (revoked or lost since they were polled)
    /// are skipped and reported, because their new owner reprocesses them. Stored offsets never move backwards.
    ///
    /// - Returns: what was stored and what was skipped (log the skipped count).
    /// - Throws: ``KafkaError/Code/consumerClosed`` after ``close()``; another ``KafkaError`` if librdkafka
    ///   rejects the store.
    @discardableResult
    public func storeOffsets(_ records: [KafkaRecord]) throws(KafkaError) -> KafkaOffsetStoreResult {
        var highest: [KafkaTopicPartition: Int64] = [:]
        var counts: [KafkaTopicPartition: Int] = [:]
        for record in records {
            let partition = record.topicPartition
            highest[partition] = max(highest[partition] ?? -1, record.offset)
            counts[partition, default: 0] += 1
        }
        let client = self.client
        var result = KafkaOffsetStoreResult()
        // Held across rd_kafka_offsets_store (non-blocking) so a revocation cannot slip in between the
        // ownership check and the store.
        try handler.state.withLock { (state) throws(KafkaError) in
            guard !state.isClosed else {
                throw KafkaError(code: .consumerClosed, reason: "the consumer is closed")
            }
            var toStore: [KafkaTopicPartition: Int64] = [:]
            for (partition, offset) in highest {
                guard state.assignment.contains(partition) else {
                    result.skippedPartitions.insert(partition)
                    result.skippedRecordCount += counts[partition] ?? 0
                    continue
                }
                let next = offset + 1
                if next > state.storedOffsets[partition] ?? Int64.min {
                    toStore[partition] = next
                }
            }
            guard !toStore.isEmpty else { return }

            let list = RDKafkaTopicPartitionList(capacity: toStore.count)
            for (partition, offset) in toStore {
                list.add(partition, offset: offset)
            }
            let error = list.withListPointer { pointer in client.withHandle { rd_kafka_offsets_store($0, pointer) } }
            // Per-partition results are filled in for every return value except _INVALID_ARG.
            guard error != RD_KAFKA_RESP_ERR__INVALID_ARG else {
                throw KafkaError.rdKafka(error, reason: "storing offsets failed")
            }
            for element in list.elements {
                if element.error == RD_KAFKA_RESP_ERR_NO_ERROR {
                    state.storedOffsets[element.topicPartition] = element.offset
                    result.storedOffsets[element.topicPartition] = element.offset
                } else {
                    // _STATE: librdkafka no longer considers it assigned.
                    result.skippedPartitions.insert(element.topicPartition)
                    result.skippedRecordCount += counts[element.topicPartition] ?? 0
                }
            }
        }
        if !result.skippedPartitions.isEmpty {
            logger.debug(
                "Skipped storing offsets of partitions this consumer does not own",
                metadata: [
                    KafkaLoggingKeys.count: .stringConvertible(result.skippedRecordCount),
                    "partitions": .string(result.skippedPartitions.map(\.description).sorted().joined(separator: ", ")),
                ]
            )
        }
        return result
    }

    /// Stores the offset after one record; see ``storeOffsets(_:)``.
    @discardableResult
    public func storeOffset(_ record: KafkaRecord) throws(KafkaError) -> KafkaOffsetStoreResult {
        try storeOffsets([record])
    }

    /// Commits the stored offsets synchronously (on the consumer's queue). Nothing stored is not an error.
    ///
    /// - Throws: ``KafkaError`` if the commit failed (the offsets stay stored and are retried by the next
    ///   commit), ``KafkaError/Code/consumerClosed`` after ``close()``.
    public func commit() async throws(KafkaError) {
        let client = self.client
        let handler = self.handler
        try await queue.runBlocking { () -> Result<Void, KafkaError> in
            guard !handler.state.withLock({ $0.isClosed }) else {
                return .failure(KafkaError(code: .consumerClosed, reason: "the consumer is closed"))
            }
            let error = client.withHandle { rd_kafka_commit($0, nil, 0) }
            switch error {
            case RD_KAFKA_RESP_ERR_NO_ERROR, RD_KAFKA_RESP_ERR__NO_OFFSET:
                return .success(())
            default:
                return .failure(.rdKafka(error, reason: "committing stored offsets failed"))
            }
        }.get()
    }

    /// The committed offsets (next offset to consume) of `partitions` in this consumer's group; partitions
    /// without a committed offset are absent. Runs on the consumer's queue.
    public func committedOffsets(
        for partitions: Set<KafkaTopicPartition>,
        timeout: Duration
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let client = self.client
        return try await queue.runBlocking { () -> Result<[KafkaTopicPartition: Int64], KafkaError> in
            let list = RDKafkaTopicPartitionList(capacity: partitions.count)
            partitions.forEach { list.add($0) }
            let error = list.withListPointer { pointer in
                client.withHandle { rd_kafka_committed($0, pointer, timeout.timeoutMilliseconds) }
            }
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                return .failure(.rdKafka(error, reason: "fetching committed offsets failed"))
            }
            var offsets: [KafkaTopicPartition: Int64] = [:]
            for element in list.elements where element.offset >= 0 {
                offsets[element.topicPartition] = element.offset
            }
            return .success(offsets)
        }.get()
    }

    // MARK: - Lag

    /// How far this consumer is behind, per assigned partition: the partition's high watermark, as librdkafka last
    /// saw it in a fetch response, minus the consumer's position (the next offset it will hand out). Partitions whose
    /// position or watermark is not known yet (nothing fetched since they were assigned) are absent. Does not block
    /// and does not ask the broker; safe from any thread.
    public func lag() -> [KafkaTopicPartition: Int64] {
        let assignment = handler.state.withLock { $0.assignment }
        guard !assignment.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList(capacity: assignment.count)
        assignment.forEach { list.add($0) }
        let error = list.withListPointer { pointer in client.withHandle { rd_kafka_position($0, pointer) } }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var lag: [KafkaTopicPartition: Int64] = [:]
        for element in list.elements where element.offset >= 0 {
            var low: Int64 = -1
            var high: Int64 = -1
            let partition = element.topicPartition
            let found = client.withHandle { handle in
                rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
            }
            guard found == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { continue }
            lag[partition] = max(0, high - element.offset)
        }
        return lag
    }

    // MARK: - Closing

    /// Leaves the group: revokes the assignment (committing stored offsets through the rebalance callback),
    /// commits once more, and closes the consumer, on the consumer's queue. Idempotent. Afterwards ``poll(maxRecords:timeout:)``,
    /// ``storeOffsets(_:)`` and ``commit()`` throw ``KafkaError/Code/consumerClosed``.
    public func close() async {
        await queue.runBlocking { self.closeOnQueue() }
    }

    private func closeOnQueue() {
        guard !handler.state.withLock({ $0.isClosed }) else { return }
        let error = client.withHandle { rd_kafka_consumer_close($0) }
        handler.state.withLock { state in
            state.isClosed = true
            state.assignment = []
            state.storedOffsets = [:]
        }
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.info("Kafka consumer closed")
        } else {
            logger.info(
                "Kafka consumer closed with an error",
                metadata: [KafkaLoggingKeys.errorName: .string(String(cString: rd_kafka_err2name(error)))]
            )
        }
    }
}

// MARK: - KafkaRecord + rd_kafka_message_t

extension KafkaRecord {
    /// Copies a consumed message. Nothing of `message` is referenced afterwards.
    fileprivate init(copying message: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout [OpaquePointer: String]) {
        let raw = message.pointee
        let topic: String
        if let rkt = raw.rkt {
            if let cached = topicNames[rkt] {
                topic = cached
            } else {
                topic = String(cString: rd_kafka_topic_name(rkt))
                topicNames[rkt] = topic
            }
        } else {
            topic = ""
        }
        let key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        let value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) } ?? []

        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)

        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        // The header list stays owned by the message (rd_kafka_message_headers, not _detach_headers).
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var headerValue: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(
                    KafkaHeader(
                        key: name.map { String(cString: $0) } ?? "",
                        value: headerValue.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                    )
                )
                index += 1
            }
        }

        self.init(
            topic: topic,
            partition: raw.partition,
            offset: raw.offset,
            key: key,
            value: value,
            headers: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }
}
