import Events
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

/// `RecordProcessor.process(inOrder:)`: a partition's well-formed events share transactions (`CONSUMER_TRANSACTION_BATCH`)
/// with exactly the effects they have one by one.
@Suite("Shared event transactions", .serialized, .timeLimit(.minutes(3)))
struct SharedTransactionTests {
    /// Records each `visit-served` with the transaction that wrote it; refuses visits whose id starts with `REJECT`.
    struct RecordingHandler: EventHandling {
        var handledEventTypes: Set<String> { [VisitServed.V1.eventType] }

        func handle(_ event: IncomingEvent, context: HandlerContext) async throws {
            guard case .visitServed(let served) = event.payload else { return }
            if served.visitId.hasPrefix("REJECT") { throw EventRejection("refused for the test") }
            if served.visitId.hasPrefix("SLOW") { try await Task.sleep(for: .milliseconds(30)) }
            if served.visitId.contains("EMIT") {
                try context.outbox.emit(VisitServed.V1(visitId: "\(served.visitId)-echo", staffId: served.staffId, at: served.at))
            }
            try await context.connection.query(
                "INSERT INTO seen (visit_id, txid) VALUES (\(served.visitId), pg_current_xact_id()::text)",
                logger: context.logger)
        }
    }

    static let migrations = [
        Migration(name: "0001_seen", sql: "CREATE TABLE seen (visit_id text PRIMARY KEY, txid text NOT NULL);")
    ]

    /// `visit-served` records of one partition from `offset` on; `nil` ids are bytes that do not decode. A visit id
    /// after `#` is left out of the event id, so `V1#a` and `V1#b` are one event published twice. Ids that start with
    /// `LEFT` are `visit-left` events, which belong on the topic and which the handler does not act on.
    static func records(_ visits: [String?], from offset: Int64 = 0) -> [KafkaRecord] {
        visits.enumerated().map { index, visit in
            let value: [UInt8] =
                visit.map { visit -> [UInt8] in
                    let id = "evt-\(visit.split(separator: "#")[0])"
                    let now = Timestamp.now(utcOffsetSeconds: 8 * 3600)
                    if visit.hasPrefix("LEFT") {
                        return Envelope(id: id, source: "test", time: now, data: VisitLeft.V1(visitId: visit, at: now))
                            .encode()
                    }
                    return Envelope(
                        id: id, source: "test", time: now, data: VisitServed.V1(visitId: visit, staffId: "WM001", at: now)
                    ).encode()
                } ?? Array("{not json".utf8)
            return KafkaRecord(
                topic: Topics.branchVisits, partition: 0, offset: offset + Int64(index), key: visit.map { Array($0.utf8) },
                value: value)
        }
    }

