import Foundation
import Logging
import Messaging
import PostgresNIO
import TestSupport
import Testing

@testable import ServiceKit

@Suite("Transactional outbox relay", .serialized, .timeLimit(.minutes(3)))
struct OutboxRelayTests {
    static func message(_ body: String, topic: String, key: String = "C000123") -> OutboxMessage {
        OutboxMessage(id: UUID(), topic: topic, key: key, eventType: "test.event.v1", payload: Array(body.utf8))
    }

    /// Runs `body` with a migrated schema, a mock cluster with `topic`, a running producer and `relays` relays.
    func withRelay(
        relays: Int = 1,
        _ body: @Sendable (PostgresClient, DatabaseSettings, String, KafkaConfiguration) async throws -> Void
    ) async throws {
        let topic = TestEnvironment.uniqueName("outbox")
        let cluster = try TestKafka.makeCluster(topics: [topic])
        let kafka = TestKafka.configuration(bootstrapServers: cluster.bootstrapServers)
        try await TestDatabase.withSchema(prefix: "outbox", migrations: []) { client, settings in
            try await TestKafka.withProducer(kafka) { producer in
                let relayList = (0..<relays).map { _ in
                    OutboxRelay(
                        client: client, schema: settings.schema, source: "concierge/test", producer: producer,
                        batchSize: 100,
                        pollInterval: .milliseconds(500), retention: .seconds(3600),
                        metrics: ServiceMetrics(service: "test"), logger: Logger(label: "test.relay"))
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for relay in relayList { group.addTask { await relay.run() } }
                    try await body(client, settings, topic, kafka)
                    relayList.forEach { $0.stopAfterDraining() }
                    try await group.waitForAll()
                }
            }
        }
        withExtendedLifetime(cluster) {}
    }

    @Test("committed rows are published in commit order and marked sent; rolled-back rows never are")
    func publishesCommittedRows() async throws {
        try await withRelay { client, _, topic, kafka in
            let logger = Logger(label: "test")
            try await client.withTransaction(logger: logger) { connection in
                try await OutboxMessage.insert(
                    [Self.message("a1", topic: topic), Self.message("a2", topic: topic)], on: connection, logger: logger)
            }
            try await client.withTransaction(logger: logger) { connection in
                try await OutboxMessage.insert([Self.message("b1", topic: topic)], on: connection, logger: logger)
            }
            struct Rollback: Error {}
            _ = try? await client.withTransaction(logger: logger) { connection in
                try await OutboxMessage.insert([Self.message("c1", topic: topic)], on: connection, logger: logger)
                throw Rollback()
            }
            let records = try await TestKafka.read(topic, configuration: kafka, timeout: .seconds(20)) { $0.count >= 3 }
            #expect(records.map { String(decoding: $0.value, as: UTF8.self) } == ["a1", "a2", "b1"])
            #expect(records.allSatisfy { $0.key == Array("C000123".utf8) })
            #expect(records.allSatisfy { $0.headers.contains { $0.key == "ce_type" && $0.value == Array("test.event.v1".utf8) } })
            #expect(records.allSatisfy { $0.headers.contains { $0.key == "ce_source" && $0.value == Array("concierge/test".utf8) } })
            let unsent = try await TestHTTP.eventually(timeout: .seconds(30)) { () -> Int? in
                let rows = try await client.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL").collect()
                let count = try rows.first!.decode(Int.self)
                return count == 0 ? count : nil
            }
            #expect(unsent == 0)
        }
    }

    @Test("a transaction still open holds later commits back, then both go out in transaction order")
    func commitOrderCursor() async throws {
        try await withRelay { client, _, topic, kafka in
            try await client.withConnection { early in
                try await Self.commitLateBeforeEarly(early: early, client: client, topic: topic, kafka: kafka)
            }
            let records = try await TestKafka.read(topic, configuration: kafka, timeout: .seconds(20)) { $0.count >= 2 }
            #expect(records.map { String(decoding: $0.value, as: UTF8.self) } == ["early", "late"])
        }
    }

    /// Opens a transaction on `early` that writes first, commits a later one, checks that nothing is published,
    /// then commits the early one. (A separate function: the nested closures crashed the 6.3.1 compiler.)
    static func commitLateBeforeEarly(
        early: PostgresConnection, client: PostgresClient, topic: String, kafka: KafkaConfiguration
    ) async throws {
        let logger = Logger(label: "test")
        try await early.query("BEGIN", logger: logger)
        // The early transaction writes first, so it has the smaller transaction id…
        try await OutboxMessage.insert([message("early", topic: topic)], on: early, logger: logger)
        // …and a later transaction commits before it.
        try await insertCommitted(message("late", topic: topic), client: client)
        let heldBack = try await TestKafka.read(topic, configuration: kafka, timeout: .seconds(2)) { !$0.isEmpty }
        #expect(heldBack.isEmpty, "the relay must not publish past a transaction that is still open")
        try await early.query("COMMIT", logger: logger)
    }

