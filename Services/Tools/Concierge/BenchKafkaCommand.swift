import ArgumentParser
import Foundation
import Logging
import Messaging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `concierge bench-kafka`: the Swift twin of `bench/anchors/rdkafka_anchor.c`, measuring the same things through
/// `Messaging`'s ``KafkaProducer`` and ``KafkaConsumer`` as the services use them.
///
/// Same arguments, phases, message shape (first 24 bytes: run id, sequence, CLOCK_MONOTONIC send time; a key out
/// of `--keys`; `--headers` CloudEvents headers as the outbox relay sends) and JSON keys as the C anchor, so the
/// benchmark driver can put the two side by side. Differences that the wrapper's API imposes are listed in the
/// JSON's `notes`.
struct BenchKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kafka",
        abstract: "Measure produce rate and produce→delivery / produce→consume latency through the Kafka wrapper.",
        discussion: """
            The twin of bench/anchors/rdkafka_anchor.c (raw librdkafka): run both against the same broker \
            (`concierge dev-broker`) and compare. Prints one JSON object on stdout; progress on stderr. \
            Producer settings are the services' (KafkaProducer defaults, KAFKA_* variables, then -X).
            """
    )

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Topic to produce to and consume from (created on first use by the development broker).")
    var topic = "bench.anchor.kafka"

    @Option(help: "Messages per throughput phase.")
    var messages = 200_000

    @Option(help: "Message value size in bytes (≥ 24).")
    var size = 300

    @Option(help: "Messages per second in the latency phase.")
    var rate: Double = 1000

    @Option(help: "Measured seconds of the latency phase.")
    var seconds: Double = 10

    @Option(help: "Seconds at the start of the latency phase that are discarded.")
    var warmup: Double = 3

    @Option(help: "Records per send in the throughput phases (the outbox relay's OUTBOX_BATCH_SIZE).")
    var batch = 500

    @Option(help: "Batches in flight in the pipelined phase (default: librdkafka's 100,000-message queue / --batch).")
    var inFlight: Int?

    @Option(help: "Headers per message, at most 5 (the relay sends 5 CloudEvents headers).")
    var headers = 5

    @Option(help: "Distinct message keys (0 = null keys).")
    var keys = 1000

    @Option(help: "Consumer fetch.wait.max.ms (the services use 10 against the development broker).")
    var fetchWaitMaxMs = 10

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("A librdkafka producer property (repeatable).", valueName: "property=value"))
    var property: [String] = []

    @Flag(help: "Skip the throughput phases.")
    var skipThroughput = false

    @Flag(help: "Throughput phases: build one batch of records once and send it repeatedly (times the wrapper alone).")
    var prebuilt = false

    @Flag(help: "Skip the latency phase.")
    var skipLatency = false

    func validate() throws {
        guard size >= BenchMessages.headerBytes else { throw ValidationError("--size must be at least 24") }
        guard messages > 0, batch > 0, rate > 0, seconds > 0, warmup >= 0 else {
            throw ValidationError("--messages, --batch, --rate and --seconds must be positive")
        }
        guard (0...5).contains(headers) else { throw ValidationError("--headers must be 0…5") }
        guard keys >= 0 else { throw ValidationError("--keys must be ≥ 0") }
        guard property.allSatisfy({ $0.split(separator: "=", maxSplits: 1).count == 2 }) else {
            throw ValidationError("-X expects property=value")
        }
    }

    func run() async throws {
        var logger = Logger(label: "concierge.bench-kafka")
        logger.logLevel = .warning
        var configuration = try kafka.configuration()
        for entry in property {
            let parts = entry.split(separator: "=", maxSplits: 1)
            configuration.producerProperties[String(parts[0])] = String(parts[1])
        }
        configuration.consumerProperties["auto.offset.reset"] = "latest"  // only this run's messages
        configuration.consumerProperties["fetch.wait.max.ms"] = String(fetchWaitMaxMs)

        let outcomes = try await KafkaAdmin.ensureTopics(
            [topic], configuration: configuration, logger: logger, timeout: .seconds(10))
        let factory = BenchMessages(
            runID: Self.makeRunID(), size: size, headers: headers, keys: keys, topic: topic)
        let producer = try KafkaProducer(
            configuration: configuration, clientID: "concierge-bench-kafka", logger: logger)
        let state = BenchState()
        let runner = KafkaBenchPhases(
            options: .init(
                topic: topic, messages: messages, size: size, rate: rate, seconds: seconds, warmup: warmup,
                batch: batch, inFlight: inFlight ?? max(1, 100_000 / batch), throughput: !skipThroughput,
                latency: !skipLatency, prebuilt: prebuilt),
            factory: factory, state: state, configuration: configuration, logger: logger)

        let phases = try await producer.withRunning(logger: logger) { producer in
            try await runner.runAll(producer)
        }
        let report = BenchKafkaReport(
            librdkafkaVersion: Self.librdkafkaVersion(),
            brokers: configuration.bootstrapServers,
            topic: topic,
            partitions: outcomes[topic]?.partitionCount,
            settings: Self.settings(configuration, fetchWaitMaxMs: fetchWaitMaxMs),
            message: .init(size: size, headers: headers, keys: keys),
            produce: phases.pipelined,
            produceBatched: phases.batched,
            latency: phases.latency,
            deliveryErrors: state.deliveryErrors.load(ordering: .relaxed),
            firstDeliveryError: state.firstDeliveryError.withLock { $0 } ?? "",
            peakRssMb: (ResourceUsage.now().peakRSSKilobytes / 1024 * 10).rounded() / 10,
            notes: Self.notes(batch: batch, inFlight: runner.options.inFlight, prebuilt: prebuilt))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        printLine(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// The settings the wrapper applies (its effective values are internal to `Messaging`): its defaults, the
    /// caller's properties, then the forced ones. Keys not listed are librdkafka's defaults.
    static func settings(_ configuration: KafkaConfiguration, fetchWaitMaxMs: Int) -> [String: String] {
        var settings = ["linger.ms": "5", "partitioner": "murmur2_random"]
        settings.merge(configuration.properties) { $1 }
        settings.merge(configuration.producerProperties) { $1 }
        settings["enable.idempotence"] = "true"
        settings["acks"] = "all"
        settings["consumer.fetch.wait.max.ms"] = String(fetchWaitMaxMs)
        return settings
    }

    static func notes(batch: Int, inFlight: Int, prebuilt: Bool) -> [String] {
        [
            "delivery reports served by KafkaProducer.run()'s own thread (rd_kafka_poll 100 ms), completing async "
                + "sends",
            "warm-up: 2000 messages before the throughput phases",
            "produce: send([KafkaOutgoingRecord]) batches of \(batch), up to \(inFlight) batches in flight (C: "
                + "produce until QUEUE_FULL); enqueue_msgs_per_s is not observable through the API",
            "produce_batched: one send([…]) of \(batch) awaited at a time, as OutboxRelay.publishBatch sends",
            prebuilt
                ? "throughput phases with --prebuilt: one batch of records built once and sent repeatedly (the "
                    + "wrapper alone, no record building)"
                : "throughput phases build each KafkaOutgoingRecord (value, key, header arrays) inside the timed "
                    + "loop, as the relay does per outbox row",
            "latency: one child task per message awaiting send(_:); delivery and end-to-end measured on the same "
                + "messages; end-to-end stamped when KafkaConsumer.poll(maxRecords: 500, timeout: 100 ms) returns",
            "settings: the wrapper's documented defaults and forced values plus overrides (KAFKA_*, -X); keys not "
                + "listed are librdkafka defaults",
        ]
    }

    static func makeRunID() -> UInt64 {
        let id = BenchClock.nanoseconds() ^ (UInt64(UInt32(bitPattern: getpid())) << 40)
        return id == 0 ? 1 : id
    }

    /// The version of the librdkafka this process loaded, looked up by symbol so this module needs no C import
    /// (only `Messaging` imports `CRdKafka`).
    static func librdkafkaVersion() -> String? {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "rd_kafka_version_str") else {
            return nil
        }
        typealias VersionFunction = @convention(c) () -> UnsafePointer<CChar>?
        return unsafeBitCast(symbol, to: VersionFunction.self)().map { String(cString: $0) }
    }
}

