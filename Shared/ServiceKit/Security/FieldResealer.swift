import Logging
import PostgresNIO
import Prometheus
import Synchronization

/// Completes a key rotation of personal data at rest (rulebook H-03): values still sealed with a key other than the
/// active one are opened and sealed again with the active key, so that the old key can leave the ring.
///
/// Each round works through every ``SealedColumn`` in short transactions of at most `batchSize` rows, picked with
/// `FOR UPDATE SKIP LOCKED` in primary-key order: several instances of a service can run it at once, each row is
/// re-sealed by exactly one of them, and a handler writing the same row is never kept waiting for long. A value
/// whose key is no longer in the ring (or that was altered) is left as it is and counted.
///
/// What it reports — in the log, in the metrics and in ``Report`` — are counts by key id, never a value:
/// `concierge_pii_sealed_values{column, key_id}` (values stored under each key after the round),
/// `concierge_pii_resealed_total{column, from_key_id}` and `concierge_pii_unopenable_values{column, key_id}`.
/// The rotation is complete when `concierge_pii_sealed_values` shows only the active key.
///
/// Settings (a service checks them when it is built, so a bad value stops it at start-up):
/// - `PII_RESEAL_INTERVAL_MS` (default 300,000, five minutes): pause between rounds.
/// - `PII_RESEAL_BATCH_SIZE` (default 200, 1–10,000): rows per transaction.
public final class FieldResealer: Sendable {
    /// Where a service stores sealed values: one table, its text primary key, the key-id and ciphertext columns, and
    /// the context (authenticated data) each value was sealed with, computed from the row's id.
    public struct SealedColumn: Sendable {
        public let table: String
        public let idColumn: String
        public let keyIDColumn: String
        public let ciphertextColumn: String
        public let context: @Sendable (String) -> String

        /// - Precondition: every name is a plain lower-case identifier (they are spliced into SQL).
        public init(
            table: String, idColumn: String, keyIDColumn: String, ciphertextColumn: String,
            context: @escaping @Sendable (String) -> String
        ) {
            for name in [table, idColumn, keyIDColumn, ciphertextColumn] {
                precondition(DatabaseSettings.isValidIdentifier(name), "\(name) is not a plain identifier")
            }
            self.table = table
            self.idColumn = idColumn
            self.keyIDColumn = keyIDColumn
            self.ciphertextColumn = ciphertextColumn
            self.context = context
        }

        /// `table.column`, as shown in logs and metric labels.
        public var name: String { "\(table).\(ciphertextColumn)" }
    }

    /// What one round did to one column. Counts by key id only.
    public struct Report: Sendable, Equatable {
        public var column: String
        /// Values sealed again with the active key, by the key that had sealed them.
        public var resealed: [String: Int] = [:]
        /// Values that did not open and were left as they are, by the key they name (gone from the ring, or altered).
        public var unopenable: [String: Int] = [:]
        /// Values stored under each key after the round, the active key included.
        public var remaining: [String: Int] = [:]

        /// Whether every stored value is sealed with `activeKeyID`, so that every other key may leave the ring.
        public func isComplete(activeKeyID: String) -> Bool {
            remaining.allSatisfy { $0.key == activeKeyID || $0.value == 0 }
        }
    }

    /// How often and in what batches the job runs.
    public struct Settings: Sendable, Equatable {
        public static let intervalVariable = "PII_RESEAL_INTERVAL_MS"
        public static let batchSizeVariable = "PII_RESEAL_BATCH_SIZE"

        public var interval: Duration
        public var batchSize: Int

        public init(interval: Duration = .seconds(300), batchSize: Int = 200) {
            self.interval = interval
            self.batchSize = batchSize
        }

        public init(environment: EnvironmentReader) throws(ConfigurationError) {
            interval = try environment.milliseconds(Self.intervalVariable, default: .seconds(300))
            guard interval >= .seconds(1) else {
                throw ConfigurationError(key: Self.intervalVariable, reason: "must be at least 1000 (one second)")
            }
            batchSize = try environment.int(Self.batchSizeVariable, default: 200, in: 1...10_000)
        }
    }

