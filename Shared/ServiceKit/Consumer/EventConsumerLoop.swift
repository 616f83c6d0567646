import Logging
import Messaging
import PostgresNIO
import ServiceLifecycle

/// The consume side of every service: poll a batch, run each record through decode → inbox → handler → outbox in
/// one transaction (``RecordProcessor``), and store offsets only for records whose transaction committed.
///
/// - Records of one partition are processed in order; different partitions of a batch run concurrently.
/// - Bad input (undecodable, unknown type, invalid, rejected by the handler) goes to `concierge.deadletter`
///   through the outbox, with the reason and the original bytes, and the partition moves on.
/// - A database outage stops the partition and retries with back-off: nothing is skipped.
/// - On graceful shutdown the current batch finishes, its offsets are stored and committed, and the consumer
///   leaves the group.
public final class EventConsumerLoop: Sendable {
    struct Settings: Sendable {
        var serviceName: String
        var batchSize: Int
        var pollTimeout: Duration
        var maxAttempts: Int
        var transactionBatch: Int = 1
        var transactionTime: Duration = .milliseconds(100)
    }

    let consumer: KafkaConsumer
    /// The per-record path: decode, inbox, handler, outbox, dead letters.
    let processor: RecordProcessor
    let logger: Logger
    let settings: Settings

    init(
        consumer: KafkaConsumer, handler: any EventHandling, client: PostgresClient, calendar: BusinessCalendar,
        metrics: ServiceMetrics, logger: Logger, settings: Settings
    ) {
        self.consumer = consumer
        self.processor = RecordProcessor(
            handler: handler, client: client, calendar: calendar, metrics: metrics, logger: logger,
            serviceName: settings.serviceName, maxAttempts: settings.maxAttempts,
            transactionBatch: settings.transactionBatch, transactionTime: settings.transactionTime)
        self.logger = logger
        self.settings = settings
    }

    /// Runs until graceful shutdown or cancellation; then commits what was processed and leaves the group.
    func run() async throws {
        defer { logger.info("consumer stopped") }
        do {
            var lagReported = ContinuousClock.now - .seconds(60)
            var lagTopics = Set<String>()
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let records = try await consumer.poll(maxRecords: settings.batchSize, timeout: settings.pollTimeout)
                if ContinuousClock.now - lagReported >= .seconds(1) {
                    lagReported = .now
                    reportLag(topics: &lagTopics)
                }
                guard !records.isEmpty else { continue }
                let finished = await process(records)
                try consumer.storeOffsets(finished)
            }
        } catch {
            await consumer.close()
            throw error
        }
        do {
            try await consumer.commit()
        } catch {
            logger.notice("final offset commit failed; the group will redeliver", metadata: ["error": "\(FailureKind.summary(error))"])
        }
        await consumer.close()
    }

    /// Sets `concierge_consumer_lag_records` per topic; a topic whose partitions went elsewhere reads 0.
    private func reportLag(topics: inout Set<String>) {
        var byTopic: [String: Int64] = [:]
        for (partition, records) in consumer.lag() { byTopic[partition.topic, default: 0] += records }
        for topic in topics where byTopic[topic] == nil { byTopic[topic] = 0 }
        topics.formUnion(byTopic.keys)
        processor.metrics.consumerLag(byTopic)
    }

    /// Processes a batch; returns the records that are done (per partition, the prefix before any record that
    /// could not finish because the service is shutting down).
    func process(_ records: [KafkaRecord]) async -> [KafkaRecord] {
        var byPartition: [KafkaTopicPartition: [KafkaRecord]] = [:]
        for record in records {
            byPartition[KafkaTopicPartition(topic: record.topic, partition: record.partition), default: []]
                .append(record)
        }
        if byPartition.count == 1 {
            return await processInOrder(records)
        }
        return await withTaskGroup(of: [KafkaRecord].self) { group in
            for partitionRecords in byPartition.values {
                group.addTask { await self.processInOrder(partitionRecords) }
            }
            var finished: [KafkaRecord] = []
            for await done in group { finished.append(contentsOf: done) }
            return finished
        }
    }

    private func processInOrder(_ records: [KafkaRecord]) async -> [KafkaRecord] {
        let outcomes = await processor.process(inOrder: records)
        return zip(records, outcomes).prefix { $0.1.isFinished }.map(\.0)
    }
}
