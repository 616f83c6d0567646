import Foundation
import Synchronization

/// A named place in the code where a fault-injection test can make the process die at a chosen moment, the way
/// failpoints work in TiKV and etcd. **For fault-injection tests only; never set `CONCIERGE_FAULT` in production.**
///
/// `CONCIERGE_FAULT=after-handler-commit:25` makes the process SIGKILL itself the 25th time it passes
/// ``afterHandlerCommit`` (``hangInHandler`` hangs instead); several points are separated by commas (`after-handler-commit:25,after-outbox-produce:3`).
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
    /// Inside a consumed event's handler transaction, after the handler: on the armed pass the transaction never
    /// ends and ignores cancellation, as PostgresNIO leaves one whose server crashed (docs/reliability.md, case 6b).
    /// Used with ``hang()``; the stall watchdog must end the process.
    case hangInHandler = "hang-in-handler"

    /// The environment variable that arms fault points.
    public static let variable = "CONCIERGE_FAULT"

    /// Counts one pass; on the armed pass the process kills itself with SIGKILL (no shutdown, no flush, no commit).
    public func pass() {
        FaultPoints.process.pass(self)
    }

    /// Counts one pass; on the armed pass the calling task waits for ever, deaf to cancellation.
    public func hang() async {
        guard FaultPoints.process.isArmedPass(self) else { return }
        FileHandle.standardError.write(Data("fault point \(rawValue): hanging for good\n".utf8))
        await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
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
        guard isArmedPass(point) else { return }
        FileHandle.standardError.write(Data("fault point \(point.rawValue): SIGKILL on pass \(armed[point]!)\n".utf8))
        kill(getpid(), SIGKILL)
    }

    /// Counts one pass of `point`; whether it is the armed one.
    func isArmedPass(_ point: FaultPoint) -> Bool {
        guard let target = armed[point] else { return false }
        let count = passes.withLock { passes in
            passes[point, default: 0] += 1
            return passes[point]!
        }
        return count == target
    }
}