    public let cipher: FieldCipher
    let client: PostgresClient
    let columns: [SealedColumn]
    let metrics: ServiceMetrics
    let logger: Logger
    /// The `(column, key id)` pairs whose gauges were set, so that a key whose last value was re-sealed reads 0.
    private let reportedKeys = Mutex<Set<[String]>>([])

    public init(
        cipher: FieldCipher, client: PostgresClient, columns: [SealedColumn], metrics: ServiceMetrics, logger: Logger
    ) {
        self.cipher = cipher
        self.client = client
        self.columns = columns
        self.metrics = metrics
        self.logger = logger
    }

    /// The background job: reads ``Settings`` from `environment`, then runs a round every `interval`. A service
    /// builds ``Settings`` once in its initialiser too, so that a bad value stops it at start-up: an error thrown by a
    /// background job would only surface when the service stops.
    public func job(environment: EnvironmentReader, name: String = "pii-reseal") -> any BackgroundJob {
        Job(name: name, resealer: self, environment: environment)
    }

    /// One round over every column.
    @discardableResult
    public func round(batchSize: Int) async throws -> [Report] {
        var reports: [Report] = []
        for column in columns {
            reports.append(try await round(column, batchSize: batchSize))
        }
        return reports
    }

    /// One round over one column: counts first, and re-seals only when something is not under the active key.
    func round(_ column: SealedColumn, batchSize: Int) async throws -> Report {
        var report = Report(column: column.name)
        let before = try await countByKey(column)
        if before.contains(where: { $0.key != cipher.activeKeyID && $0.value > 0 }) {
            var after: String?
            while true {
                let batch = try await StallWatchdog.guarding("re-seal batch") {
                    try await resealBatch(column, after: after, batchSize: batchSize, into: &report)
                }
                guard let last = batch.lastID, batch.count == batchSize else { break }
                after = last
            }
            report.remaining = try await countByKey(column)
        } else {
            report.remaining = before
        }
        record(report)
        return report
    }

