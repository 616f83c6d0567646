import UnixSignals

enum SignalWaiter {
    /// Returns on the first SIGINT or SIGTERM.
    static func waitForTermination() async {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        for await _ in signals { return }
    }
}
