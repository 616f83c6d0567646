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
        say("bench: anchors: PostgreSQL…")
        let postgres = await run(
            "/bin/bash", [root.appendingPathComponent("bench/anchors/pg_anchor.sh").path],
            // A count, not a duration: pgbench's -T relies on SIGALRM, which this process passes on blocked.
            environment: ["DATABASE_URL": databaseURL, "PG_ANCHOR_TRANSACTIONS": "3000"], name: "pg-anchor")
        return BenchAnchors(raw: raw, wrapper: wrapper, postgres: postgres)
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
        var lines = [
            "| anchor | raw librdkafka (C) | Swift wrapper | ratio |",
            "|---|---|---|---|",
            "| produce flat out, msgs/s | \(cell(raw.number("produce.msgs_per_s"))) | \(cell(wrapper.number("produce.msgs_per_s"))) | "
                + "\(ratio(wrapper.number("produce.msgs_per_s"), raw.number("produce.msgs_per_s"))) (target ≥ 0.5) |",
            "| produce in stop-and-wait batches of 500 (the relay's pattern), msgs/s | "
                + "\(cell(raw.number("produce_batched.msgs_per_s"))) | \(cell(wrapper.number("produce_batched.msgs_per_s"))) | "
                + "\(ratio(wrapper.number("produce_batched.msgs_per_s"), raw.number("produce_batched.msgs_per_s"))) |",
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
        let problems = [("raw librdkafka", raw), ("Swift wrapper", wrapper), ("PostgreSQL", postgres)]
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
