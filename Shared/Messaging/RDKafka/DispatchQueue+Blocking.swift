import Dispatch

extension DispatchQueue {
    /// Runs a blocking librdkafka call on this queue, off Swift's cooperative thread pool, and resumes the
    /// caller with its result.
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            self.async {
                continuation.resume(returning: body())
            }
        }
    }
}
