import Foundation
import TestSupport

/// Percentiles of a sample, nearest rank.
struct Percentiles: Sendable {
    var count: Int
    var p50: Double
    var p95: Double
    var p99: Double
    var max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        count = sorted.count
        func rank(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        p50 = rank(0.50)
        p95 = rank(0.95)
        p99 = rank(0.99)
        max = sorted.last ?? 0
    }
}

/// One service process at one moment: its CPU time and memory (from `/proc`) and its consumed-events counter.
struct ServiceSample: Sendable {
    var cpuSeconds: Double
    var residentMB: Double
    var peakResidentMB: Double
    var consumed: Int
    var produced: Int

    static let services = ConciergeStack.serviceNames

    /// Every instance of every service, by instance name (`intake`, `intake#2`…).
    static func instances(_ stack: ConciergeStack) -> [String] {
        services.flatMap { stack.instances(of: $0) }
    }

    static func all(_ stack: ConciergeStack) async throws -> [String: ServiceSample] {
        var samples: [String: ServiceSample] = [:]
        for service in instances(stack) {
            guard let process = stack.process(service) else { throw BenchError("\(service) is not running") }
            let pid = process.processIdentifier
            let page = String(decoding: (await TestHTTP.get("\(stack.url(service))/metrics"))?.body ?? Data(), as: UTF8.self)
            samples[service] = ServiceSample(
                cpuSeconds: try cpuSeconds(pid), residentMB: try memory(pid, "VmRSS"),
                peakResidentMB: try memory(pid, "VmHWM"),
                consumed: counter("concierge_events_consumed_total", in: page),
                produced: counter("concierge_events_produced_total", in: page))
        }
        return samples
    }

    /// User plus system CPU time of a process (`/proc/<pid>/stat` fields 14 and 15, in clock ticks).
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        guard let close = text.lastIndex(of: ")") else { throw BenchError("unreadable /proc/\(pid)/stat") }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("unreadable /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A `kB` line of `/proc/<pid>/status`, in MB.
    static func memory(_ pid: Int32, _ key: String) throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let number = line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first
            if let kilobytes = number.flatMap({ Double($0) }) { return kilobytes / 1024 }
        }
        throw BenchError("no \(key) in /proc/\(pid)/status")
    }

    /// The sum of a counter over all its label sets in a Prometheus text page.
    static func counter(_ name: String, in page: String) -> Int {
        page.split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }

    /// Until cancelled, once a second: each service's `concierge_consumer_lag_records` summed over its topics;
    /// returns the highest seen per service.
    static func peakLag(_ stack: ConciergeStack) async -> [String: Int] {
        var peak: [String: Int] = [:]
        while !Task.isCancelled {
            for service in instances(stack) {
                guard let body = await TestHTTP.get("\(stack.url(service))/metrics")?.body else { continue }
                let lag = counter("concierge_consumer_lag_records", in: String(decoding: body, as: UTF8.self))
                peak[service] = Swift.max(peak[service] ?? 0, lag)
            }
            try? await Task.sleep(for: .seconds(1))
        }
        return peak
    }

    /// What each service did between two samples.
    static func delta(
        before: [String: ServiceSample], after: [String: ServiceSample], peakLag: [String: Int] = [:]
    ) -> [String: ServiceDelta] {
        var deltas: [String: ServiceDelta] = [:]
        for (service, end) in after {
            guard let start = before[service] else { continue }
            deltas[service] = ServiceDelta(
                consumed: end.consumed - start.consumed, produced: end.produced - start.produced,
                cpuSeconds: end.cpuSeconds - start.cpuSeconds, residentMB: end.residentMB,
                peakResidentMB: end.peakResidentMB, peakLag: peakLag[service] ?? 0)
        }
        return deltas
    }
}

/// What one service (or one instance) did in a phase.
struct ServiceDelta: Sendable {
    var consumed: Int
    var produced: Int
    var cpuSeconds: Double
    var residentMB: Double
    /// The process's peak resident set since it started (`VmHWM`): phases run in increasing load.
    var peakResidentMB: Double
    /// The highest consumer lag seen in the phase, records over all its topics (`concierge_consumer_lag_records`).
    var peakLag: Int
}

