import Foundation
import Synchronization

/// A named place in the code where a fault-injection test can make the process die at a chosen moment, the way
/// failpoints work in TiKV and etcd. **For fault-injection tests only; never set `CONCIERGE_FAULT` in production.**
///
/// `CONCIERGE_FAULT=after-handler-commit:25` makes the process SIGKILL itself the 25th time it passes
/// ``afterHandlerCommit``; several points are separated by commas (`after-handler-commit:25,after-outbox-produce:3`).
/// Without the variable a pass is one lookup in an empty dictionary. The reliability suite
/// (`Tests/ReliabilityTests`, `docs/reliability.md`) uses them to kill a service exactly between two steps that a
/// plain SIGKILL from outside only hits by chance.
public enum FaultPoint: String, Sendable, CaseIterable {
    /// A consumed event's handler transaction has committed (or found the event in the inbox); its Kafka offset is
    /// not stored yet. A kill here makes the group deliver the event again, and the inbox must absorb it.
    case afterHandlerCommit = "after-handler-commit"
    /// The outbox relay has the delivery reports of a batch; the rows are not marked sent yet. A kill here makes the
    /// next relay publish them again, and the consumers must absorb the duplicates.
    case afterOutboxProduce = "after-outbox-produce"

    /// The environment variable that arms fault points.
    public static let variable = "CONCIERGE_FAULT"

    /// Counts one pass; on the armed pass the process kills itself with SIGKILL (no shutdown, no flush, no commit).
    public func pass() {
        FaultPoints.process.pass(self)
    }
}

/// The fault points armed in this process, and how often each was passed.
public final class FaultPoints: Sendable {
    /// Read once from `CONCIERGE_FAULT`.
    static let process = FaultPoints(specification: ProcessInfo.processInfo.environment[FaultPoint.variable])

    private let armed: [FaultPoint: Int]
    private let passes = Mutex<[FaultPoint: Int]>([:])

    init(specification: String?) {
        do {
            armed = try Self.parse(specification ?? "")
        } catch {
            // A typo must not go unnoticed: the test that set it would wait for a kill that never comes.
            FileHandle.standardError.write(Data("\(FaultPoint.variable) ignored: \(error.reason)\n".utf8))
            armed = [:]
        }
        if !armed.isEmpty {
            let list = armed.map { "\($0.key.rawValue):\($0.value)" }.sorted().joined(separator: ",")
            FileHandle.standardError.write(Data("fault points armed (\(FaultPoint.variable)): \(list)\n".utf8))
        }
    }

    /// A `CONCIERGE_FAULT` value that cannot be read.
    public struct SpecificationError: Error {
        public var reason: String
    }

    /// Parses `point:n[,point:n…]` (`n` ≥ 1); the empty string arms nothing.
    public static func parse(_ specification: String) throws(SpecificationError) -> [FaultPoint: Int] {
        var armed: [FaultPoint: Int] = [:]
        for entry in specification.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":")
            guard parts.count == 2, let point = FaultPoint(rawValue: String(parts[0])) else {
                let known = FaultPoint.allCases.map(\.rawValue).joined(separator: ", ")
                throw SpecificationError(reason: "\"\(entry)\" is not <point>:<n> with a point among \(known)")
            }
            guard let count = Int(parts[1]), count >= 1 else {
                throw SpecificationError(reason: "\"\(entry)\": the pass number must be a whole number ≥ 1")
            }
            armed[point] = count
        }
        return armed
    }

    func pass(_ point: FaultPoint) {
        guard let target = armed[point] else { return }
        let count = passes.withLock { passes in
            passes[point, default: 0] += 1
            return passes[point]!
        }
        guard count == target else { return }
        FileHandle.standardError.write(Data("fault point \(point.rawValue): SIGKILL on pass \(count)\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
