import Messaging
import Synchronization

// MARK: - SimulationTally

/// The counts of one phase of a simulation, shared by the sending loop, the delivery tasks and the progress line.
final class SimulationTally: Sendable {
    struct Snapshot: Sendable {
        var sentByKind: [SimulationKind: Int] = [:]
        var sent = 0
        var delivered = 0
        var failed = 0
        /// Failures by error code (`messageTimedOut`, `invalid event`, …).
        var errors: [String: Int] = [:]

        var inFlight: Int { sent - delivered - failed }
    }

    private let state = Mutex(Snapshot())
    private let stopRequested = Atomic<Bool>(false)

    var snapshot: Snapshot { state.withLock { $0 } }

    /// Counts a batch handed to the producer (or, in a dry run, encoded).
    func recordSent(_ batch: [SimulationEvent]) {
        var counts: [SimulationKind: Int] = [:]
        for event in batch { counts[event.kind, default: 0] += 1 }
        state.withLock { state in
            state.sent += batch.count
            state.sentByKind.merge(counts, uniquingKeysWith: +)
        }
    }

    /// Counts the outcome of a batch; returns the failures not seen before, to print once.
    @discardableResult
    func recordOutcome(delivered: Int, failures: [(code: String, message: String)]) -> [String] {
        state.withLock { state in
            state.delivered += delivered
            state.failed += failures.count
            var firstSeen: [String] = []
            for failure in failures {
                if state.errors[failure.code] == nil { firstSeen.append(failure.message) }
                state.errors[failure.code, default: 0] += 1
            }
            return firstSeen
        }
    }

    /// Counts the producer's results for `records`.
    @discardableResult
    func recordResults(_ results: [Result<KafkaDeliveryReport, KafkaError>]) -> [String] {
        var delivered = 0
        var failures: [(code: String, message: String)] = []
        for result in results {
            switch result {
            case .success: delivered += 1
            case .failure(let error): failures.append(("\(error.code)", "delivery failed: \(error)"))
            }
        }
        return recordOutcome(delivered: delivered, failures: failures)
    }

    /// SIGINT or SIGTERM: stop sending, wait for what is in flight, print the summary.
    func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    var isStopRequested: Bool { stopRequested.load(ordering: .relaxed) }
}