/// The figures of one phase.
struct PhaseFigures: Sendable {
    var name: String
    var targetRate: Int?
    var walkIns: Int
    /// How long publishing took.
    var publishing: Duration
    /// From the first walk-in handed to the producer to the last follow-up task persisted.
    var endToEndSeconds: Double
    var latencies: Percentiles
    var missing: Int
    var doubled: Int
    /// Walk-ins without their follow-up task when publishing stopped (the consumers' lag, in walk-ins).
    var backlogAtStop: Int
    /// How long the backlog took to clear after publishing stopped.
    var drain: Duration
    var services: [String: ServiceDelta]

    /// Walk-ins per second sustained end to end.
    var sustained: Double { Double(walkIns) / endToEndSeconds }

    /// `services` (by instance) summed per service: events and CPU added, the largest peak RSS of one instance, the
    /// lags' peaks added.
    var byService: [String: ServiceDelta] {
        var result: [String: ServiceDelta] = [:]
        for (instance, delta) in services {
            let service = String(instance.split(separator: "#")[0])
            guard var total = result[service] else {
                result[service] = delta
                continue
            }
            total.consumed += delta.consumed
            total.produced += delta.produced
            total.cpuSeconds += delta.cpuSeconds
            total.residentMB = Swift.max(total.residentMB, delta.residentMB)
            total.peakResidentMB = Swift.max(total.peakResidentMB, delta.peakResidentMB)
            total.peakLag += delta.peakLag
            result[service] = total
        }
        return result
    }

    var summary: String {
        "\(name): \(walkIns) walk-ins, \(Int(sustained.rounded()))/s end to end, latency p50 \(ms(latencies.p50)) "
            + "p99 \(ms(latencies.p99)) max \(ms(latencies.max)); backlog at stop \(backlogAtStop), drained in "
            + "\(seconds(drain)); missing \(missing), doubled \(doubled)"
    }
}

/// Prints a line and flushes it: `make bench` pipes stdout through `tee`, and its progress should show as it goes.
func say(_ line: String) {
    print(line)
    fflush(nil)
}

func ms(_ value: Double) -> String {
    value >= 100 ? "\(Int(value.rounded())) ms" : String(format: "%.1f ms", value)
}

func seconds(_ duration: Duration) -> String {
    String(format: "%.1f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}

/// The tables `make bench` prints and writes.
struct BenchReport: Sendable {
    var phases: [PhaseFigures]
    var warmUp: PhaseFigures?

    func markdown() -> String {
        var lines = [
            "| phase | walk-ins | published in | sustained end to end | p50 | p95 | p99 | max | backlog at stop | drained in | missing | doubled |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for phase in phases {
            lines.append(
                "| \(phase.name) | \(phase.walkIns) | \(seconds(phase.publishing)) | \(Int(phase.sustained.rounded()))/s | "
                    + "\(ms(phase.latencies.p50)) | \(ms(phase.latencies.p95)) | \(ms(phase.latencies.p99)) | "
                    + "\(ms(phase.latencies.max)) | \(phase.backlogAtStop) | \(seconds(phase.drain)) | \(phase.missing) | "
                    + "\(phase.doubled) |")
        }
        lines.append("")
        lines.append(
            "Per service and phase: events consumed per second (over the phase, publishing and drain), CPU seconds, "
                + "peak RSS, peak consumer lag (records, sampled each second).")
        lines.append("")
        lines.append("| phase | " + ServiceSample.services.joined(separator: " | ") + " |")
        lines.append("|---|" + String(repeating: "---|", count: ServiceSample.services.count))
        for phase in phases {
            let byService = phase.byService
            let cells = ServiceSample.services.map { service -> String in
                guard let delta = byService[service] else { return "–" }
                let rate = Double(delta.consumed) / phase.endToEndSeconds
                return "\(Int(rate.rounded()))/s, \(String(format: "%.1f", delta.cpuSeconds)) CPU s, "
                    + "\(Int(delta.peakResidentMB.rounded())) MB, lag \(delta.peakLag)"
            }
            lines.append("| \(phase.name) | " + cells.joined(separator: " | ") + " |")
        }
        if let warmUp {
            lines.append("")
            lines.append("Warm-up (first walk-in of every customer: owner assigned, year planned): \(warmUp.summary).")
        }
        return lines.joined(separator: "\n")
    }
}
