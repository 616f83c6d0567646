import Synchronization
import Foundation
import Logging
import Messaging
import NIOCore
import PostgresNIO

/// Publishes outbox rows to Kafka in commit order and marks them sent.
///
/// - Only one relay per schema publishes at a time: it holds a session advisory lock on its own connection; other
///   instances stand by and take over when that connection goes away.
/// - Rows are read in `(txid, seq)` order and only from transactions older than every transaction of this service's
///   database role still running (``visibilityBound(next:running:)``), so a transaction that commits late is
///   published in its place, never after a younger one (practice notes §2.1). A long-running transaction of the
///   same role therefore holds publication back; it loses nothing. Transactions of other roles (the other
///   services, an operator's `psql` session) do not count: they cannot write this schema's outbox.
/// - A row is marked sent only after its delivery report; a crash in between publishes it again, and consumers
///   absorb the duplicate by event id.
/// - Woken by `NOTIFY` from the outbox trigger at commit, with a safety poll every `pollInterval`.
public final class OutboxRelay: Sendable {
    let client: PostgresClient
    let schema: String
    /// The CloudEvents `source` of every event this service emits, for the `ce_source` header.
    let source: String
    let producer: KafkaProducer
    let batchSize: Int
    let pollInterval: Duration
    let retention: Duration
    let metrics: ServiceMetrics
    let logger: Logger
    private let stopRequested = StopFlag()
    private let wake = WakeSignal()

    public init(
        client: PostgresClient, schema: String, source: String, producer: KafkaProducer, batchSize: Int,
        pollInterval: Duration, retention: Duration, metrics: ServiceMetrics, logger: Logger
    ) {
        self.client = client
        self.schema = schema
        self.source = source
        self.producer = producer
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.retention = retention
        self.metrics = metrics
        self.logger = logger
    }

    /// Ask the relay to publish what is committed and return.
    public func stopAfterDraining() {
        stopRequested.set()
        wake.ring()
    }