// MARK: - Phases

/// The three phases, run while the producer's delivery-report loop runs.
private struct KafkaBenchPhases: Sendable {
    struct Options: Sendable {
        var topic: String
        var messages: Int
        var size: Int
        var rate: Double
        var seconds: Double
        var warmup: Double
        var batch: Int
        var inFlight: Int
        var throughput: Bool
        var latency: Bool
        var prebuilt: Bool
    }

    let options: Options
    let factory: BenchMessages
    let state: BenchState
    let configuration: KafkaConfiguration
    let logger: Logger

    struct Outcome: Sendable {
        var pipelined: BenchKafkaReport.Throughput?
        var batched: BenchKafkaReport.Throughput?
        var latency: BenchKafkaReport.Latency?
    }

    static let warmupMessages = 2000

    func runAll(_ producer: KafkaProducer) async throws -> Outcome {
        var outcome = Outcome()
        var nextSeq: UInt64 = 0
        // Warm-up, not timed: connections to every partition leader, producer id (idempotence).
        _ = await produce(producer, first: nextSeq, count: Self.warmupMessages, inFlight: options.inFlight)
        nextSeq += UInt64(Self.warmupMessages)
        if options.throughput {
            printError(
                "bench-kafka: produce: \(options.messages) × \(options.size) B, batches of \(options.batch), "
                    + "\(options.inFlight) in flight")
            let pipelined = await throughput(producer, first: nextSeq, inFlight: options.inFlight, mode: "pipelined")
            nextSeq += UInt64(options.messages)
            printError("bench-kafka: produce: \(Int(pipelined.msgsPerS)) msgs/s, \(pipelined.cpuS) CPU s")
            let batched = await throughput(producer, first: nextSeq, inFlight: 1, mode: "stop-and-wait batches")
            nextSeq += UInt64(options.messages)
            printError("bench-kafka: produce_batched: \(Int(batched.msgsPerS)) msgs/s")
            outcome.pipelined = pipelined
            outcome.batched = batched
        }
        if options.latency {
            outcome.latency = try await latency(producer, first: nextSeq)
        }
        return outcome
    }

