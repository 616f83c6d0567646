import Foundation
import TestSupport

/// Writes each case's figures for `deploy/local/reliability.sh`, which puts them together into
/// `.concierge/reliability-report.md`: one table row per case (`case-<n>.row`) and the effects in detail
/// (`case-<n>.md`), in `CONCIERGE_RELIABILITY_OUT` (default `.concierge/reliability`).
enum ReliabilityReport {
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["CONCIERGE_RELIABILITY_OUT"] {
            return URL(fileURLWithPath: path)
        }
        return TestEnvironment.repositoryRoot.appendingPathComponent(".concierge/reliability")
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f s", seconds)
    }

    static func write(_ figures: CaseFigures) {
        let fault = figures.fault
        let result = figures.reconciliation
        let row = [
            "\(fault.number)", fault.title, "\(figures.eventsIn)", "\(result.expected)", "\(result.found)",
            "\(result.missing)", "\(result.doubled)", "\(figures.absorbed)", "\(figures.topics.republished)",
            figures.recovery.map(seconds) ?? "not recovered", seconds(figures.duration),
        ].joined(separator: " | ")
        var details = "### Case \(fault.number): \(fault.title)\n\n"
        details += figures.outcome.notes.map { "- \($0)\n" }.joined()
        details += "- outbox → topics: \(figures.topics.outboxRows) outbox rows, \(figures.topics.records) records read; "
        details += "\(figures.topics.missing) never published, \(figures.topics.differing) with another content, "
        details += "\(figures.topics.republished) extra copies, \(figures.topics.reorderedKeys) keys out of order\n\n"
        details += "| effect | expected | found | missing | doubled |\n|---|---|---|---|---|\n"
        details += result.checks.map {
            "| \($0.name) | \($0.expectedTotal) | \($0.foundTotal) | \($0.missing) | \($0.doubled) |\n"
        }.joined()
        save("| \(row) |\n", as: "case-\(fault.number).row")
        save(details + "\n", as: "case-\(fault.number).md")
    }

    /// A case without the table's figures (6b): its section only.
    static func write(case name: String, title: String, lines: [String]) {
        save("### Case \(name): \(title)\n\n" + lines.map { "- \($0)\n" }.joined() + "\n", as: "case-\(name).md")
    }

    private static func save(_ text: String, as file: String) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: directory.appendingPathComponent(file))
        } catch {
            print("reliability report not written: \(error)")
        }
    }
}