    /// Runs until ``stopAfterDraining()`` (then drains once more) or cancellation.
    public func run() async {
        var backoff = Backoff()
        while !stopRequested.isSet, !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await self.serve(on: connection)
                }
                if stopRequested.isSet { return }
            } catch {
                if stopRequested.isSet || Task.isCancelled { return }
                logger.warning("outbox relay lost its connection; retrying", metadata: ["error": "\(FailureKind.summary(error))"])
            }
            await wake.wait(timeout: backoff.next())
        }
    }

    private func serve(on connection: PostgresConnection) async throws {
        let lockKey = "concierge.outbox.\(schema)"
        let rows = try await StallWatchdog.guarding("outbox relay lock") {
            try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(lockKey)))", logger: logger).collect()
        }
        guard let row = rows.first, try row.decode(Bool.self) else {
            // Another instance is publishing; check again later (or stop when asked).
            logger.debug("outbox relay standing by: another instance holds the relay lock")
            await wake.wait(timeout: .seconds(2))
            return
        }
        logger.info("outbox relay active", metadata: ["db.schema": "\(schema)"])
        defer { logger.info("outbox relay inactive", metadata: ["db.schema": "\(schema)"]) }
        do {
            try await connection.listen(on: "concierge_outbox_\(schema)") { notifications in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await _ in notifications { self.wake.ring() }
                    }
                    defer { group.cancelAll() }
                    try await self.publishLoop(on: connection)
                }
            }
        } catch {
            // The connection goes back to the pool: it must not keep the session lock.
            await unlock(lockKey, on: connection)
            throw error
        }
        await unlock(lockKey, on: connection)
    }

    private func unlock(_ lockKey: String, on connection: PostgresConnection) async {
        await StallWatchdog.guarding("outbox relay unlock") {
            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
        }
    }

    private func publishLoop(on connection: PostgresConnection) async throws {
        var lastPurge = ContinuousClock.now
        var failures = Backoff()
        while true {
            let stopping = stopRequested.isSet
            var outcome = try await publishBatch(on: connection)
            while outcome == .full { outcome = try await publishBatch(on: connection) }
            if stopping || Task.isCancelled { return }
            if outcome == .failed {
                // Unsent rows stay and are retried in order; librdkafka has already retried internally.
                await wake.wait(timeout: failures.next())
                continue
            }
            failures.reset()
            if ContinuousClock.now - lastPurge > .seconds(3600) {
                try await StallWatchdog.guarding("outbox purge") { try await purge(on: connection) }
                lastPurge = .now
            }
            // Rows held back by an older open transaction: look again soon rather than at the next safety poll.
            let waiting = try await StallWatchdog.guarding("outbox check") { try await hasUnsentRows(on: connection) }
            await wake.wait(timeout: waiting ? .milliseconds(20) : pollInterval)
        }
    }

    enum BatchOutcome { case empty, partial, full, failed }

    /// Publishes up to `batchSize` committed rows. Reading and marking run under the stall watchdog; waiting for
    /// the delivery reports (up to librdkafka's `message.timeout.ms`, while a broker is down) does not.
    func publishBatch(on connection: PostgresConnection) async throws -> BatchOutcome {
        let batch = try await StallWatchdog.guarding("outbox read") { try await readBatch(on: connection) }
        guard !batch.isEmpty else { return .empty }

        let results = await producer.send(batch.map(\.record))
        FaultPoint.afterOutboxProduce.pass()  // tests only: SIGKILL between delivery and marking sent
        var sent: [Int64] = []
        var firstFailure: KafkaError?
        for (row, result) in zip(batch, results) {
            switch result {
            case .success:
                sent.append(row.seq)
                metrics.produced(topic: row.record.topic, count: 1)
                metrics.outboxLag(.milliseconds(Int64(Date().timeIntervalSince(row.createdAt) * 1000)))
            case .failure(let error):
                metrics.publishFailed(topic: row.record.topic)
                firstFailure = firstFailure ?? error
            }
        }
        if !sent.isEmpty {
            try await StallWatchdog.guarding("outbox mark sent") {
                try await connection.query("UPDATE outbox SET sent_at = now() WHERE seq = ANY(\(sent))", logger: logger)
            }
        }
        if let firstFailure {
            logger.warning(
                "outbox publish failed; will retry",
                metadata: ["error": "\(firstFailure)", "outbox.failed": "\(batch.count - sent.count)"])
            return .failed
        }
        return batch.count == batchSize ? .full : .partial
    }

    private typealias Row = (seq: Int64, id: UUID, record: KafkaOutgoingRecord, createdAt: Date)

    /// Up to `batchSize` committed, unsent rows as records, in commit order.
    private func readBatch(on connection: PostgresConnection) async throws -> [Row] {
        let bound = try await Self.visibilityBound(on: connection, logger: logger)
        var batch: [Row] = []
        let rows = try await connection.query(
            """
            SELECT seq, id, topic, message_key, event_type, payload, created_at FROM outbox
            WHERE sent_at IS NULL AND txid < \(String(bound))::text::xid8
            ORDER BY txid, seq
            LIMIT \(batchSize)
            """,
            logger: logger
        )
        for try await (seq, id, topic, key, type, payload, createdAt) in rows.decode(
            (Int64, UUID, String, String?, String, ByteBuffer, Date).self)
        {
            let headers = [
                KafkaHeader(key: "ce_specversion", value: Array("1.0".utf8)),
                KafkaHeader(key: "ce_id", value: Array(id.uuidString.lowercased().utf8)),
                KafkaHeader(key: "ce_type", value: Array(type.utf8)),
                KafkaHeader(key: "ce_source", value: Array(source.utf8)),
                KafkaHeader(key: "content-type", value: Array("application/cloudevents+json".utf8)),
            ]
            let record = KafkaOutgoingRecord(
                topic: topic, key: key.map { Array($0.utf8) }, value: Array(buffer: payload), headers: headers)
            batch.append((seq, id, record, createdAt))
        }
        return batch
    }

    /// The transaction id below which every transaction that can write this outbox has ended: the smallest
    /// transaction id still running under this session's role, or, when there is none, the next id to be assigned.
    ///
    /// It is read in its own statement, before the statement that reads the rows: a transaction running when the
    /// bound is read counts; one that ends afterwards is visible to the later statement; one that gets its id
    /// afterwards gets one at or above the bound. (Read in the same statement, a transaction that ended between
    /// the statement's snapshot and the read of `pg_stat_activity` would count neither way.)
    static func visibilityBound(on connection: PostgresConnection, logger: Logger) async throws -> UInt64 {
        let rows = try await connection.query(
            """
            SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
                   array(SELECT backend_xid::text::bigint FROM pg_stat_activity
                         WHERE usename = session_user AND backend_xid IS NOT NULL)
            """,
            logger: logger
        ).collect()
        guard let row = rows.first else { return 0 }
        let (next, running) = try row.decode((Int64, [Int64]).self)
        return visibilityBound(next: UInt64(next), running: running.map { UInt32(truncatingIfNeeded: $0) })
    }

    /// The smallest of `next` and the `running` transaction ids, each widened to 64 bits (`xid8`) next to `next`.
    ///
    /// `pg_stat_activity` gives 32-bit ids; a running id lies within 2³¹ of the next one, which decides its epoch.
    /// An id assigned after `next` was read widens to `next` or above and so does not lower the bound.
    static func visibilityBound(next: UInt64, running: [UInt32]) -> UInt64 {
        let half: UInt64 = 1 << 31
        var bound = next
        for xid in running {
            var wide = (next & ~0xFFFF_FFFF) | UInt64(xid)
            if wide > next + half, wide >= 1 << 32 {
                wide -= 1 << 32
            } else if wide + half < next {
                wide += 1 << 32
            }
            bound = min(bound, wide)
        }
        return bound
    }

    private func hasUnsentRows(on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL)", logger: logger
        ).collect()
        return try rows.first?.decode(Bool.self) ?? false
    }

    private func purge(on connection: PostgresConnection) async throws {
        let seconds = Int(retention.components.seconds)
        try await connection.query(
            "DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => \(seconds))", logger: logger)
        try await connection.query(
            "DELETE FROM inbox WHERE processed_at < now() - make_interval(secs => \(seconds))", logger: logger)
    }
}

/// A one-way flag shared between tasks.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

/// Exponential back-off from 100 ms to 10 s.
struct Backoff {
    private var current: Duration = .milliseconds(100)
    mutating func next() -> Duration {
        defer { current = min(current * 2, .seconds(10)) }
        return current
    }
    mutating func reset() { current = .milliseconds(100) }
}
