import Synchronization

/// The slot a delivery report is delivered into: one per produced record, passed to librdkafka (retained) as
/// the message's `msg_opaque` and released in `dr_msg_cb`.
///
/// Three states, because the report may arrive before the sending task gets round to awaiting it:
/// `pending` → `awaiting(continuation)` → `completed`, or `pending` → `completed` (report first; the awaiting
/// side then returns at once).
final class RDKafkaDeliveryBox: Sendable {
    typealias Outcome = Result<KafkaDeliveryReport, KafkaError>

    private enum State {
        case pending
        /// Unsafe rather than checked: the state machine resumes it exactly once (`complete` runs once per box and
        /// `outcome` is awaited once), and this is per produced message.
        case awaiting(UnsafeContinuation<Outcome, Never>)
        case completed(Outcome)
    }

    let topic: String
    private let state = Mutex<State>(.pending)

    init(topic: String) {
        self.topic = topic
    }

    /// Called once, from `dr_msg_cb` (or for a failed enqueue).
    func complete(_ outcome: Outcome) {
        let continuation: UnsafeContinuation<Outcome, Never>? = state.withLock { state in
            switch state {
            case .pending:
                state = .completed(outcome)
                return nil
            case .awaiting(let continuation):
                state = .completed(outcome)
                return continuation
            case .completed:
                assertionFailure("delivery report delivered twice")
                return nil
            }
        }
        // Resumed outside the lock: resuming schedules the waiting task.
        continuation?.resume(returning: outcome)
    }

    /// Waits for the report. Not cancellable: once enqueued, the record may be written regardless, and the
    /// report arrives at the latest after `message.timeout.ms` or when the producer shuts down.
    func outcome() async -> Outcome {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Outcome, Never>) in
            let ready: Outcome? = state.withLock { state in
                switch state {
                case .pending:
                    state = .awaiting(continuation)
                    return nil
                case .completed(let outcome):
                    return outcome
                case .awaiting:
                    preconditionFailure("a delivery report is awaited twice")
                }
            }
            if let ready {
                continuation.resume(returning: ready)
            }
        }
    }

    /// The outcome if it already arrived (tests).
    var completedOutcome: Outcome? {
        state.withLock { state in
            if case .completed(let outcome) = state { return outcome }
            return nil
        }
    }
}
