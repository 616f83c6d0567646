internal import CRdKafka
import Dispatch
import Logging
import ServiceLifecycle

/// An idempotent Kafka producer.
///
/// Defaults (applied before the caller's properties, see ``KafkaConfiguration``): `linger.ms=5`,
/// `partitioner=murmur2_random`. Forced (applied after them, so they cannot be weakened; a caller's attempt is
/// ignored and logged at info): `enable.idempotence=true`, `acks=all`. Idempotence makes librdkafka retry
/// without duplicates or reordering, so the producer never re-produces a failed record itself.
///
/// - Important: ``run()`` must be running: it serves the delivery reports that complete the `send` calls.
///   Put the producer in the service's `ServiceGroup` *before* the services that send through it; the group
///   shuts down in reverse order, so the producer flushes after its senders stopped. Records sent before
///   `run()` starts are queued and complete once it does. Outside a `ServiceGroup`, only task cancellation
///   stops `run()` (without the flush).
public final class KafkaProducer: Service, Sendable {
    /// Owns the `rd_kafka_t`. Its callback context holds `tracker` strongly, so `dr_msg_cb` can reach the
    /// tracker until `rd_kafka_destroy` returns, whatever order the properties are released in.
    let client: RDKafkaClient
    private let tracker: RDKafkaDeliveryTracker
    private let logger: Logger
    private let flushTimeout: Duration
    /// The dedicated thread that serves delivery reports while `run()` runs, then flushes.
    private let pollQueue: DispatchQueue
    /// Other blocking calls (metadata), so they do not wait behind the poll loop.
    private let blockingQueue: DispatchQueue

    /// Creates a producer. Nothing is sent until the first record; `run()` must be running to complete sends.
    ///
    /// - Parameters:
    ///   - configuration: brokers and properties.
    ///   - clientID: `client.id`, for broker logs and quotas; usually the service's product name.
    ///   - logger: receives the producer's own logs and librdkafka's, at info or below.
    /// - Throws: ``KafkaError/Code/configuration`` for a rejected property, ``KafkaError/Code/clientCreation``
    ///   if librdkafka refuses the combination.
    public init(configuration: KafkaConfiguration, clientID: String, logger: Logger) throws(KafkaError) {
        var logger = logger
        logger[metadataKey: KafkaLoggingKeys.clientID] = .string(clientID)
        logger[metadataKey: KafkaLoggingKeys.clientType] = "producer"
        let tracker = RDKafkaDeliveryTracker()
        self.client = try RDKafkaClient.make(
            kind: .producer,
            properties: configuration.producerProperties(clientID: clientID),
            context: RDKafkaCallbackContext(logger: logger, delivery: tracker)
        )
        self.tracker = tracker
        self.logger = logger
        self.flushTimeout = configuration.producerShutdownFlushTimeout
        self.pollQueue = DispatchQueue(label: "concierge.kafka.producer.\(clientID).poll")
        self.blockingQueue = DispatchQueue(label: "concierge.kafka.producer.\(clientID).blocking")

        let ignored = configuration.weakenedProducerSettings()
        if !ignored.isEmpty {
            logger.info(
                "Ignoring producer settings that would weaken idempotent, fully acknowledged delivery",
                metadata: ["ignored": .array(ignored.map { .string($0) })]
            )
        }
    }

    // MARK: - Service

