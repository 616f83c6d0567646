internal import CRdKafka
import Synchronization

/// Producer-side state shared by the producer, its poll thread and `dr_msg_cb`: the lifecycle (which decides
/// whether records may still be enqueued) and the waiters for queue capacity after `QUEUE_FULL`.
final class RDKafkaDeliveryTracker: Sendable {
    enum Lifecycle {
        /// `run()` has not started: records are enqueued, reports wait until it does.
        case idle
        case running
        /// Graceful shutdown or cancellation: no new records; flushing and purging the rest.
        case draining
        case finished
    }

    enum StopReason: Int {
        case gracefulShutdown = 1
        case cancelled = 2
    }

    private struct State {
        var lifecycle = Lifecycle.idle
        var stopReason: StopReason?
        var capacityWaiters: [CheckedContinuation<Void, Never>] = []

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            guard !capacityWaiters.isEmpty else { return [] }
            defer { capacityWaiters = [] }
            return capacityWaiters
        }
    }

    private let state = Mutex(State())
    /// Number of delivery reports served so far. A task that saw `QUEUE_FULL` waits until this moves.
    private let reportsServed = Atomic<UInt64>(0)

    var lifecycle: Lifecycle { state.withLock { $0.lifecycle } }
    var stopReason: StopReason? { state.withLock { $0.stopReason } }
    var reportCount: UInt64 { reportsServed.load(ordering: .sequentiallyConsistent) }

    /// Runs `enqueue` while no shutdown can start, so a record is either rejected or enqueued before the
    /// drain begins (and then flushed or purged, so its report always arrives).
    func whileAccepting<T>(_ enqueue: () -> T) -> T? {
        state.withLock { state in
            switch state.lifecycle {
            case .idle, .running:
                return enqueue()
            case .draining, .finished:
                return nil
            }
        }
    }

    func start() -> Bool {
        state.withLock { state in
            guard state.lifecycle == .idle else { return false }
            state.lifecycle = .running
            return true
        }
    }

    /// Asks the poll loop to stop; a cancellation upgrades a graceful stop (no more flushing).
    func requestStop(_ reason: StopReason) {
        state.withLock { state in
            if (state.stopReason?.rawValue ?? 0) < reason.rawValue {
                state.stopReason = reason
            }
        }
    }

    /// Stops accepting records; wakes tasks waiting for capacity so they see the shutdown.
    func beginDraining() {
        let waiters = state.withLock { state in
            state.lifecycle = .draining
            return state.takeWaiters()
        }
        waiters.forEach { $0.resume() }
    }

    func finish() {
        let waiters = state.withLock { state in
            state.lifecycle = .finished
            return state.takeWaiters()
        }
        waiters.forEach { $0.resume() }
    }

    /// Called from `dr_msg_cb` for every report.
    func reportServed() {
        reportsServed.add(1, ordering: .sequentiallyConsistent)
    }

    /// Called by the poll loop after each `rd_kafka_poll`: wakes tasks waiting for queue capacity.
    func wakeCapacityWaiters() {
        let waiters = state.withLock { $0.takeWaiters() }
        waiters.forEach { $0.resume() }
    }

    /// Suspends until at least one delivery report was served after `count` was read (event-driven
    /// back-pressure for `QUEUE_FULL`), or the producer stops accepting records.
    func waitForCapacity(reportCountAtFailure count: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                // Checked under the lock the poll loop takes to wake waiters: either the loop's wake-up sees
                // this waiter, or this check sees the report the loop served.
                if reportsServed.load(ordering: .sequentiallyConsistent) != count { return true }
                switch state.lifecycle {
                case .draining, .finished:
                    return true
                case .idle, .running:
                    state.capacityWaiters.append(continuation)
                    return false
                }
            }
            if resumeNow {
                continuation.resume()
            }
        }
    }
}

// MARK: - dr_msg_cb

/// `dr_msg_cb`: served on the producer's poll thread inside `rd_kafka_poll`/`rd_kafka_flush`. Takes back the
/// reference retained for `msg_opaque` and resolves the record's box. Never touches the payload.
func rdKafkaDeliveryReportCallback(
    _ handle: OpaquePointer?,
    _ message: UnsafePointer<rd_kafka_message_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let message, let boxPointer = message.pointee._private else { return }
    // Balances `passRetained` in `KafkaProducer.enqueue`.
    let box = Unmanaged<RDKafkaDeliveryBox>.fromOpaque(boxPointer).takeRetainedValue()
    let error = message.pointee.err
    if error == RD_KAFKA_RESP_ERR_NO_ERROR {
        box.complete(
            .success(
                KafkaDeliveryReport(topic: box.topic, partition: message.pointee.partition, offset: message.pointee.offset)
            )
        )
    } else {
        box.complete(.failure(.rdKafka(error, reason: "delivery to \(box.topic) failed")))
    }
    if let opaque {
        Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue().delivery?.reportServed()
    }
}
