import Foundation
import TestSupport

/// The anchors of `make bench`, measured in the same run on the stack's own broker and database before the services
/// get any load (bench/anchors/README.md): raw librdkafka (`rdkafka-anchor`, C), the same through our wrapper
/// (`concierge bench-kafka`), and PostgreSQL's commit rate for the services' two kinds of transaction (pgbench).
/// Each tool prints one JSON object; a tool that cannot run leaves its column empty and says why.
struct BenchAnchors: Sendable {
    /// One tool's JSON, or why there is none.
    struct Result: Sendable {
        var json: [String: any Sendable]?
        var problem: String?

        func number(_ path: String) -> Double? {
            var node: (any Sendable)? = json
            for key in path.split(separator: ".") {
                node = (node as? [String: any Sendable])?[String(key)]
            }
            return (node as? NSNumber)?.doubleValue ?? (node as? Double) ?? (node as? Int).map(Double.init)
        }
    }

    var raw: Result
    var wrapper: Result
    var postgres: Result
    /// The throughput phases again, raw and wrapper taking turns (`--skip-latency`): the machine's speed drifts
    /// between runs by more than the target's margin (the raw rate alone moved from 414,000 to 601,000 msgs/s
    /// between runs), so the throughput rows report the median of every round, and each round's own ratio.
    var extraRounds: [(raw: Result, wrapper: Result)] = []

    /// How many times the Kafka throughput phases run in all (`BENCH_ANCHOR_ROUNDS`, default 3).
    static var anchorRounds: Int { max(1, Int(environment["BENCH_ANCHOR_ROUNDS"] ?? "") ?? 3) }

    static let environment = ProcessInfo.processInfo.environment

    /// Runs the three tools one after the other (each alone on the machine).
    static func measure(brokers: String, databaseURL: String) async -> BenchAnchors {
        let root = TestEnvironment.repositoryRoot
        let binDirectory = environment["CONCIERGE_BIN_DIR"] ?? root.appendingPathComponent(".build/debug").path
        let rawTool = environment["CONCIERGE_BENCH_RDKAFKA_ANCHOR"] ?? root.appendingPathComponent(".build/bench/rdkafka-anchor").path
        // The anchors' own topic, so that they never touch the contract's topics.
        let kafkaArguments = ["--brokers", brokers, "--topic", "bench.anchor.\(UUID().uuidString.prefix(8).lowercased())"]
        say("bench: anchors: raw librdkafka…")
        let raw = await run(rawTool, kafkaArguments, environment: [:], name: "rdkafka-anchor")
        say("bench: anchors: the Swift wrapper…")
        let wrapper = await run(
            "\(binDirectory)/concierge", ["bench-kafka"] + kafkaArguments, environment: [:], name: "bench-kafka")
        var extraRounds: [(raw: Result, wrapper: Result)] = []
        for round in 1..<anchorRounds {
            say("bench: anchors: Kafka throughput again, round \(round + 1) of \(anchorRounds)…")
            let skipping = kafkaArguments + ["--skip-latency"]
            let raw = await run(rawTool, skipping, environment: [:], name: "rdkafka-anchor-\(round + 1)")
            let wrapper = await run(
                "\(binDirectory)/concierge", ["bench-kafka"] + skipping, environment: [:], name: "bench-kafka-\(round + 1)")
            extraRounds.append((raw, wrapper))
        }
        say("bench: anchors: PostgreSQL…")
        let postgres = await run(
            "/bin/bash", [root.appendingPathComponent("bench/anchors/pg_anchor.sh").path],
            // A count, not a duration: pgbench's -T relies on SIGALRM, which this process passes on blocked.
            environment: ["DATABASE_URL": databaseURL, "PG_ANCHOR_TRANSACTIONS": "3000"], name: "pg-anchor")
        return BenchAnchors(raw: raw, wrapper: wrapper, postgres: postgres, extraRounds: extraRounds)
    }

    /// A throughput figure of every round, raw and wrapper, in round order (rounds a tool failed in left out).
    func rounds(_ path: String) -> [(raw: Double, wrapper: Double)] {
        ([(raw, wrapper)] + extraRounds).compactMap { round in
            guard let raw = round.raw.number(path), let wrapper = round.wrapper.number(path) else { return nil }
            return (raw, wrapper)
        }
    }