    /// Sends `count` messages in batches of `--batch` with up to `inFlight` batches awaiting their reports;
    /// returns the monotonic time the last batch completed.
    private func produce(_ producer: KafkaProducer, first: UInt64, count: Int, inFlight: Int) async -> UInt64 {
        let batch = options.batch
        let factory = self.factory
        let state = self.state
        let prebuilt = options.prebuilt ? (0..<batch).map { factory.stampedRecord(seq: first + UInt64($0)) } : nil
        return await withTaskGroup(of: UInt64.self) { group in
            var running = 0
            var last: UInt64 = 0
            for start in stride(from: 0, to: count, by: batch) {
                if running == inFlight, let done = await group.next() {
                    last = max(last, done)
                    running -= 1
                }
                let end = min(count, start + batch)
                let records =
                    prebuilt.map { end - start == $0.count ? $0 : Array($0.prefix(end - start)) }
                    ?? (start..<end).map { factory.stampedRecord(seq: first + UInt64($0)) }
                group.addTask {
                    for result in await producer.send(records) {
                        if case .failure(let error) = result { state.deliveryFailed(error) }
                    }
                    return BenchClock.nanoseconds()
                }
                running += 1
            }
            for await done in group { last = max(last, done) }
            return last
        }
    }

    private func throughput(
        _ producer: KafkaProducer, first: UInt64, inFlight: Int, mode: String
    ) async -> BenchKafkaReport.Throughput {
        let errorsBefore = state.deliveryErrors.load(ordering: .relaxed)
        let cpu0 = ResourceUsage.now()
        let t0 = BenchClock.nanoseconds()
        let t1 = await produce(producer, first: first, count: options.messages, inFlight: inFlight)
        let cpu1 = ResourceUsage.now()
        let seconds = Double(t1 - t0) / 1e9
        let cpuUser = cpu1.userSeconds - cpu0.userSeconds
        let cpuSys = cpu1.systemSeconds - cpu0.systemSeconds
        let count = Double(options.messages)
        return .init(
            mode: mode, messages: options.messages, batch: options.batch, inFlightBatches: inFlight,
            seconds: rounded(seconds, 4), msgsPerS: (count / seconds).rounded(), enqueueMsgsPerS: nil,
            mbPerS: rounded(count * Double(options.size) / seconds / 1e6, 2),
            cpuS: rounded(cpuUser + cpuSys, 3), cpuUserS: rounded(cpuUser, 3), cpuSysS: rounded(cpuSys, 3),
            msgsPerCpuS: cpuUser + cpuSys > 0 ? (count / (cpuUser + cpuSys)).rounded() : 0,
            errors: state.deliveryErrors.load(ordering: .relaxed) - errorsBefore)
    }

