import Events
import Foundation
import Logging
import Messaging
import NIOCore
import PostgresNIO
import ServiceKit
import Synchronization

// MARK: - Report

/// The figures of one service's fuzz run, and every problem found (empty when the service passed).
public struct FuzzReport: Sendable {
    /// Outcomes of the inputs of one category.
    public struct Tally: Sendable {
        public var tried = 0
        public var processed = 0
        public var ignored = 0
        public var deadLettered = 0
        /// Inputs the inbox took for a redelivery (never expected: every input has its own id).
        public var duplicates = 0
    }

    public var service: String
    public var seed: UInt64
    public var inputs: Int
    /// Feeding the inputs through the service's per-record path (generation included).
    public var elapsed: Duration
    /// Reading the schema back and checking it.
    public var checkElapsed: Duration
    public var byCategory: [FuzzCategory: Tally] = [:]
    /// Dead letters by the consumer's reason label (`invalid`, `credentials`, `unexpected_type`, `rejected`,
    /// `handler_failed`).
    public var deadLetterReasons: [RecordProcessor.DeadLetterCategory: Int] = [:]
    /// What went wrong; the run passes when this is empty.
    public var problems: [String] = []
    /// Inputs that never finished (no progress within the hang timeout).
    public var hangs = 0

    public var total: Tally {
        byCategory.values.reduce(into: Tally()) { sum, tally in
            sum.tried += tally.tried
            sum.processed += tally.processed
            sum.ignored += tally.ignored
            sum.deadLettered += tally.deadLettered
            sum.duplicates += tally.duplicates
        }
    }

    public var inputsPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(inputs) / seconds : 0
    }

    /// A plain-text table: one row per category, then the totals and the dead-letter reasons.
    public func table() -> String {
        func row(_ name: String, _ tally: Tally) -> String {
            [name.padding(toLength: 18, withPad: " ", startingAt: 0)]
                .appending(contentsOf: [tally.tried, tally.processed, tally.ignored, tally.deadLettered, tally.duplicates]
                    .map { String($0).leftPadded(to: 10) })
                .joined()
        }
        var lines = [
            "fuzz \(service): \(inputs) inputs (seed \(seed)) in \(elapsed.rounded), "
                + "\(Int(inputsPerSecond.rounded())) inputs/s, check \(checkElapsed.rounded); "
                + "crashes 0, hangs \(hangs), problems \(problems.count)",
            "category".padding(toLength: 18, withPad: " ", startingAt: 0)
                + ["tried", "processed", "ignored", "dead-lett.", "dupl."].map { $0.leftPadded(to: 10) }.joined(),
        ]
        for category in FuzzCategory.allCases {
            if let tally = byCategory[category] { lines.append(row(category.rawValue, tally)) }
        }
        lines.append(row("total", total))
        lines.append(
            "dead letters by reason: "
                + RecordProcessor.DeadLetterCategory.allCases.map { "\($0.rawValue) \(deadLetterReasons[$0] ?? 0)" }
                .joined(separator: ", "))
        for problem in problems.prefix(20) { lines.append("PROBLEM: \(problem)") }
        if problems.count > 20 { lines.append("… and \(problems.count - 20) more problems") }
        return lines.joined(separator: "\n")
    }
}

extension Array {
    fileprivate func appending(contentsOf other: [Element]) -> [Element] { self + other }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension Duration {
    fileprivate var rounded: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return String(format: "%.1f s", seconds)
    }
}

// MARK: - Running