    func withProcessor(
        // An hour by default: tests that count transactions must not see one cut short by a loaded machine (a full
        // run on two cores once took more than 10 s for 40 events here). The time limit has its own test.
        transactionBatch: Int, transactionTime: Duration = .seconds(3600),
        _ body: @Sendable (RecordProcessor, PostgresClient) async throws -> Void
    ) async throws {
        try await TestDatabase.withSchema(prefix: "shared_tx", migrations: Self.migrations) { client, _ in
            let processor = RecordProcessor(
                handler: RecordingHandler(), client: client,
                calendar: BusinessCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!),
                metrics: ServiceMetrics(service: "test"), logger: Logger(label: "test.shared"), serviceName: "test",
                maxAttempts: 2, transactionBatch: transactionBatch, transactionTime: transactionTime)
            try await body(processor, client)
        }
    }

    static func expectCount(
        _ client: PostgresClient, _ sql: String, _ expected: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql)).collect()
        let found = try rows[0].decode(Int.self)
        #expect(found == expected, "\(sql)", sourceLocation: sourceLocation)
    }

    @Test("H-06 a partition's well-formed events share one transaction, each handled once in order; redelivered, all are duplicates")
    func oneTransaction() async throws {
        try await withProcessor(transactionBatch: 100) { processor, client in
            let records = Self.records((0..<40).map { "V\($0)" })
            let outcomes = await processor.process(inOrder: records)
            #expect(outcomes == Array(repeating: .processed, count: 40))
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 40)
            try await Self.expectCount(client, "SELECT count(DISTINCT txid)::int FROM seen", 1)
            try await Self.expectCount(client, "SELECT count(*)::int FROM inbox WHERE outcome = 'processed'", 40)

            let again = await processor.process(inOrder: records)
            #expect(again == Array(repeating: .duplicate, count: 40))
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 40)
        }
    }

    @Test("H-06 CONSUMER_TRANSACTION_BATCH bounds a shared transaction; 1 gives every event its own")
    func bounded() async throws {
        try await withProcessor(transactionBatch: 10) { processor, client in
            let outcomes = await processor.process(inOrder: Self.records((0..<25).map { "V\($0)" }))
            #expect(outcomes == Array(repeating: .processed, count: 25))
            try await Self.expectCount(client, "SELECT count(DISTINCT txid)::int FROM seen", 3)
        }
        try await withProcessor(transactionBatch: 1) { processor, client in
            let outcomes = await processor.process(inOrder: Self.records((0..<5).map { "V\($0)" }))
            #expect(outcomes == Array(repeating: .processed, count: 5))
            try await Self.expectCount(client, "SELECT count(DISTINCT txid)::int FROM seen", 5)
        }
    }

    @Test("H-06 CONSUMER_TRANSACTION_MAX_MS: a shared transaction takes no further event once its time is up and commits; the rest of the run follows in the next")
    func timeBounded() async throws {
        // Each event takes at least 30 ms, so a 50 ms limit lets a transaction take two events at most.
        try await withProcessor(transactionBatch: 100, transactionTime: .milliseconds(50)) { processor, client in
            let outcomes = await processor.process(inOrder: Self.records((0..<10).map { "SLOW\($0)" }))
            #expect(outcomes == Array(repeating: .processed, count: 10))
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 10)
            try await Self.expectCount(
                client, "SELECT count(*)::int FROM (SELECT txid FROM seen GROUP BY txid HAVING count(*) > 2) AS t", 0)
            try await Self.expectCount(client, "SELECT (count(DISTINCT txid) >= 5)::int FROM seen", 1)
            try await Self.expectCount(client, "SELECT count(*)::int FROM inbox WHERE outcome = 'processed'", 10)
        }
    }

    @Test("H-06 one event published twice in a run is handled once, for its first record; the inbox keeps that record's offset")
    func duplicateInTheRun() async throws {
        try await withProcessor(transactionBatch: 100) { processor, client in
            let outcomes = await processor.process(inOrder: Self.records(["V0", "V1#a", "V2", "V1#b", "V3"]))
            #expect(outcomes == [.processed, .processed, .processed, .duplicate, .processed])
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 4)
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen WHERE visit_id = 'V1#a'", 1)
            try await Self.expectCount(client, "SELECT kafka_offset::int FROM inbox WHERE event_id = 'evt-V1'", 1)
        }
    }

    @Test("H-06 what a shared transaction's events emit is written in the events' order, once each, across time-limited transactions")
    func emittedInOrder() async throws {
        try await withProcessor(transactionBatch: 100, transactionTime: .milliseconds(50)) { processor, client in
            let visits = (0..<12).map { $0 % 3 == 0 ? "SLOW-EMIT\($0)" : "EMIT\($0)" }
            let outcomes = await processor.process(inOrder: Self.records(visits))
            #expect(outcomes == Array(repeating: .processed, count: 12))
            let rows = try await client.query("SELECT payload FROM outbox ORDER BY txid, seq").collect()
            let echoed = try rows.map { row -> String in
                let payload = try row.decode(ByteBuffer.self)
                guard case .visitServed(let served) = try EventCatalog.decode(Array(buffer: payload)).payload else {
                    return "?"
                }
                return served.visitId
            }
            #expect(echoed == visits.map { "\($0)-echo" })
            try await Self.expectCount(client, "SELECT (count(DISTINCT txid) > 1)::int FROM seen", 1)
        }
    }

    @Test("H-06 H-07 an event the handler rejects in a shared run: nothing of the run stays, its events run one by one, the rejected one is dead-lettered, the others handled once")
    func rejectedInTheMiddle() async throws {
        try await withProcessor(transactionBatch: 100) { processor, client in
            let visits = (0..<10).map { "V\($0)" } + ["REJECT-1"] + (10..<20).map { "V\($0)" }
            let outcomes = await processor.process(inOrder: Self.records(visits))
            #expect(outcomes.count == 21)
            #expect(outcomes[10] == .deadLettered(.rejected))
            #expect(outcomes.enumerated().allSatisfy { $0.offset == 10 || $0.element == .processed })
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 20)
            // One by one after the failed shared transaction: each its own.
            try await Self.expectCount(client, "SELECT count(DISTINCT txid)::int FROM seen", 20)
            try await Self.expectCount(client, "SELECT count(*)::int FROM inbox WHERE outcome = 'dead_lettered'", 1)
            try await Self.expectCount(client, "SELECT count(*)::int FROM outbox WHERE event_type = '\(DeadLetter.V1.eventType)'", 1)
        }
    }

    @Test("H-07 a record that does not decode ends the run before it: the events before and after share their own transactions")
    func undecodableSplitsTheRun() async throws {
        try await withProcessor(transactionBatch: 100) { processor, client in
            let visits: [String?] = (0..<10).map { "V\($0)" } + [nil] + (10..<20).map { "V\($0)" }
            let outcomes = await processor.process(inOrder: Self.records(visits))
            #expect(outcomes.count == 21)
            #expect(outcomes[10] == .deadLettered(.invalid))
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 20)
            try await Self.expectCount(client, "SELECT count(DISTINCT txid)::int FROM seen", 2)
        }
    }

    @Test("H-06 events of types the service does not act on stay in the run: acknowledged as ignored where they stand, with no statement, and the handled events around them share one transaction")
    func ignoredStayInTheRun() async throws {
        try await withProcessor(transactionBatch: 100) { processor, client in
            // One visit's events come interleaved on its partition; every second record is of a type not handled.
            let visits = (0..<20).flatMap { ["V\($0)", "LEFT\($0)"] }
            let outcomes = await processor.process(inOrder: Self.records(visits))
            #expect(outcomes == (0..<20).flatMap { _ in [RecordProcessor.Outcome.processed, .ignored] })
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 20)
            try await Self.expectCount(client, "SELECT count(DISTINCT txid)::int FROM seen", 1)
            // Ignored events claim nothing: they are acknowledged, not recorded.
            try await Self.expectCount(client, "SELECT count(*)::int FROM inbox", 20)
        }
    }

    @Test("H-06 a time-limited shared transaction over a run with ignored events: every record gets exactly one outcome, in order")
    func ignoredAcrossTimeLimitedTransactions() async throws {
        try await withProcessor(transactionBatch: 100, transactionTime: .milliseconds(50)) { processor, client in
            let visits = ["LEFT-a"] + (0..<8).flatMap { ["SLOW\($0)", "LEFT\($0)", "LEFT\($0)b"] }
            let outcomes = await processor.process(inOrder: Self.records(visits))
            #expect(outcomes == visits.map { $0.hasPrefix("LEFT") ? RecordProcessor.Outcome.ignored : .processed })
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 8)
            try await Self.expectCount(client, "SELECT (count(DISTINCT txid) >= 4)::int FROM seen", 1)
            try await Self.expectCount(client, "SELECT count(*)::int FROM inbox WHERE outcome = 'processed'", 8)
        }
    }

    @Test("H-06 ids are claimed ahead in chunks: an event published twice in different chunks of one run is handled once, for its first record; runs longer than a chunk, time-limited or not, handle every event once")
    func claimedInChunks() async throws {
        try await withProcessor(transactionBatch: 100) { processor, client in
            // 40 records: evt-V3 again at position 30, two chunks later.
            var visits = (0..<40).map { "V\($0)" }
            visits[3] = "V3#a"
            visits[30] = "V3#b"
            let outcomes = await processor.process(inOrder: Self.records(visits))
            #expect(outcomes == (0..<40).map { $0 == 30 ? .duplicate : .processed })
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 39)
            try await Self.expectCount(client, "SELECT count(DISTINCT txid)::int FROM seen", 1)
            try await Self.expectCount(client, "SELECT kafka_offset::int FROM inbox WHERE event_id = 'evt-V3'", 3)
        }
        try await withProcessor(transactionBatch: 100, transactionTime: .milliseconds(50)) { processor, client in
            let outcomes = await processor.process(inOrder: Self.records((0..<40).map { "SLOW\($0)" }))
            #expect(outcomes == Array(repeating: .processed, count: 40))
            try await Self.expectCount(client, "SELECT count(*)::int FROM seen", 40)
            // Every claim that committed is an event handled: none left over from a chunk the time limit cut.
            try await Self.expectCount(client, "SELECT count(*)::int FROM inbox", 40)
        }
    }
}
