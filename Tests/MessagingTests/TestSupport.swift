import Foundation
import Logging
import Messaging
import ServiceLifecycle

/// A logger for tests: quiet unless `MESSAGING_TEST_LOG_LEVEL` (e.g. `debug`) is set.
func makeTestLogger(_ label: String = "messaging-tests") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["MESSAGING_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .notice
    return logger
}

/// A topic or group name no other test uses.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

extension KafkaMockCluster {
    /// A configuration for this mock cluster with test-friendly consumer settings: `fetch.wait.max.ms=10`
    /// (the mock's Fetch does not return early on new data, practice.md §4.3) and a short session, so
    /// rebalances complete in seconds.
    func testConfiguration() -> KafkaConfiguration {
        var configuration = makeConfiguration()
        configuration.consumerProperties = [
            "fetch.wait.max.ms": "10",
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
        ]
        return configuration
    }
}

/// Runs `producer` around `body` (see ``KafkaProducer/withRunning(logger:_:)``).
func withRunningProducer<T: Sendable>(
    _ producer: KafkaProducer,
    logger: Logger,
    _ body: @Sendable (KafkaProducer) async throws -> T
) async throws -> T {
    try await producer.withRunning(logger: logger, body)
}

/// Produces `records` with a temporary producer and returns the delivery reports.
func produce(_ records: [KafkaOutgoingRecord], configuration: KafkaConfiguration, logger: Logger) async throws
    -> [KafkaDeliveryReport]
{
    let producer = try KafkaProducer(configuration: configuration, clientID: "test-producer", logger: logger)
    let results = try await withRunningProducer(producer, logger: logger) { await $0.send(records) }
    return try results.map { try $0.get() }
}

/// Polls until `condition` holds for the records polled so far, or `limit` passes. Stores offsets of every
/// batch (as a service would after its transaction committed) unless `store` is false.
func pollUntil(
    _ consumer: KafkaConsumer,
    limit: Duration = .seconds(30),
    store: Bool = true,
    maxRecords: Int = 500,
    _ condition: ([KafkaRecord]) -> Bool
) async throws -> [KafkaRecord] {
    var polled: [KafkaRecord] = []
    let deadline = ContinuousClock.now.advanced(by: limit)
    while !condition(polled), ContinuousClock.now < deadline {
        let batch = try await consumer.poll(maxRecords: maxRecords, timeout: .milliseconds(250))
        polled += batch
        if store && !batch.isEmpty {
            try consumer.storeOffsets(batch)
        }
    }
    return polled
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
func text(_ bytes: [UInt8]?) -> String { bytes.map { String(decoding: $0, as: UTF8.self) } ?? "<nil>" }