extension ServiceHarness {
    /// Feeds `count` inputs of `generator` through the service's real per-record path (``recordProcessor(logger:maxAttempts:)``)
    /// against its migrated schema, the way its consumer would: each topic has `partitions` partitions (a record's
    /// partition is the hash of its key), records of one partition run in order, partitions run concurrently.
    /// Then reads the schema back and checks, for every input:
    ///
    /// - it finished: processed, ignored (a type of its topic the service does not act on: checked by decoding it
    ///   again), or dead-lettered — never lost, never taken for a duplicate, no hang;
    /// - what ``FuzzInput/expectation`` demands (every hostile input dead-lettered, with the right category where
    ///   there is one; the ordered events processed);
    /// - the inbox holds exactly one row, with the matching outcome, for each processed or dead-lettered input, and
    ///   none for the others; within each partition the rows were written in offset order;
    /// - the outbox holds exactly one `concierge.deadletter.v1` for each dead-lettered input: this service, a reason,
    ///   the original key and bytes (a prefix, said so in the reason, when they are too long) — or, for a message
    ///   with a credential field, the redacted bytes (none when it does not parse); no credential value anywhere in
    ///   the outbox;
    /// - each ordered witness entity ends in the state of its last event (order kept around the bad inputs).
    ///
    /// - Parameter hangTimeout: how long one record may take before it counts as a hang.
    ///
    /// The consumer's log is quiet (errors only) unless `FUZZ_LOG_LEVEL` says otherwise.
    public func fuzz(
        _ generator: FuzzGenerator, count: Int, partitions: Int = 4, hangTimeout: Duration = .seconds(60)
    ) async throws -> FuzzReport {
        // Quiet by default: 100,000 dead letters log 100,000 warnings. `FUZZ_LOG_LEVEL=warning` shows retries.
        var logger = Logger(label: "fuzz.\(Service.name)")
        logger.logLevel = ProcessInfo.processInfo.environment["FUZZ_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .error
        let processor = recordProcessor(logger: logger)
        var report = FuzzReport(
            service: Service.name, seed: generator.seed, inputs: count, elapsed: .zero, checkElapsed: .zero)
        var sent: [FuzzSent] = []
        sent.reserveCapacity(count)
        var offsets: [String: Int64] = [:]

        let started = ContinuousClock.now
        let chunkSize = 2_000
        for chunkStart in stride(from: 0, to: count, by: chunkSize) {
            var records: [(slot: Int, record: KafkaRecord)] = []
            for index in chunkStart..<min(chunkStart + chunkSize, count) {
                let input = generator.input(index)
                let partition = Int32(
                    input.key.map { Int(FuzzHash.fnv1a($0) % UInt64(partitions)) } ?? index % partitions)
                let position = "\(input.topic)/\(partition)"
                let offset = offsets[position, default: 0]
                offsets[position] = offset + 1
                sent.append(FuzzSent(input: input, partition: partition, offset: offset))
                records.append(
                    (sent.count - 1,
                     KafkaRecord(topic: input.topic, partition: partition, offset: offset, key: input.key, value: input.value)))
            }
            let snapshot = sent
            let (outcomes, hang) = await Self.feed(
                records, processor: processor, hangTimeout: hangTimeout, label: { snapshot[$0].label })
            for (slot, outcome) in outcomes { sent[slot].outcome = outcome }
            if let hang {
                // The rest of the run is moot: report the input that hung (and how to generate it again).
                report.hangs += 1
                report.problems.append(
                    "hang: \(sent[hang].label) made no progress for \(hangTimeout); "
                        + "generate it again with FuzzGenerator(seed: \(generator.seed), service: \(Service.name)).input(\(sent[hang].index)): "
                        + generator.input(sent[hang].index).preview())
                report.elapsed = .now - started
                return report
            }
        }
        report.elapsed = .now - started

        let checking = ContinuousClock.now
        try await check(&report, sent: sent, generator: generator)
        report.checkElapsed = .now - checking
        return report
    }

    /// Records of one partition handed to the processor at once (a poll's worth).
    static var pollSize: Int { 64 }

    /// Runs the records, each partition in order and the partitions concurrently; reports a record that makes no
    /// progress for `hangTimeout` (printed at once, since the stuck task may never return).
    private static func feed(
        _ records: [(slot: Int, record: KafkaRecord)], processor: RecordProcessor, hangTimeout: Duration,
        label: @escaping @Sendable (Int) -> String
    ) async -> (outcomes: [(Int, RecordProcessor.Outcome)], hang: Int?) {
        var byPartition: [String: [(slot: Int, record: KafkaRecord)]] = [:]
        for entry in records { byPartition["\(entry.record.topic)/\(entry.record.partition)", default: []].append(entry) }
        let busy = FuzzProgress()
        return await withTaskGroup(of: FuzzFeedEvent?.self) { group in
            for (position, entries) in byPartition {
                group.addTask {
                    // As the consumer loop hands them over: a poll's records of one partition at once, so that
                    // good events share transactions (CONSUMER_TRANSACTION_BATCH) and bad ones split the runs.
                    var outcomes: [(Int, RecordProcessor.Outcome)] = []
                    for start in stride(from: 0, to: entries.count, by: Self.pollSize) {
                        let slice = entries[start..<min(start + Self.pollSize, entries.count)]
                        busy.state.withLock { $0[position] = (slice.first!.slot, .now) }
                        let done = await processor.process(inOrder: slice.map(\.record))
                        outcomes += zip(slice.map(\.slot), done).map { ($0, $1) }
                    }
                    busy.state.withLock { $0[position] = nil }
                    return .done(outcomes)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    let stuck = busy.state.withLock { state in state.first { ContinuousClock.now - $0.value.since > hangTimeout } }
                    if let stuck {
                        print("HANG: \(label(stuck.value.slot)) made no progress for \(hangTimeout)")
                        return .hang(stuck.value.slot)
                    }
                }
                return nil
            }
            var outcomes: [(Int, RecordProcessor.Outcome)] = []
            var remaining = byPartition.count
            var hang: Int?
            while remaining > 0, let event = await group.next() {
                switch event {
                case .done(let done):
                    outcomes += done
                    remaining -= 1
                case .hang(let slot):
                    hang = slot
                    remaining = 0
                case nil:
                    break
                }
            }
            group.cancelAll()
            return (outcomes, hang)
        }
    }
}

/// The record each partition's task is working on, and since when.
final class FuzzProgress: Sendable {
    let state = Mutex<[String: (slot: Int, since: ContinuousClock.Instant)]>([:])
}

/// What a task of ``ServiceHarness/fuzz(_:count:partitions:hangTimeout:)`` reports: a partition done, or a hang.
enum FuzzFeedEvent: Sendable {
    case done([(Int, RecordProcessor.Outcome)])
    /// The slot of the input that made no progress.
    case hang(Int)
}

/// What the runner remembers of an input once it is sent (not its bytes: a hash of them).
struct FuzzSent: Sendable {
    var index: Int
    var category: FuzzCategory
    var detail: String
    var topic: String
    var partition: Int32
    var offset: Int64
    var keyText: String?
    var valueHash: UInt64
    /// Whether the input is longer than a dead letter keeps.
    var isCut: Bool
    var expectation: FuzzExpectation
    var secret: String?
    var isBrokenCredential: Bool
    var witness: (entity: String, marker: String)?
    var outcome: RecordProcessor.Outcome?