    private func latency(_ producer: KafkaProducer, first: UInt64) async throws -> BenchKafkaReport.Latency {
        let total = Int((options.rate * (options.warmup + options.seconds)).rounded())
        let warm = Int((options.rate * options.warmup).rounded())
        let samples = LatencySamples(first: first, count: total, warm: warm)
        let consumer = try KafkaConsumer(
            configuration: configuration, groupID: String(format: "concierge-bench-kafka-%016llx", factory.runID),
            topics: [options.topic], clientID: "concierge-bench-kafka", logger: logger)
        let factory = self.factory
        let state = self.state

        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await consume(consumer, samples: samples) }
            let wait0 = BenchClock.nanoseconds()
            while !state.consumerAssigned.load(ordering: .acquiring) {
                guard BenchClock.nanoseconds() - wait0 < 30_000_000_000 else {
                    throw BenchKafkaError(description: "the consumer got no assignment within 30 s")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let readyMs = Int((BenchClock.nanoseconds() - wait0) / 1_000_000)
            printError(
                "bench-kafka: latency: consumer assigned after \(readyMs) ms; \(total) msgs at "
                    + "\(Int(options.rate))/s (first \(options.warmup) s discarded)")

            let cpu0 = ResourceUsage.now()
            let t0 = BenchClock.nanoseconds()
            var lagMax = 0.0
            await withDiscardingTaskGroup { sends in
                var sent = 0
                while sent < total {
                    let now = BenchClock.nanoseconds()
                    let due = min(total, Int(Double(now - t0) / 1e9 * options.rate) + 1)
                    if sent < due { lagMax = max(lagMax, Double(now - t0) / 1e6 - Double(sent) / options.rate * 1e3) }
                    while sent < due {
                        let seq = first + UInt64(sent)
                        sends.addTask {
                            // Stamped right before the send, as the C anchor stamps right before produceva.
                            var record = factory.record(seq: seq)
                            let sentAt = factory.stamp(&record)
                            do throws(KafkaError) {
                                _ = try await producer.send(record)
                                samples.recordDelivery(seq: seq, nanoseconds: BenchClock.nanoseconds() - sentAt)
                            } catch {
                                state.deliveryFailed(error)
                            }
                        }
                        sent += 1
                    }
                    let next = t0 + UInt64(Double(sent) / options.rate * 1e9)
                    let now2 = BenchClock.nanoseconds()
                    if next > now2 { try? await Task.sleep(nanoseconds: next - now2) }
                }
            }
            let runSeconds = Double(BenchClock.nanoseconds() - t0) / 1e9
            let drained = BenchClock.nanoseconds()
            while samples.consumedMeasured < total - warm, BenchClock.nanoseconds() - drained < 5_000_000_000 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let cpu1 = ResourceUsage.now()
            state.stopConsumer.store(true, ordering: .releasing)
            try await tasks.waitForAll()
            let cpuUser = cpu1.userSeconds - cpu0.userSeconds
            let cpuSys = cpu1.systemSeconds - cpu0.systemSeconds
            return BenchKafkaReport.Latency(
                rate: options.rate, warmupS: options.warmup, seconds: options.seconds, sent: total,
                measured: total - warm, runSeconds: rounded(runSeconds, 3), scheduleLagMaxMs: rounded(lagMax, 3),
                consumerReadyMs: readyMs, cpuS: rounded(cpuUser + cpuSys, 3), cpuUserS: rounded(cpuUser, 3),
                cpuSysS: rounded(cpuSys, 3), consumedOther: state.consumedOther.load(ordering: .relaxed),
                deliveryMs: samples.percentiles(\.delivery), endToEndMs: samples.percentiles(\.endToEnd))
        }
    }

