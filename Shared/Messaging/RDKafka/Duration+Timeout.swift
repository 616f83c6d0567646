extension Duration {
    /// Whole milliseconds, clamped to `0...Int32.max` (librdkafka's timeout type).
    var timeoutMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? 0 : .max }
        let total = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !total.overflow else { return .max }
        return Int32(clamping: max(total.partialValue, 0))
    }
}
