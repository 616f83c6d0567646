import Synchronization

/// A doorbell for one waiting task: `ring()` wakes the waiter, or the next `wait` if nobody waits yet.
///
/// Used to wake the outbox relay when PostgreSQL notifies that outbox rows were committed, and to stop loops.
/// Rings are not counted: several rings before a wait wake it once.
public final class WakeSignal: Sendable {
    private struct State {
        var isRung = false
        var waiter: CheckedContinuation<Void, Never>?
        var isWaiterCancelled = false
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.isRung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when rung, when `timeout` passes, or when the task is cancelled, whichever is first.
    public func wait(timeout: Duration) async {
        if state.withLock({ state in
            defer { state.isRung = false }
            return state.isRung
        }) {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForRing() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.isRung || state.isWaiterCancelled {
                        state.isRung = false
                        state.isWaiterCancelled = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter else {
                    // Cancelled before the continuation was stored: make the store resume at once.
                    state.isWaiterCancelled = true
                    return nil
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
    }
}