    /// The service's consumer loop (EventConsumerLoop): poll a batch, handle it, store its offsets.
    private func consume(_ consumer: KafkaConsumer, samples: LatencySamples) async throws {
        do {
            try await consumeUntilStopped(consumer, samples: samples)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    private func consumeUntilStopped(_ consumer: KafkaConsumer, samples: LatencySamples) async throws {
        while !state.stopConsumer.load(ordering: .acquiring) {
            let records = try await consumer.poll(maxRecords: 500, timeout: .milliseconds(100))
            if !state.consumerAssigned.load(ordering: .relaxed), !consumer.assignment.isEmpty {
                state.consumerAssigned.store(true, ordering: .releasing)
            }
            guard !records.isEmpty else { continue }
            let now = BenchClock.nanoseconds()
            for record in records {
                if let (seq, sentAt) = factory.fields(of: record.value), samples.contains(seq) {
                    samples.recordEndToEnd(seq: seq, nanoseconds: now - sentAt)
                } else {
                    state.consumedOther.add(1, ordering: .relaxed)
                }
            }
            try consumer.storeOffsets(records)
        }
    }
}

private struct BenchKafkaError: Error, CustomStringConvertible {
    var description: String
}

// MARK: - Messages

/// Builds the anchor's messages: the layout `rdkafka_anchor.c` uses.
private struct BenchMessages: Sendable {
    static let headerBytes = 24
    let runID: UInt64
    let size: Int
    let headers: Int
    let keys: Int
    let topic: String

    private static let headerNames = ["ce_specversion", "ce_id", "ce_type", "ce_source", "content-type"]

    /// A record for `seq` whose send time is not stamped yet.
    func record(seq: UInt64) -> KafkaOutgoingRecord {
        var value = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        value.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: runID, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: seq, toByteOffset: 8, as: UInt64.self)
        }
        let key = keys > 0 ? Array("customer-".utf8) + Self.digits(seq % UInt64(keys), count: 6, radix: 10) : nil
        var list: [KafkaHeader] = []
        if headers > 0 {
            let ceID = Array("00000000-0000-4000-8000-".utf8) + Self.digits(seq, count: 12, radix: 16)
            let values = [Array("1.0".utf8), ceID, Array("bench.anchor.sent".utf8), Array("bench-anchor".utf8),
                          Array("application/cloudevents+json".utf8)]
            list = (0..<headers).map { KafkaHeader(key: Self.headerNames[$0], value: values[$0]) }
        }
        return KafkaOutgoingRecord(topic: topic, key: key, value: value, headers: list)
    }

    /// Writes the current CLOCK_MONOTONIC time into the record; returns it.
    func stamp(_ record: inout KafkaOutgoingRecord) -> UInt64 {
        let now = BenchClock.nanoseconds()
        record.value.withUnsafeMutableBytes { $0.storeBytes(of: now, toByteOffset: 16, as: UInt64.self) }
        return now
    }

    func stampedRecord(seq: UInt64) -> KafkaOutgoingRecord {
        var record = record(seq: seq)
        _ = stamp(&record)
        return record
    }

    /// Sequence number and send time of one of this run's messages.
    func fields(of value: [UInt8]) -> (UInt64, UInt64)? {
        guard value.count >= Self.headerBytes else { return nil }
        return value.withUnsafeBytes { bytes in
            guard bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == runID else { return nil }
            return (
                bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            )
        }
    }

    private static func digits(_ value: UInt64, count: Int, radix: UInt64) -> [UInt8] {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: count)
        var rest = value
        for index in stride(from: count - 1, through: 0, by: -1) where rest > 0 {
            let digit = UInt8(rest % radix)
            digits[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            rest /= radix
        }
        return digits
    }
}

// MARK: - Measurement state

/// Counters shared by the phases, the send tasks and the consumer task.
private final class BenchState: Sendable {
    let deliveryErrors = Atomic<Int>(0)
    let firstDeliveryError = Mutex<String?>(nil)
    let consumerAssigned = Atomic<Bool>(false)
    let stopConsumer = Atomic<Bool>(false)
    let consumedOther = Atomic<Int>(0)

    func deliveryFailed(_ error: KafkaError) {
        deliveryErrors.add(1, ordering: .relaxed)
        firstDeliveryError.withLock { $0 = $0 ?? (error.rdKafkaErrorName ?? "\(error.code)") }
    }
}

/// Latency samples (ns) of the latency phase, indexed by sequence number − `first`; -1 = not seen.
private final class LatencySamples: Sendable {
    struct Samples {
        var delivery: [Int64]
        var endToEnd: [Int64]
        var consumedMeasured = 0
    }

    let first: UInt64
    let count: Int
    let warm: Int
    private let samples: Mutex<Samples>