    /// Serves delivery reports on the producer's dedicated thread until graceful shutdown or cancellation.
    ///
    /// On graceful shutdown it stops accepting records, flushes what is queued (bounded by
    /// ``KafkaConfiguration/producerShutdownFlushTimeout``, 10 s by default), purges whatever is left (those
    /// sends fail with ``KafkaError/Code/purged``), serves the remaining reports and returns. On cancellation it
    /// skips the flush and purges at once.
    ///
    /// - Throws: ``KafkaError/Code/invalidState`` if called twice.
    public func run() async throws {
        guard tracker.start() else {
            throw KafkaError(code: .invalidState, reason: "KafkaProducer.run() was called more than once")
        }
        logger.debug("Kafka producer running")
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await pollQueue.runBlocking { self.serveDeliveryReports() }
            } onGracefulShutdown: {
                self.requestStop(.gracefulShutdown)
            }
        } onCancel: {
            self.requestStop(.cancelled)
        }
        await pollQueue.runBlocking { self.drain() }
    }

    private func requestStop(_ reason: RDKafkaDeliveryTracker.StopReason) {
        tracker.requestStop(reason)
        // Wakes the poll loop at once; the yield flag is sticky, so this also works between two polls.
        client.withHandle { rd_kafka_yield($0) }
    }

    /// The poll loop. `rd_kafka_poll` returns as soon as reports arrive, or after 100 ms, or on yield.
    private func serveDeliveryReports() {
        client.withHandle { handle in
            while tracker.stopReason == nil {
                rd_kafka_poll(handle, 100)
                tracker.wakeCapacityWaiters()
            }
        }
    }

    /// Flush (graceful only), purge, serve the purged records' reports.
    private func drain() {
        tracker.beginDraining()
        let graceful = tracker.stopReason == .gracefulShutdown
        client.withHandle { handle in
            if graceful {
                let deadline = ContinuousClock.now.advanced(by: flushTimeout)
                // Flushed in slices so a cancellation during the flush cuts it short. Each rd_kafka_flush call
                // also makes librdkafka send at once, ignoring linger.ms.
                while rd_kafka_outq_len(handle) > 0, ContinuousClock.now < deadline,
                    tracker.stopReason != .cancelled
                {
                    rd_kafka_flush(handle, 100)
                }
            }
            let left = rd_kafka_outq_len(handle)
            if left > 0 {
                logger.info(
                    "Kafka producer purging undelivered records at shutdown",
                    metadata: [KafkaLoggingKeys.count: .stringConvertible(left), "graceful": .stringConvertible(graceful)]
                )
                // Every purged record gets a delivery report with _PURGE_QUEUE/_PURGE_INFLIGHT, so no send hangs.
                rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                let deadline = ContinuousClock.now.advanced(by: .seconds(2))
                while rd_kafka_outq_len(handle) > 0, ContinuousClock.now < deadline {
                    rd_kafka_poll(handle, 50)
                }
            }
        }
        tracker.finish()
        logger.debug("Kafka producer stopped")
    }

    // MARK: - Sending

    /// Enqueues a record and waits for its delivery report.
    ///
    /// librdkafka retries (idempotently) until `message.timeout.ms`; this method never re-produces. On
    /// `QUEUE_FULL` it waits for delivery reports to free space and enqueues again.
    ///
    /// - Returns: where the record was written.
    /// - Throws: ``KafkaError`` from the delivery report (``KafkaError/Code/messageTimedOut``,
    ///   ``KafkaError/Code/purged``, …), or ``KafkaError/Code/shutdown`` once the producer is shutting down.
    ///   After a timeout or purge the record may still have been written: callers that retry must be prepared
    ///   for a duplicate (consumers deduplicate through their inbox).
    public func send(_ record: KafkaOutgoingRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        let box = try await enqueueWaitingForCapacity(record)
        return try await box.outcome().get()
    }

    /// Enqueues all records in order, then waits for all delivery reports.
    ///
    /// - Returns: one result per record, in input order. Records with the same key keep their order.
    public func send(_ records: [KafkaOutgoingRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        var pending: [Result<RDKafkaDeliveryBox, KafkaError>] = []
        pending.reserveCapacity(records.count)
        for record in records {
            do throws(KafkaError) {
                pending.append(.success(try await enqueueWaitingForCapacity(record)))
            } catch {
                pending.append(.failure(error))
            }
        }
        var results: [Result<KafkaDeliveryReport, KafkaError>] = []
        results.reserveCapacity(records.count)
        for entry in pending {
            switch entry {
            case .success(let box):
                results.append(await box.outcome())
            case .failure(let error):
                results.append(.failure(error))
            }
        }
        return results
    }

    /// Enqueues, waiting (event-driven) for delivery reports to free space on `QUEUE_FULL`.
    func enqueueWaitingForCapacity(_ record: KafkaOutgoingRecord) async throws(KafkaError) -> RDKafkaDeliveryBox {
        while true {
            let reportCount = tracker.reportCount
            do throws(KafkaError) {
                return try enqueue(record)
            } catch let error where error.code == .queueFull {
                logger.trace("Kafka producer queue full, waiting for delivery reports")
                await tracker.waitForCapacity(reportCountAtFailure: reportCount)
            }
        }
    }

    /// Enqueues one record without waiting. The returned box completes with the delivery report.
    func enqueue(_ record: KafkaOutgoingRecord) throws(KafkaError) -> RDKafkaDeliveryBox {
        let box = RDKafkaDeliveryBox(topic: record.topic)
        // Retained for librdkafka as msg_opaque; released by dr_msg_cb, or below if the enqueue fails.
        let opaque = Unmanaged.passRetained(box).toOpaque()
        let error: KafkaError?? = tracker.whileAccepting {
            client.withHandle { handle in Self.produce(record, opaque: opaque, handle: handle) }
        }
        switch error {
        case .none:
            Unmanaged<RDKafkaDeliveryBox>.fromOpaque(opaque).release()
            throw KafkaError(code: .shutdown, reason: "the producer is shutting down and accepts no more records")
        case .some(.some(let error)):
            Unmanaged<RDKafkaDeliveryBox>.fromOpaque(opaque).release()
            throw error
        case .some(.none):
            return box
        }
    }

    /// `rd_kafka_produceva` with copied key and value (`RD_KAFKA_MSG_F_COPY`) and a header list.
    private static func produce(
        _ record: KafkaOutgoingRecord,
        opaque: UnsafeMutableRawPointer,
        handle: OpaquePointer
    ) -> KafkaError? {
        // Ownership of `headers` passes to librdkafka only when produceva succeeds; on failure it stays ours.
        let headers: OpaquePointer? = record.headers.isEmpty ? nil : rd_kafka_headers_new(record.headers.count)
        if let headers {
            for header in record.headers {
                header.value.withUnsafeBytes { value in
                    _ = header.key.withCString { key in
                        rd_kafka_header_add(headers, key, -1, value.baseAddress, value.count)
                    }
                }
            }
        }
        let error: OpaquePointer? = record.topic.withCString { topic in
            record.value.withUnsafeBytes { value in
                withOptionalBytes(record.key) { key in
                    let count = headers == nil ? 5 : 6
                    return withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6) { arguments in
                        arguments.initialize(repeating: rd_kafka_vu_t())
                        arguments[0].vtype = RD_KAFKA_VTYPE_TOPIC
                        arguments[0].u.cstr = topic
                        arguments[1].vtype = RD_KAFKA_VTYPE_VALUE
                        arguments[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        arguments[1].u.mem.size = value.count
                        arguments[2].vtype = RD_KAFKA_VTYPE_KEY
                        arguments[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: key?.baseAddress)
                        arguments[2].u.mem.size = key?.count ?? 0
                        arguments[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        arguments[3].u.i = RD_KAFKA_MSG_F_COPY
                        arguments[4].vtype = RD_KAFKA_VTYPE_OPAQUE
                        arguments[4].u.ptr = opaque
                        if let headers {
                            arguments[5].vtype = RD_KAFKA_VTYPE_HEADERS
                            arguments[5].u.headers = headers
                        }
                        return rd_kafka_produceva(handle, arguments.baseAddress, count)
                    }
                }
            }
        }
        guard let error else { return nil }
        if let headers {
            rd_kafka_headers_destroy(headers)
        }
        return .consuming(error, reason: "enqueueing a record for \(record.topic) failed")
    }

    // MARK: - Readiness

    /// Whether a broker answers a metadata request within `timeout`, for readiness checks. Runs on the
    /// producer's blocking queue, off the cooperative pool.
    public func isClusterReachable(timeout: Duration) async -> Bool {
        let client = self.client
        return await blockingQueue.runBlocking {
            client.withHandle { handle in
                var metadata: UnsafePointer<rd_kafka_metadata_t>?
                let error = rd_kafka_metadata(handle, 0, nil, &metadata, timeout.timeoutMilliseconds)
                defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
                return error == RD_KAFKA_RESP_ERR_NO_ERROR && (metadata?.pointee.broker_cnt ?? 0) > 0
            }
        }
    }
}

/// Lends the bytes of an optional array (nil stays nil).
private func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
