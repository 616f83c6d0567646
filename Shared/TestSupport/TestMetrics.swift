import Foundation

/// Reads a service's Prometheus page (`GET /metrics`).
public enum TestMetrics {
    /// The sum of a counter over all its label sets, 0 when the page or the counter is missing.
    public static func sum(_ name: String, url: String) async -> Int {
        let text = String(decoding: (await TestHTTP.get(url))?.body ?? Data(), as: UTF8.self)
        return text.split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }

    /// The sum of a counter over every running instance of a stack.
    public static func sum(_ name: String, stack: ConciergeStack) async -> Int {
        var total = 0
        for instance in stack.allInstances where stack.process(instance)?.isRunning == true {
            total += await sum(name, url: "\(stack.url(instance))/metrics")
        }
        return total
    }
}