    init(first: UInt64, count: Int, warm: Int) {
        self.first = first
        self.count = count
        self.warm = warm
        self.samples = Mutex(
            Samples(delivery: Array(repeating: -1, count: count), endToEnd: Array(repeating: -1, count: count)))
    }

    func contains(_ seq: UInt64) -> Bool { seq >= first && seq - first < UInt64(count) }
    var consumedMeasured: Int { samples.withLock { $0.consumedMeasured } }

    func recordDelivery(seq: UInt64, nanoseconds: UInt64) {
        samples.withLock { $0.delivery[Int(seq - first)] = Int64(nanoseconds) }
    }

    func recordEndToEnd(seq: UInt64, nanoseconds: UInt64) {
        let index = Int(seq - first)
        samples.withLock {
            $0.endToEnd[index] = Int64(nanoseconds)
            if index >= warm { $0.consumedMeasured += 1 }
        }
    }

    /// Nearest-rank percentiles in ms over the samples after the warm-up, as the C anchor computes them.
    func percentiles(_ series: KeyPath<Samples, [Int64]>) -> BenchKafkaReport.Percentiles {
        let values = samples.withLock { $0[keyPath: series] }[warm...]
        let sorted = values.filter { $0 >= 0 }.sorted()
        let n = sorted.count
        func at(_ q: Double) -> Double {
            guard n > 0 else { return 0 }
            let rank = Int((q * Double(n)).rounded(.up))
            return rounded(Double(sorted[max(rank, 1) - 1]) / 1e6, 3)
        }
        let mean = n > 0 ? Double(sorted.reduce(0, +)) / Double(n) / 1e6 : 0
        return .init(
            count: n, missing: values.count - n, mean: rounded(mean, 3), p50: at(0.50), p95: at(0.95), p99: at(0.99),
            p999: at(0.999), max: at(1.0))
    }
}

// MARK: - Clocks and resources

private enum BenchClock {
    /// CLOCK_MONOTONIC in nanoseconds, the clock the C anchor stamps messages with.
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// `getrusage(RUSAGE_SELF)`: CPU of the whole process (librdkafka's threads included) and peak RSS.
private struct ResourceUsage {
    var userSeconds: Double
    var systemSeconds: Double
    var peakRSSKilobytes: Double

    static func now() -> ResourceUsage {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return ResourceUsage(
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            peakRSSKilobytes: Double(usage.ru_maxrss))
    }
}

private func rounded(_ value: Double, _ places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}

// MARK: - Report

/// The JSON printed on stdout; keys (snake_case) match `rdkafka_anchor.c`'s.
private struct BenchKafkaReport: Encodable, Sendable {
    struct Message: Encodable, Sendable {
        var size: Int
        var headers: Int
        var keys: Int
    }

    struct Throughput: Encodable, Sendable {
        var mode: String
        var messages: Int
        var batch: Int
        var inFlightBatches: Int
        var seconds: Double
        var msgsPerS: Double
        var enqueueMsgsPerS: Double?
        var mbPerS: Double
        var cpuS: Double
        var cpuUserS: Double
        var cpuSysS: Double
        var msgsPerCpuS: Double
        var errors: Int
    }

    struct Percentiles: Encodable, Sendable {
        var count: Int
        var missing: Int
        var mean: Double
        var p50: Double
        var p95: Double
        var p99: Double
        var p999: Double
        var max: Double
    }

    struct Latency: Encodable, Sendable {
        var rate: Double
        var warmupS: Double
        var seconds: Double
        var sent: Int
        var measured: Int
        var runSeconds: Double
        var scheduleLagMaxMs: Double
        var consumerReadyMs: Int
        var cpuS: Double
        var cpuUserS: Double
        var cpuSysS: Double
        var consumedOther: Int
        var deliveryMs: Percentiles
        var endToEndMs: Percentiles
    }

    var tool = "concierge bench-kafka"
    var client = "Messaging wrapper (Swift)"
    var librdkafkaVersion: String?
    var brokers: String
    var topic: String
    var partitions: Int?
    var settings: [String: String]
    var settingsSource = "wrapper defaults and forced settings plus overrides; unlisted keys are librdkafka defaults"
    var message: Message
    var produce: Throughput?
    var produceBatched: Throughput?
    var latency: Latency?
    var deliveryErrors: Int
    var firstDeliveryError: String
    var peakRssMb: Double
    var notes: [String]
}