    init(input: FuzzInput, partition: Int32, offset: Int64) {
        index = input.index
        category = input.category
        detail = input.detail
        topic = input.topic
        self.partition = partition
        self.offset = offset
        // As the dead letter carries it: invalid UTF-8 and U+0000 replaced.
        keyText = input.key.map { key in
            let scalars = String(decoding: key, as: UTF8.self).unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }
            return String(String.UnicodeScalarView(scalars))
        }
        // What the dead letter keeps of it: all of it, or its first `RecordProcessor.maximumValueBytes`.
        valueHash = FuzzHash.fnv1a(Array(input.value.prefix(RecordProcessor.maximumValueBytes)))
        isCut = input.value.count > RecordProcessor.maximumValueBytes
        expectation = input.expectation
        secret = input.secret
        isBrokenCredential = input.isBrokenCredential
        witness = input.witness
    }

    var position: String { "\(topic)/\(partition)/\(offset)" }

    /// How to name the input in a problem: category, index, position and what was done to it.
    var label: String { "\(category.rawValue) #\(index) at \(position) (\(detail.prefix(120)))" }
}

// MARK: - Checking

/// The marker every generated credential value starts with.
let fuzzSecretMarker = "FZSECRET"

extension ServiceHarness {
    private func check(_ report: inout FuzzReport, sent: [FuzzSent], generator: FuzzGenerator) async throws {
        var problems: [String] = []
        let bySlot = Dictionary(uniqueKeysWithValues: sent.enumerated().map { ($0.element.position, $0.offset) })

        // Outcomes against expectations.
        for input in sent {
            var tally = report.byCategory[input.category] ?? FuzzReport.Tally()
            tally.tried += 1
            defer { report.byCategory[input.category] = tally }
            guard let outcome = input.outcome else {
                problems.append("not run: \(input.label)")
                continue
            }
            switch outcome {
            case .processed: tally.processed += 1
            case .ignored: tally.ignored += 1
            case .duplicate: tally.duplicates += 1
            case .deadLettered(let reason):
                tally.deadLettered += 1
                report.deadLetterReasons[reason, default: 0] += 1
            case .stopped: break
            }
            switch (input.expectation, outcome) {
            case (_, .stopped): problems.append("not finished: \(input.label)")
            case (_, .duplicate): problems.append("taken for a duplicate, so dropped: \(input.label)")
            case (.processed, .processed), (.any, .processed), (.any, .deadLettered), (.deadLettered(nil), .deadLettered):
                break
            case (.deadLettered(let wanted?), .deadLettered(let reason)) where wanted == reason: break
            case (.any, .ignored):
                // Ignored is right only for a valid event of the topic that the service does not act on.
                let value = generator.input(input.index).value
                if let event = try? EventCatalog.decode(value),
                    EventCatalog.eventTypes(onTopic: input.topic).contains(event.type),
                    !service.handledEventTypes.contains(event.type)
                {
                    break
                }
                problems.append("ignored although not a known, unhandled type of its topic: \(input.label)")
            default:
                problems.append("expected \(input.expectation), got \(outcome): \(input.label)")
            }
        }

        // The inbox: one row per processed or dead-lettered input, with that outcome, written in offset order.
        var inboxSeen = Set<Int>()
        var lastWrite: [String: (offset: Int64, at: Date)] = [:]
        var inboxRows: [(String, Int32, Int64, String, Date)] = []
        for try await row in try await client.query(
            "SELECT topic, kafka_partition, kafka_offset, outcome, processed_at FROM inbox"
        ).decode((String, Int32, Int64, String, Date).self) {
            inboxRows.append(row)
        }
        inboxRows.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        for (topic, partition, offset, outcome, at) in inboxRows {
            guard let slot = bySlot["\(topic)/\(partition)/\(offset)"] else {
                problems.append("inbox row for no input: \(topic)/\(partition)/\(offset)")
                continue
            }
            let input = sent[slot]
            if !inboxSeen.insert(slot).inserted { problems.append("two inbox rows: \(input.label)") }
            switch (input.outcome, outcome) {
            case (.processed?, "processed"), (.deadLettered?, "dead_lettered"): break
            default: problems.append("inbox says \(outcome), consumer said \(String(describing: input.outcome)): \(input.label)")
            }
            let partitionName = "\(topic)/\(partition)"
            if let previous = lastWrite[partitionName], previous.at > at {
                problems.append(
                    "out of order: offset \(offset) of \(partitionName) was written before offset \(previous.offset)")
            }
            lastWrite[partitionName] = (offset, at)
        }
        for (slot, input) in sent.enumerated() where !inboxSeen.contains(slot) {
            if case .processed? = input.outcome { problems.append("processed but not in the inbox: \(input.label)") }
            if case .deadLettered? = input.outcome { problems.append("dead-lettered but not in the inbox: \(input.label)") }
        }

        // The dead letters: one per dead-lettered input, complete, credentials redacted.
        var lettered = Set<Int>()
        let generous = EventDecodingLimits(maximumMessageBytes: 8 << 20)
        for try await payload in try await client.query(
            "SELECT payload FROM outbox WHERE event_type = \(DeadLetter.V1.eventType) ORDER BY seq"
        ).decode(ByteBuffer.self) {
            let event: IncomingEvent
            do {
                event = try EventCatalog.decode(Array(buffer: payload), limits: generous)
            } catch {
                problems.append("unreadable dead letter: \(error.reason)")
                continue
            }
            guard case .deadLetter(let letter) = event.payload else { continue }
            let position = "\(letter.originalTopic)/\(letter.partition)/\(letter.offset)"
            guard let slot = bySlot[position] else {
                problems.append("dead letter for no input: \(position)")
                continue
            }
            let input = sent[slot]
            if !lettered.insert(slot).inserted { problems.append("dead-lettered twice: \(input.label)") }
            if letter.error.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("no reason: \(input.label)") }
            if letter.service != Service.name { problems.append("dead letter names \(letter.service): \(input.label)") }
            if letter.key != input.keyText { problems.append("dead letter lost the key: \(input.label)") }
            let original = letter.originalValue ?? []
            let text = String(decoding: original, as: UTF8.self)
            if let secret = input.secret, input.isBrokenCredential {
                // It cannot be redacted: the dead letter must withhold the bytes.
                if text.contains(secret) { problems.append("credential value in the dead letter: \(input.label)") }
            } else if let secret = input.secret {
                if text.contains(secret) || !text.contains(EventCatalog.redactedValue) {
                    problems.append("credential not redacted in the dead letter: \(input.label)")
                }
            } else if FuzzHash.fnv1a(original) != input.valueHash {
                problems.append("dead letter does not carry the original bytes: \(input.label)")
            } else if input.isCut, !letter.error.contains("keeps the first") {
                problems.append("dead letter cuts the value without saying so: \(input.label)")
            }
            if text.contains(fuzzSecretMarker) { problems.append("a credential value in a dead letter: \(input.label)") }
        }
        for (slot, input) in sent.enumerated() {
            let isDeadLettered = if case .deadLettered? = input.outcome { true } else { false }
            if isDeadLettered, !lettered.contains(slot) { problems.append("no dead letter: \(input.label)") }
            if !isDeadLettered, lettered.contains(slot) { problems.append("dead letter although \(String(describing: input.outcome)): \(input.label)") }
        }
        let leaks = try await client.query(
            "SELECT count(*) FROM outbox WHERE position(convert_to(\(fuzzSecretMarker), 'UTF8') IN payload) > 0"
        ).collect().first?.decode(Int64.self) ?? 0
        if leaks > 0 { problems.append("\(leaks) outbox rows carry a credential value") }

        // Order around the bad inputs: every witness entity shows its last event's marker.
        if let witness = generator.witness {
            var last: [String: String] = [:]
            for input in sent { if let event = input.witness { last[event.entity] = event.marker } }
            for (entity, marker) in last.sorted(by: { $0.key < $1.key }) {
                let rows = try await client.query(PostgresQuery(unsafeSQL: witness.finalState(entity))).collect()
                let state = try rows.first?.decode(String?.self) ?? nil
                if state != marker {
                    problems.append("order broken: \(entity) ends as \(state ?? "nothing"), its last event set \(marker)")
                }
            }
        }
        report.problems += problems
    }
}