    static func insertCommitted(_ message: OutboxMessage, client: PostgresClient) async throws {
        let logger = Logger(label: "test")
        try await client.withTransaction(logger: logger) { connection in
            try await OutboxMessage.insert([message], on: connection, logger: logger)
        }
    }

    @Test("a transaction of another database role (another service, an operator's session) does not hold the relay back")
    func otherRolesDoNotHoldBack() async throws {
        try await withRelay { client, settings, topic, kafka in
            let role = TestEnvironment.uniqueName("other_role")
            let password = UUID().uuidString
            let log = TestDatabase.roleLogger
            try await TestDatabase.changingRoles(on: client) { connection in
                try await connection.query(
                    "CREATE ROLE \(unescaped: role) LOGIN PASSWORD '\(unescaped: password)'", logger: log)
                try await connection.query(
                    "GRANT CONNECT ON DATABASE \(unescaped: settings.database) TO \(unescaped: role)", logger: log)
            }
            var other = settings
            other.username = role
            other.password = password
            other.maximumConnections = 1
            let otherClient = PostgresClient(
                configuration: try other.makeClientConfiguration(), backgroundLogger: Logger(label: "test.other"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await otherClient.run() }
                try await otherClient.withConnection { connection in
                    try await Self.publishPastAnotherRole(
                        other: connection, client: client, role: role, topic: topic, kafka: kafka)
                }
                group.cancelAll()
            }
            try await TestDatabase.changingRoles(on: client) { connection in
                try await connection.query(
                    "REVOKE CONNECT ON DATABASE \(unescaped: settings.database) FROM \(unescaped: role)", logger: log)
                try await connection.query("DROP ROLE \(unescaped: role)", logger: log)
            }
        }
    }

    /// Opens a transaction with an id on `other` (another role), commits a row of the relay's role after it, and
    /// expects the row published while the other transaction is still open.
    static func publishPastAnotherRole(
        other: PostgresConnection, client: PostgresClient, role: String, topic: String, kafka: KafkaConfiguration
    ) async throws {
        let logger = Logger(label: "test")
        try await other.query("BEGIN", logger: logger)
        let ids = try await other.query("SELECT pg_current_xact_id()::text::bigint", logger: logger).collect()
        let otherXid = try ids.first!.decode(Int64.self)
        try await insertCommitted(message("after the other role's transaction", topic: topic), client: client)
        let published = try await TestKafka.read(topic, configuration: kafka, timeout: .seconds(10)) { !$0.isEmpty }
        // The other transaction is still open, and older than the published row.
        let open = try await client.query(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = \(role) AND backend_xid IS NOT NULL"
        ).collect()
        try await other.query("COMMIT", logger: logger)
        #expect(try open.first!.decode(Int.self) == 1)
        #expect(published.map { String(decoding: $0.value, as: UTF8.self) } == ["after the other role's transaction"])
        #expect(otherXid > 0)
    }

    @Test("the relay's bound widens 32-bit running transaction ids next to the next id, across an epoch boundary")
    func visibilityBoundWidening() {
        let epoch: UInt64 = 7 << 32
        // Nothing running: the next id to be assigned.
        #expect(OutboxRelay.visibilityBound(next: epoch + 1_000, running: []) == epoch + 1_000)
        // The oldest running id wins.
        #expect(OutboxRelay.visibilityBound(next: epoch + 1_000, running: [990, 900, 950]) == epoch + 900)
        // An id assigned after `next` was read does not lower the bound.
        #expect(OutboxRelay.visibilityBound(next: epoch + 1_000, running: [1_005]) == epoch + 1_000)
        // Just after a wraparound of the 32-bit id, a running id from the previous epoch.
        #expect(OutboxRelay.visibilityBound(next: epoch + 10, running: [UInt32.max - 5]) == epoch - 6)
        // Just before a wraparound, an id assigned in the next epoch after `next` was read.
        #expect(OutboxRelay.visibilityBound(next: epoch + UInt64(UInt32.max) - 2, running: [3]) == epoch + UInt64(UInt32.max) - 2)
        // Epoch 0: no underflow.
        #expect(OutboxRelay.visibilityBound(next: 100, running: [UInt32.max - 1, 50]) == 50)
    }

    @Test("with two relays on one schema only one publishes: no duplicates")
    func singleActiveRelay() async throws {
        try await withRelay(relays: 2) { client, _, topic, kafka in
            let logger = Logger(label: "test")
            for batch in 0..<10 {
                try await client.withTransaction(logger: logger) { connection in
                    try await OutboxMessage.insert(
                        (0..<5).map { Self.message("m\(batch)-\($0)", topic: topic, key: "K\($0)") }, on: connection,
                        logger: logger)
                }
            }
            let records = try await TestKafka.read(topic, configuration: kafka, timeout: .seconds(20)) { $0.count >= 50 }
            // Give a second relay the chance to publish anything twice.
            let more = try await TestKafka.read(topic, configuration: kafka, timeout: .seconds(8)) { $0.count > 50 }
            #expect(records.count == 50)
            #expect(more.count == 50)
            #expect(Set(records.map(\.value)).count == 50)
        }
    }
}