    /// Re-seals up to `batchSize` rows after `after` (primary-key order) in one transaction.
    private func resealBatch(
        _ column: SealedColumn, after: String?, batchSize: Int, into report: inout Report
    ) async throws -> (count: Int, lastID: String?) {
        let active = cipher.activeKeyID
        let cipher = self.cipher
        let logger = self.logger
        let outcome = try await client.withTransaction(logger: logger) {
            connection -> (count: Int, lastID: String?, resealed: [String: Int], unopenable: [String: Int]) in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: column.idColumn), \(unescaped: column.keyIDColumn), \(unescaped: column.ciphertextColumn)
                FROM \(unescaped: column.table)
                WHERE \(unescaped: column.keyIDColumn) IS NOT NULL AND \(unescaped: column.keyIDColumn) <> \(active)
                    AND (\(after)::text IS NULL OR \(unescaped: column.idColumn) > \(after)::text)
                ORDER BY \(unescaped: column.idColumn)
                LIMIT \(batchSize)
                FOR UPDATE SKIP LOCKED
                """,
                logger: logger)
            var count = 0
            var lastID: String?
            var resealed: [String: Int] = [:]
            var unopenable: [String: Int] = [:]
            var updates: [(id: String, sealed: FieldCipher.Sealed)] = []
            for try await (id, keyID, bytes) in rows.decode((String, String, ByteBuffer).self) {
                count += 1
                lastID = id
                let context = column.context(id)
                guard let plain = try? cipher.open(.init(keyID: keyID, bytes: Array(buffer: bytes)), context: context)
                else {
                    unopenable[keyID, default: 0] += 1
                    continue
                }
                updates.append((id, try cipher.seal(plain, context: context)))
                resealed[keyID, default: 0] += 1
            }
            for update in updates {
                try await connection.query(
                    """
                    UPDATE \(unescaped: column.table)
                    SET \(unescaped: column.keyIDColumn) = \(update.sealed.keyID),
                        \(unescaped: column.ciphertextColumn) = \(ByteBuffer(bytes: update.sealed.bytes))
                    WHERE \(unescaped: column.idColumn) = \(update.id)
                    """,
                    logger: logger)
            }
            return (count, lastID, resealed, unopenable)
        }
        report.resealed.merge(outcome.resealed, uniquingKeysWith: +)
        report.unopenable.merge(outcome.unopenable, uniquingKeysWith: +)
        return (outcome.count, outcome.lastID)
    }

    /// Stored values by the key that sealed them.
    private func countByKey(_ column: SealedColumn) async throws -> [String: Int] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: column.keyIDColumn), count(*) FROM \(unescaped: column.table)
            WHERE \(unescaped: column.keyIDColumn) IS NOT NULL GROUP BY 1
            """,
            logger: logger)
        var counts: [String: Int] = [:]
        for try await (keyID, count) in rows.decode((String, Int64).self) {
            counts[keyID] = Int(count)
        }
        return counts
    }

    /// Metrics always; a log line when the round changed something or found values it cannot open.
    private func record(_ report: Report) {
        let registry = metrics.registry
        let service = metrics.service
        let seen = reportedKeys.withLock { seen in
            for keys in [report.remaining.keys, report.resealed.keys, report.unopenable.keys] {
                seen.formUnion(keys.map { [report.column, $0] })
            }
            return seen.filter { $0[0] == report.column }.map { $0[1] }
        }
        for keyID in seen {
            let labels = [("service", service), ("column", report.column), ("key_id", keyID)]
            registry.makeGauge(descriptor: Self.descriptor(Self.sealedGauge), labels: labels)
                .set(to: Double(report.remaining[keyID] ?? 0))
            registry.makeGauge(descriptor: Self.descriptor(Self.unopenableGauge), labels: labels)
                .set(to: Double(report.unopenable[keyID] ?? 0))
        }
        for (keyID, count) in report.resealed {
            registry.makeCounter(
                descriptor: Self.descriptor(Self.resealedCounter),
                labels: [("service", service), ("column", report.column), ("from_key_id", keyID)]
            ).increment(by: Int64(count))
        }
        guard !report.resealed.isEmpty || !report.unopenable.isEmpty else { return }
        let metadata: Logger.Metadata = [
            "pii.column": "\(report.column)", "pii.active_key": "\(cipher.activeKeyID)",
            "pii.resealed": "\(Self.summary(report.resealed))", "pii.unopenable": "\(Self.summary(report.unopenable))",
            "pii.remaining": "\(Self.summary(report.remaining))",
        ]
        if report.unopenable.isEmpty {
            logger.info("personal data re-sealed with the active key", metadata: metadata)
        } else {
            logger.warning(
                "personal data that does not open was left as it is (is its key still in PII_ENCRYPTION_KEYS?)",
                metadata: metadata)
        }
    }

    /// `k1=3,k2=120`, sorted by key id.
    static func summary(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static let sealedGauge = "concierge_pii_sealed_values"
    static let unopenableGauge = "concierge_pii_unopenable_values"
    static let resealedCounter = "concierge_pii_resealed_total"

    static func descriptor(_ name: String) -> MetricNameDescriptor {
        let help = [
            sealedGauge: "Personal data values stored under each key id, after the last re-seal round.",
            unopenableGauge: "Personal data values that did not open in the last re-seal round, by key id.",
            resealedCounter: "Personal data values sealed again with the active key, by the key that had sealed them.",
        ]
        return MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }

    /// The background job: settings first, then ``PeriodicJob``.
    struct Job: BackgroundJob {
        let name: String
        let resealer: FieldResealer
        let environment: EnvironmentReader

        func run() async throws {
            let settings = try Settings(environment: environment)
            let resealer = self.resealer
            try await PeriodicJob(name: name, interval: settings.interval, logger: resealer.logger) {
                try await resealer.round(batchSize: settings.batchSize)
            }.run()
        }
    }
}
