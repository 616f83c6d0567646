import Events
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceLifecycle

/// The per-record path of the consumer: decode → inbox → handler → outbox in one transaction, or a dead letter;
/// under load, a partition's well-formed events share transactions (``process(inOrder:)``).
///
/// ``EventConsumerLoop`` polls, batches and stores offsets and hands each record to ``process(_:)``; nothing here
/// needs a Kafka consumer, so tests (the hostile-input fuzzer) can feed it records built in memory and see exactly
/// what the service would do with them.
///
/// - Bad input (undecodable, unknown type, a type that does not belong on the topic, rejected by the handler)
///   goes to `concierge.deadletter` through the outbox, with the reason and the original bytes (credentials
///   redacted), and the caller moves on.
/// - A database outage is retried with back-off without limit; any other handler error `maxAttempts` times, then
///   the record is dead-lettered.
public struct RecordProcessor: Sendable {
    /// What became of a record.
    public enum Outcome: Sendable, Hashable {
        /// The handler ran and its transaction committed.
        case processed
        /// Its event id was in the inbox already (a redelivery or a duplicate): nothing changed.
        case duplicate
        /// A type that belongs on the topic but that this service does not act on: acknowledged, no transaction.
        case ignored
        /// Recorded in the inbox as dead-lettered and published to `concierge.deadletter` with a reason.
        case deadLettered(DeadLetterCategory)
        /// Not finished because the service is stopping; the record must be delivered again.
        case stopped

        /// Whether the record is done and its offset may be stored (everything but ``stopped``).
        public var isFinished: Bool { self != .stopped }
    }

    /// Why a record was dead-lettered; the `reason` label of `concierge_events_deadlettered_total`.
    public enum DeadLetterCategory: String, Sendable, Hashable, CaseIterable {
        /// It could not be decoded: not UTF-8 or JSON, too large or deep, not a CloudEvent, unknown type, bad data.
        case invalid
        /// It carried a credential field (PIN, password…); dead-lettered with the values redacted.
        case credentials
        /// A known type read from a topic it does not belong on.
        case unexpectedType = "unexpected_type"
        /// The handler refused it (``EventRejection``).
        case rejected
        /// The handler failed with a non-transient error `maxAttempts` times.
        case handlerFailed = "handler_failed"
    }

    let handler: any EventHandling
    let client: PostgresClient
    let calendar: BusinessCalendar
    let metrics: ServiceMetrics
    let logger: Logger
    let serviceName: String
    let maxAttempts: Int
    /// Events handled in one transaction at most by ``process(inOrder:)`` (`CONSUMER_TRANSACTION_BATCH`).
    let transactionBatch: Int
    /// How long a shared transaction keeps taking in events before it commits (`CONSUMER_TRANSACTION_MAX_MS`).
    let transactionTime: Duration
    /// How long a shared transaction waits for a lock before it gives up and its events run one by one.
    static let sharedLockWait: Duration = .milliseconds(200)

    /// - Parameters:
    ///   - handler: The service's event handler.
    ///   - client: The service's database, migrated (inbox and outbox tables in its schema).
    ///   - calendar: The business calendar (event times of the dead letters).
    ///   - metrics: Where consumed, ignored, duplicate and dead-lettered records are counted.
    ///   - logger: The service logger (never logs payloads).
    ///   - serviceName: The service name, e.g. `intake` (the `source` and `service` of what it emits).
    ///   - maxAttempts: Attempts before a non-transient handler failure is dead-lettered (`HANDLER_MAX_ATTEMPTS`).
    ///   - transactionBatch: Events of one partition handled in one transaction at most by ``process(inOrder:)``
    ///     (`CONSUMER_TRANSACTION_BATCH`); 1 gives every event its own transaction.
    ///   - transactionTime: How long a shared transaction keeps taking in events before it commits
    ///     (`CONSUMER_TRANSACTION_MAX_MS`).
    public init(
        handler: any EventHandling, client: PostgresClient, calendar: BusinessCalendar, metrics: ServiceMetrics,
        logger: Logger, serviceName: String, maxAttempts: Int, transactionBatch: Int = 1,
        transactionTime: Duration = .milliseconds(100)
    ) {
        self.handler = handler
        self.client = client
        self.calendar = calendar
        self.metrics = metrics
        self.logger = logger
        self.serviceName = serviceName
        self.maxAttempts = maxAttempts
        self.transactionBatch = max(1, transactionBatch)
        self.transactionTime = transactionTime
    }

    // MARK: - A partition's records