    /// The median of a throughput figure over the rounds, for each side.
    func median(_ path: String) -> (raw: Double?, wrapper: Double?) {
        let all = rounds(path)
        return (Self.median(all.map(\.raw)), Self.median(all.map(\.wrapper)))
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Runs a tool to its end (at most 5 minutes); its stdout must be one JSON object. Its stderr goes to
    /// `.concierge/bench/<name>.log` (or `CONCIERGE_BENCH_OUT`).
    static func run(_ executable: String, _ arguments: [String], environment extra: [String: String], name: String)
        async -> Result
    {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            return Result(problem: "\(executable) is missing (bench/anchors/build.sh builds the C anchor)")
        }
        let directory = environment["CONCIERGE_BENCH_OUT"] ?? NSTemporaryDirectory()
        let logPath = "\(directory)/\(name).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: logPath)
        do {
            try process.run()
        } catch {
            return Result(problem: "\(name) did not start: \(error)")
        }
        // Read stdout on its own thread so that a full pipe never blocks the tool.
        let reading = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        let deadline = ContinuousClock.now + .seconds(300)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(200))
        }
        if process.isRunning {
            process.terminate()
            return Result(problem: "\(name) did not finish within 5 minutes (see \(logPath))")
        }
        let data = await reading.value
        guard process.terminationStatus == 0 else {
            return Result(problem: "\(name) exited with status \(process.terminationStatus) (see \(logPath))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return Result(problem: "\(name) printed no JSON object (see \(logPath))")
        }
        return Result(json: sendable(object) as? [String: any Sendable])
    }

    /// JSONSerialization's tree as Sendable values (dictionaries, arrays, numbers, strings).
    private static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let dictionary as [String: Any]: dictionary.mapValues(sendable)
        case let array as [Any]: array.map(sendable)
        case let number as NSNumber: number.doubleValue
        case let string as String: string
        default: "\(value)"
        }
    }

    // MARK: - Report

    /// The anchors' table and Concierge's figures as ratios of them.
    func markdown(phases: [PhaseFigures]) -> String {
        func cell(_ value: Double?, _ format: String = "%.0f") -> String {
            value.map { String(format: format, $0) } ?? "–"
        }
        func ratio(_ a: Double?, _ b: Double?) -> String {
            guard let a, let b, b > 0 else { return "–" }
            return String(format: "%.2f", a / b)
        }
        func roundRatios(_ path: String) -> String {
            let all = rounds(path)
            guard all.count > 1 else { return "" }
            return "; rounds " + all.map { String(format: "%.2f", $0.wrapper / $0.raw) }.joined(separator: ", ")
        }
        let produce = median("produce.msgs_per_s")
        let batched = median("produce_batched.msgs_per_s")
        let roundCount = rounds("produce.msgs_per_s").count
        let throughputNote = roundCount > 1 ? ", median of \(roundCount) rounds" : ""
        var lines = [
            "| anchor | raw librdkafka (C) | Swift wrapper | ratio |",
            "|---|---|---|---|",
            "| produce flat out, msgs/s\(throughputNote) | \(cell(produce.raw)) | \(cell(produce.wrapper)) | "
                + "\(ratio(produce.wrapper, produce.raw)) (target ≥ 0.5)\(roundRatios("produce.msgs_per_s")) |",
            "| produce in stop-and-wait batches of 500 (the relay's pattern), msgs/s\(throughputNote) | "
                + "\(cell(batched.raw)) | \(cell(batched.wrapper)) | "
                + "\(ratio(batched.wrapper, batched.raw))\(roundRatios("produce_batched.msgs_per_s")) |",
            "| produce → delivery report p99 at 1,000/s, ms | \(cell(raw.number("latency.delivery_ms.p99"), "%.2f")) | "
                + "\(cell(wrapper.number("latency.delivery_ms.p99"), "%.2f")) | "
                + difference(wrapper.number("latency.delivery_ms.p99"), raw.number("latency.delivery_ms.p99")) + " |",
            "| produce → consumed p99 at 1,000/s, ms | \(cell(raw.number("latency.end_to_end_ms.p99"), "%.2f")) | "
                + "\(cell(wrapper.number("latency.end_to_end_ms.p99"), "%.2f")) | "
                + difference(wrapper.number("latency.end_to_end_ms.p99"), raw.number("latency.end_to_end_ms.p99")) + " |",
        ]
        let walkInTPS = postgres.number("walkin.tps")
        let consumerTPS = postgres.number("consumer.tps")
        lines += [
            "",
            "| PostgreSQL (pgbench, \(cell(postgres.number("clients"))) clients) | transactions/s | p99 |",
            "|---|---|---|",
            "| one visit row + one outbox row (intake's side of a walk-in) | \(cell(walkInTPS)) | "
                + "\(cell(postgres.number("walkin.latency_ms.p99"), "%.2f")) ms |",
            "| one inbox row + one task row (a consumer's handler) | \(cell(consumerTPS)) | "
                + "\(cell(postgres.number("consumer.latency_ms.p99"), "%.2f")) ms |",
        ]
        let problems = ([("raw librdkafka", raw), ("Swift wrapper", wrapper), ("PostgreSQL", postgres)]
            + extraRounds.enumerated().flatMap { index, round in
                [("raw librdkafka, round \(index + 2)", round.raw), ("Swift wrapper, round \(index + 2)", round.wrapper)]
            })
            .compactMap { name, result in result.problem.map { "- \(name): \($0)" } }
        if !problems.isEmpty { lines += ["", "Not measured:"] + problems }

        // Concierge against the anchors, per phase.
        let hop = raw.number("latency.end_to_end_ms.p99")
        lines += [
            "",
            "Concierge as ratios of the anchors: walk-ins per second against PostgreSQL's walk-in transactions per "
                + "second; events consumed per second (all five services) against its consumer transactions per second; "
                + "the walk-in's p99 against three raw produce → consume hops (visit → intake → assignment → engagement).",
            "",
            "| phase | walk-ins/s ÷ PG walk-in tps | events consumed/s ÷ PG consumer tps | p99 ÷ 3 raw hops |",
            "|---|---|---|---|",
        ]
        for phase in phases {
            let consumed = phase.services.values.reduce(0) { $0 + $1.consumed }
            let consumedRate = Double(consumed) / phase.endToEndSeconds
            lines.append(
                "| \(phase.name) | \(ratio(phase.sustained, walkInTPS)) | \(ratio(consumedRate, consumerTPS)) | "
                    + "\(ratio(phase.latencies.p99, hop.map { $0 * 3 })) |")
        }
        return lines.joined(separator: "\n")
    }

    private func difference(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b else { return "–" }
        return String(format: "%+.2f ms", a - b)
    }
}
