import Events
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceLifecycle

/// The consume side of every service: poll a batch, run each record through decode → inbox → handler → outbox in
/// one transaction, and store offsets only for records whose transaction committed.
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
    }

    let consumer: KafkaConsumer
    let handler: any EventHandling
    let client: PostgresClient
    let calendar: BusinessCalendar
    let metrics: ServiceMetrics
    let logger: Logger
    let settings: Settings

    init(
        consumer: KafkaConsumer, handler: any EventHandling, client: PostgresClient, calendar: BusinessCalendar,
        metrics: ServiceMetrics, logger: Logger, settings: Settings
    ) {
        self.consumer = consumer
        self.handler = handler
        self.client = client
        self.calendar = calendar
        self.metrics = metrics
        self.logger = logger
        self.settings = settings
    }

    /// Runs until graceful shutdown or cancellation; then commits what was processed and leaves the group.
    func run() async throws {
        defer { logger.info("consumer stopped") }
        do {
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let records = try await consumer.poll(maxRecords: settings.batchSize, timeout: settings.pollTimeout)
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
        var finished: [KafkaRecord] = []
        for record in records {
            guard await processRecord(record) else { break }
            finished.append(record)
        }
        return finished
    }

    // MARK: - One record

    enum Outcome { case processed, duplicate }

    /// - Returns: `false` only when the record could not be finished because the service is stopping.
    func processRecord(_ record: KafkaRecord) async -> Bool {
        let event: IncomingEvent
        do {
            event = try EventCatalog.decode(record.value)
        } catch let error {
            return await deadLetter(
                record, reason: error.reason, category: error.containsCredentials ? "credentials" : "invalid",
                eventID: error.eventID, eventType: error.eventType, redactCredentials: error.containsCredentials)
        }
        guard EventCatalog.eventTypes(onTopic: record.topic).contains(event.type) else {
            return await deadLetter(
                record, reason: "event type \(event.type) is not published on topic \(record.topic)",
                category: "unexpected_type", eventID: event.id, eventType: event.type)
        }
        metrics.consumed(topic: record.topic, type: event.type)
        guard handler.handledEventTypes.contains(event.type) else {
            metrics.ignored(topic: record.topic)
            return true
        }

        var logger = self.logger
        logger[metadataKey: "event.id"] = "\(event.id)"
        logger[metadataKey: "event.type"] = "\(event.type)"
        logger[metadataKey: "kafka.topic"] = "\(record.topic)"
        logger[metadataKey: "kafka.partition"] = "\(record.partition)"
        logger[metadataKey: "kafka.offset"] = "\(record.offset)"

        var attempts = 0
        var backoff = Backoff()
        while true {
            let started = ContinuousClock.now
            do {
                let outcome = try await runHandler(event, record: record, logger: logger)
                metrics.handlerDuration(.now - started, topic: record.topic)
                if outcome == .duplicate {
                    metrics.duplicate(topic: record.topic)
                    logger.debug("duplicate event ignored")
                }
                return true
            } catch {
                switch FailureKind(error) {
                case .rejected(let reason):
                    return await deadLetter(
                        record, reason: reason, category: "rejected", eventID: event.id, eventType: event.type)
                case .transient:
                    logger.warning("database unavailable; retrying", metadata: ["error": "\(FailureKind.summary(error))"])
                case .permanent:
                    attempts += 1
                    if attempts >= settings.maxAttempts {
                        logger.error("handler failed; dead-lettering", metadata: ["error": "\(FailureKind.summary(error))"])
                        return await deadLetter(
                            record, reason: "handler failed after \(attempts) attempts: \(FailureKind.summary(error))",
                            category: "handler_failed", eventID: event.id, eventType: event.type)
                    }
                    logger.warning("handler failed; retrying", metadata: ["error": "\(FailureKind.summary(error))", "attempt": "\(attempts)"])
                }
                metrics.handlerRetried(topic: record.topic)
                if Task.isShuttingDownGracefully || Task.isCancelled { return false }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    private func runHandler(_ event: IncomingEvent, record: KafkaRecord, logger: Logger) async throws -> Outcome {
        let handled = try await HandlerTransaction.run(
            event, handler: handler, client: client, serviceName: settings.serviceName, calendar: calendar,
            source: .init(topic: record.topic, partition: record.partition, offset: record.offset), logger: logger)
        return handled ? .processed : .duplicate
    }

    // MARK: - Dead letters

    /// Records the record as dead-lettered (once) and publishes a `concierge.deadletter.v1` through the outbox.
    /// Retries while the database is unavailable; returns `false` only when stopping.
    ///
    /// A message carrying a credential field (PIN, password…) is dead-lettered with those values replaced, so the
    /// dead-letter topic never holds them (rulebook D-10, H-07).
    func deadLetter(
        _ record: KafkaRecord, reason: String, category: String, eventID: String?, eventType: String?,
        redactCredentials: Bool = false
    ) async -> Bool {
        let value = redactCredentials ? (EventCatalog.redactingCredentials(record.value) ?? []) : record.value
        let inboxID = eventID ?? "kafka:\(record.topic):\(record.partition):\(record.offset)"
        var backoff = Backoff()
        while true {
            do {
                let written = try await client.withTransaction(logger: logger) { connection in
                    guard
                        try await Inbox.claim(
                            eventID: inboxID, eventType: eventType,
                            record: RecordSource(topic: record.topic, partition: record.partition, offset: record.offset),
                            outcome: .deadLettered,
                            on: connection, logger: logger)
                    else { return false }
                    let outbox = EventOutbox(
                        source: "concierge/\(settings.serviceName)", causationID: eventID, correlationID: eventID,
                        calendar: calendar)
                    let now = calendar.now()
                    try outbox.emit(
                        DeadLetter.V1(
                            originalTopic: record.topic,
                            partition: record.partition,
                            offset: record.offset,
                            key: record.key.map { String(decoding: $0, as: UTF8.self) },
                            valueBase64: Data(value).base64EncodedString(),
                            error: reason,
                            service: settings.serviceName,
                            at: now,
                            eventId: eventID,
                            eventType: eventType
                        ),
                        time: now
                    )
                    try await outbox.flush(on: connection, logger: logger)
                    return true
                }
                if written {
                    metrics.deadLettered(topic: record.topic, reason: category)
                    logger.warning(
                        "event dead-lettered",
                        metadata: [
                            "kafka.topic": "\(record.topic)", "kafka.partition": "\(record.partition)",
                            "kafka.offset": "\(record.offset)", "event.id": "\(eventID ?? "-")",
                            "event.type": "\(eventType ?? "-")", "reason": "\(reason)",
                        ])
                }
                return true
            } catch {
                logger.warning("cannot record dead letter yet; retrying", metadata: ["error": "\(FailureKind.summary(error))"])
                if Task.isShuttingDownGracefully || Task.isCancelled { return false }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }
}