    /// Runs one partition's records in order; returns their outcomes, one per record, fewer only when the service is
    /// stopping (the last is then ``Outcome/stopped`` and the records after it were not touched).
    ///
    /// Runs of well-formed events of types this service handles share one transaction, up to `transactionBatch`
    /// events, and no more than `transactionTime` of handling: under load a poll brings many records per partition,
    /// and one commit (one WAL flush) for all of them is what lets a service keep up. When the time runs out the
    /// transaction commits what it has and the rest of the run starts the next one. If that transaction fails for
    /// any reason (an event the handler rejects, a lock it cannot get within 200 ms, the database gone), nothing of
    /// it stays and its events run again one by one through ``process(_:)``, with its retries and dead letters.
    ///
    /// Well-formed events of a type this service does not act on stay in the run (they are acknowledged as
    /// ``Outcome/ignored`` where they stand, with no statement): a topic's event types come interleaved per key
    /// (`visit-routed`, `customer-identified`, `referral-requested` of one visit), and ending the run at each
    /// ignored one left most runs a single event long. Every other record (undecodable, unknown, on the wrong topic)
    /// goes through ``process(_:)`` directly and ends the run before it.
    public func process(inOrder records: [KafkaRecord]) async -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(records.count)
        var index = records.startIndex
        while index < records.endIndex {
            var run: [RunEntry] = []
            var handledInRun = 0
            var next = index
            while transactionBatch > 1, next < records.endIndex, handledInRun < transactionBatch,
                let entry = runEntry(records[next])
            {
                run.append(entry)
                if entry.handled { handledInRun += 1 }
                next += 1
            }
            if handledInRun > 1 {
                // A transaction covers a prefix of what is left when the time limit ends it early; the next one
                // takes the rest, without decoding it again.
                var rest = run[...]
                while rest.contains(where: \.handled), let done = await runShared(rest) {
                    outcomes += done
                    index += done.count
                    rest = rest.dropFirst(done.count)
                }
                if rest.isEmpty { continue }
            }
            // One by one: a record that cannot share a transaction, a run with one handled event at most, or what
            // is left of a run whose shared transaction failed.
            let singles = run.isEmpty ? [records[index]] : Array(records[index..<next])
            for record in singles {
                let outcome = await process(record)
                outcomes.append(outcome)
                guard outcome.isFinished else { return outcomes }
            }
            index += singles.count
        }
        return outcomes
    }

    /// A record of a run: well-formed, on its topic, and `handled` here or to be acknowledged as ignored.
    struct RunEntry {
        var record: KafkaRecord
        var event: IncomingEvent
        var handled: Bool
    }

    /// The record as a run entry, if it may stay in a run: it decodes and belongs on its topic.
    private func runEntry(_ record: KafkaRecord) -> RunEntry? {
        guard let event = try? EventCatalog.decode(record.value),
            EventCatalog.eventTypes(onTopic: record.topic).contains(event.type)
        else { return nil }
        return RunEntry(record: record, event: event, handled: handler.handledEventTypes.contains(event.type))
    }

    /// One transaction for the run's handled events, or for its first ones when `transactionTime` runs out: the
    /// outcomes of a prefix of the run (up to the first handled event the transaction did not reach; at least one
    /// handled event); `nil` (and nothing written, nothing counted) when it failed.
    private func runShared(_ run: ArraySlice<RunEntry>) async -> [Outcome]? {
        let started = ContinuousClock.now
        let events = run.filter(\.handled).map { entry in
            (
                event: entry.event,
                source: RecordSource(
                    topic: entry.record.topic, partition: entry.record.partition, offset: entry.record.offset),
                logger: eventLogger(entry.event, entry.record)
            )
        }
        let handled: [Bool]
        do {
            handled = try await StallWatchdog.guarding("event transaction") {
                try await HandlerTransaction.run(
                    batch: events, handler: handler, client: client, serviceName: serviceName, calendar: calendar,
                    lockWait: Self.sharedLockWait, timeLimit: transactionTime, logger: logger)
            }
        } catch {
            logger.debug(
                "a shared event transaction failed; its events run one by one",
                metadata: ["events": "\(events.count)", "error": "\(FailureKind.summary(error))"])
            return nil
        }
        FaultPoint.afterHandlerCommit.pass()  // tests only: SIGKILL between commit and offset store
        let each = (ContinuousClock.now - started) / max(1, handled.count)
        var outcomes: [Outcome] = []
        var reached = handled[...]
        for entry in run {
            let topic = entry.record.topic
            guard entry.handled else {
                metrics.consumed(topic: topic, type: entry.event.type)
                metrics.ignored(topic: topic)
                outcomes.append(.ignored)
                continue
            }
            // The first handled event the transaction did not reach: it and what follows run in the next one.
            guard let processed = reached.popFirst() else { break }
            metrics.consumed(topic: topic, type: entry.event.type)
            metrics.handlerDuration(each, topic: topic)
            if processed {
                outcomes.append(.processed)
            } else {
                metrics.duplicate(topic: topic)
                outcomes.append(.duplicate)
            }
        }
        return outcomes
    }

    /// The service logger with the event's id and type and the record's position as metadata.
    private func eventLogger(_ event: IncomingEvent, _ record: KafkaRecord) -> Logger {
        // Set at once: a log handler may render its metadata again on every change (swift-log's stream handler
        // does), and this runs for every event.
        var logger = self.logger
        var metadata = logger.handler.metadata
        metadata["event.id"] = "\(event.id)"
        metadata["event.type"] = "\(event.type)"
        metadata["kafka.topic"] = "\(record.topic)"
        metadata["kafka.partition"] = "\(record.partition)"
        metadata["kafka.offset"] = "\(record.offset)"
        logger.handler.metadata = metadata
        return logger
    }

    // MARK: - One record

    /// Runs one record to its end: processed, duplicate, ignored or dead-lettered; ``Outcome/stopped`` only when it
    /// could not be finished because the service is stopping.
    public func process(_ record: KafkaRecord) async -> Outcome {
        let event: IncomingEvent
        do {
            event = try EventCatalog.decode(record.value)
        } catch let error {
            return await deadLetter(
                record, reason: error.reason, category: error.containsCredentials ? .credentials : .invalid,
                eventID: error.eventID, eventType: error.eventType,
                // A message that does not even parse may still carry a PIN: withhold its bytes (H-07).
                redactCredentials: error.containsCredentials || EventCatalog.mayContainCredentials(record.value))
        }
        guard EventCatalog.eventTypes(onTopic: record.topic).contains(event.type) else {
            return await deadLetter(
                record, reason: "event type \(event.type) is not published on topic \(record.topic)",
                category: .unexpectedType, eventID: event.id, eventType: event.type)
        }
        metrics.consumed(topic: record.topic, type: event.type)
        guard handler.handledEventTypes.contains(event.type) else {
            metrics.ignored(topic: record.topic)
            return .ignored
        }

        let logger = eventLogger(event, record)

        var attempts = 0
        var backoff = Backoff()
        while true {
            let started = ContinuousClock.now
            do {
                let outcome = try await runHandler(event, record: record, logger: logger)
                FaultPoint.afterHandlerCommit.pass()  // tests only: SIGKILL between commit and offset store
                metrics.handlerDuration(.now - started, topic: record.topic)
                if outcome == .duplicate {
                    metrics.duplicate(topic: record.topic)
                    logger.debug("duplicate event ignored")
                }
                return outcome
            } catch {
                switch FailureKind(error) {
                case .rejected(let reason):
                    return await deadLetter(
                        record, reason: reason, category: .rejected, eventID: event.id, eventType: event.type)
                case .transient:
                    logger.warning("database unavailable; retrying", metadata: ["error": "\(FailureKind.summary(error))"])
                case .permanent:
                    attempts += 1
                    if attempts >= maxAttempts {
                        logger.error("handler failed; dead-lettering", metadata: ["error": "\(FailureKind.summary(error))"])
                        return await deadLetter(
                            record, reason: "handler failed after \(attempts) attempts: \(FailureKind.summary(error))",
                            category: .handlerFailed, eventID: event.id, eventType: event.type)
                    }
                    logger.warning("handler failed; retrying", metadata: ["error": "\(FailureKind.summary(error))", "attempt": "\(attempts)"])
                }
                metrics.handlerRetried(topic: record.topic)
                if Task.isShuttingDownGracefully || Task.isCancelled { return .stopped }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// The handler's transaction; ``Outcome/duplicate`` when the event id was already in the inbox.
    private func runHandler(_ event: IncomingEvent, record: KafkaRecord, logger: Logger) async throws -> Outcome {
        let handled = try await StallWatchdog.guarding("event transaction") {
            try await HandlerTransaction.run(
                event, handler: handler, client: client, serviceName: serviceName, calendar: calendar,
                source: .init(topic: record.topic, partition: record.partition, offset: record.offset), logger: logger)
        }
        return handled ? .processed : .duplicate
    }

    // MARK: - Dead letters

    /// The record key as the dead letter carries it: decoded as UTF-8 with invalid bytes replaced, and U+0000 replaced
    /// too — it becomes the outbox row's `message_key`, and PostgreSQL text cannot hold it (a key with a NUL byte
    /// used to fail the dead-letter transaction on every retry and stop the partition for good). Replaced scalar by
    /// scalar: a NUL followed by a combining mark is one `Character`, which a string search would not find.
    static func deadLetterKey(_ bytes: [UInt8]) -> String {
        let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }
        return String(String.UnicodeScalarView(scalars))
    }

    /// The longest reason a dead letter carries, in characters: a reason may quote what the message or the handler
    /// said (a 4,096-character identifier), and a dead letter must stay readable with the default decoding limits.
    static let maximumReasonLength = 1_000

    /// The most bytes of the original value a dead letter carries. Base64 makes them a third larger, and the whole
    /// dead letter must stay under Kafka's default 1,000,000-byte message limit: a dead letter of a 1 MiB message
    /// was refused by the broker (`MSG_SIZE_TOO_LARGE`) on every attempt, so the relay retried it for ever.
    public static let maximumValueBytes = 524_288

    /// The value and reason a dead letter carries: the reason cut to ``maximumReasonLength`` characters (with `…`);
    /// the value cut to ``maximumValueBytes``, and then the reason says so.
    static func deadLetterContent(value: [UInt8], reason: String) -> (value: [UInt8], reason: String) {
        let reason = reason.count <= maximumReasonLength ? reason : String(reason.prefix(maximumReasonLength - 1)) + "…"
        guard value.count > maximumValueBytes else { return (value, reason) }
        return (
            Array(value.prefix(maximumValueBytes)),
            reason + " (the original value has \(value.count) bytes; this dead letter keeps the first \(maximumValueBytes))"
        )
    }

    /// Records the record as dead-lettered (once) and publishes a `concierge.deadletter.v1` through the outbox.
    /// Retries while the database is unavailable; returns ``Outcome/stopped`` only when stopping, and
    /// ``Outcome/duplicate`` when its id was in the inbox already (nothing is written again).
    ///
    /// A message carrying a credential field (PIN, password…) is dead-lettered with those values replaced, so the
    /// dead-letter topic never holds them (rulebook D-10, H-07). Over-long reasons and values are cut
    /// (``deadLetterContent(value:reason:)``).
    func deadLetter(
        _ record: KafkaRecord, reason: String, category: DeadLetterCategory, eventID: String?, eventType: String?,
        redactCredentials: Bool = false
    ) async -> Outcome {
        let (value, reason) = Self.deadLetterContent(
            value: redactCredentials ? (EventCatalog.redactingCredentials(record.value) ?? []) : record.value,
            reason: reason)
        let inboxID = eventID ?? "kafka:\(record.topic):\(record.partition):\(record.offset)"
        var backoff = Backoff()
        while true {
            do {
                let written = try await StallWatchdog.guarding("dead-letter transaction") {
                    try await client.withTransaction(logger: logger) { connection in
                        guard
                            try await Inbox.claim(
                                eventID: inboxID, eventType: eventType,
                                record: RecordSource(topic: record.topic, partition: record.partition, offset: record.offset),
                                outcome: .deadLettered,
                                on: connection, logger: logger)
                        else { return false }
                        let outbox = EventOutbox(
                            source: "concierge/\(serviceName)", causationID: eventID, correlationID: eventID,
                            calendar: calendar)
                        let now = calendar.now()
                        try outbox.emit(
                            DeadLetter.V1(
                                originalTopic: record.topic,
                                partition: record.partition,
                                offset: record.offset,
                                key: record.key.map(Self.deadLetterKey),
                                valueBase64: Data(value).base64EncodedString(),
                                error: reason,
                                service: serviceName,
                                at: now,
                                eventId: eventID,
                                eventType: eventType
                            ),
                            time: now
                        )
                        try await outbox.flush(on: connection, logger: logger)
                        return true
                    }
                }
                guard written else { return .duplicate }
                metrics.deadLettered(topic: record.topic, reason: category.rawValue)
                logger.warning(
                    "event dead-lettered",
                    metadata: [
                        "kafka.topic": "\(record.topic)", "kafka.partition": "\(record.partition)",
                        "kafka.offset": "\(record.offset)", "event.id": "\(eventID ?? "-")",
                        "event.type": "\(eventType ?? "-")", "reason": "\(reason)",
                    ])
                return .deadLettered(category)
            } catch {
                logger.warning("cannot record dead letter yet; retrying", metadata: ["error": "\(FailureKind.summary(error))"])
                if Task.isShuttingDownGracefully || Task.isCancelled { return .stopped }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }
}
