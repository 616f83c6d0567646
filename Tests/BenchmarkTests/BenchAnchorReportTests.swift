import Testing

/// The anchors' report (runs in `make test`: no broker, no database, only the arithmetic of the table).
@Suite("Benchmark anchors' report")
struct BenchAnchorReportTests {
    /// A tool's JSON as `rdkafka-anchor` and `bench-kafka` print it (the throughput parts), or a failed run.
    static func result(produce: Double?) -> BenchAnchors.Result {
        guard let produce else { return BenchAnchors.Result(problem: "exited with status 1") }
        let produceJSON: [String: any Sendable] = ["msgs_per_s": produce]
        let batchedJSON: [String: any Sendable] = ["msgs_per_s": produce / 10]
        return BenchAnchors.Result(json: ["produce": produceJSON, "produce_batched": batchedJSON])
    }

    @Test("the wrapper's produce ratio is the ratio of the medians over the rounds, each round's ratio shown; a failed round is left out and named")
    func medianOfRounds() {
        let anchors = BenchAnchors(
            raw: Self.result(produce: 400_000), wrapper: Self.result(produce: 180_000),
            postgres: BenchAnchors.Result(problem: "not run here"),
            extraRounds: [
                (Self.result(produce: 600_000), Self.result(produce: 330_000)),
                (Self.result(produce: 500_000), Self.result(produce: 300_000)),
                (Self.result(produce: 450_000), Self.result(produce: nil)),
            ])
        let rounds = anchors.rounds("produce.msgs_per_s")
        #expect(rounds.count == 3)
        let median = anchors.median("produce.msgs_per_s")
        #expect(median.raw == 500_000)
        #expect(median.wrapper == 300_000)
        let report = anchors.markdown(phases: [])
        let row = report.split(separator: "\n").first { $0.hasPrefix("| produce flat out") }.map(String.init) ?? ""
        #expect(row.contains("median of 3 rounds"))
        #expect(row.contains("| 500000 | 300000 | 0.60 (target ≥ 0.5); rounds 0.45, 0.55, 0.60 |"))
        #expect(report.contains("- Swift wrapper, round 4: exited with status 1"))
    }

    @Test("one round: the figures as measured, no rounds listed")
    func oneRound() {
        #expect(BenchAnchors.median([]) == nil)
        #expect(BenchAnchors.median([3, 1, 2, 10]) == 2.5)
        let anchors = BenchAnchors(
            raw: Self.result(produce: 400_000), wrapper: Self.result(produce: 200_000),
            postgres: BenchAnchors.Result(problem: "not run here"))
        let report = anchors.markdown(phases: [])
        #expect(report.contains("| produce flat out, msgs/s | 400000 | 200000 | 0.50 (target ≥ 0.5) |"))
    }
}
