import Foundation

// MARK: - SimulationProgress

/// The progress line on standard error, once a second: elapsed time, events sent by kind, the current rate against
/// the target, delivery failures and records in flight. On a terminal the line rewrites itself (`\r`); otherwise
/// (a log file, a pipe) each report is its own line.
struct SimulationProgress: Sendable {
    let phase: String
    let tally: SimulationTally
    let start: ContinuousClock.Instant
    /// The target walk-ins per second and events per second at a given elapsed time, when the pace has one.
    let targets: @Sendable (Double) -> (walkIns: Double?, events: Double?)

    static let isTerminal = isatty(STDERR_FILENO) != 0

    /// Reports every second until cancelled, then once more with the final counts.
    func run() async {
        var previous = (time: start, sent: 0, walkIns: 0)
        var tick = 0
        while !Task.isCancelled {
            // Ticks on whole seconds from the start, so a late wake-up under load does not shift the next ones.
            tick += 1
            try? await Task.sleep(until: start + .seconds(tick), clock: .continuous)
            let now = ContinuousClock.now
            let snapshot = tally.snapshot
            let seconds = (now - previous.time).inSeconds
            let walkIns = snapshot.sentByKind[.walkIns] ?? 0
            let final = Task.isCancelled
            // The last line gives the phase's average rates; the others, the last second's.
            let (interval, sent, arrived) =
                final
                ? ((now - start).inSeconds, snapshot.sent, walkIns)
                : (seconds, snapshot.sent - previous.sent, walkIns - previous.walkIns)
            let rates = interval > 0 ? (events: Double(sent) / interval, walkIns: Double(arrived) / interval) : (0, 0)
            write(line(snapshot, elapsed: now - start, rates: rates, average: final), final: final)
            previous = (now, snapshot.sent, walkIns)
        }
    }

    func line(
        _ snapshot: SimulationTally.Snapshot, elapsed: Duration, rates: (events: Double, walkIns: Double), average: Bool
    ) -> String {
        let seconds = elapsed.inSeconds
        let kinds = SimulationKind.allCases.compactMap { kind in
            snapshot.sentByKind[kind].map { "\(kind.label) \($0)" }
        }
        let target = targets(seconds)
        var parts = [
            "\(phase) \(format(seconds, decimals: 1))s", "sent \(snapshot.sent) (\(kinds.joined(separator: ", ")))",
            (average ? "average " : "") + "\(format(rates.events))/s"
                + (target.events.map { " (target \(format($0)))" } ?? ""),
        ]
        if snapshot.sentByKind[.walkIns] != nil {
            parts.append(
                "walk-ins \(format(rates.walkIns))/s" + (target.walkIns.map { " (target \(format($0)))" } ?? ""))
        }
        parts.append("failed \(snapshot.failed)")
        parts.append("in flight \(snapshot.inFlight)")
        return parts.joined(separator: " | ")
    }

    private func write(_ line: String, final: Bool) {
        let text = Self.isTerminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A rate or a time with `decimals` digits after the point.
func format(_ value: Double, decimals: Int = 0) -> String {
    guard value.isFinite else { return "–" }
    let scale = pow(10, Double(decimals))
    let rounded = (value * scale).rounded() / scale
    return decimals == 0 ? String(Int(rounded)) : String(rounded)
}
