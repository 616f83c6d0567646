// MARK: - SimulationDayCurve

/// How arrivals spread over the bank day, 09:00 to 17:00, in half-hour slots of relative weight; within a slot
/// arrivals are uniform.
///
/// The walk-in curve has its peak after opening (09:00–11:00 takes about 52 % of the day's walk-ins), a smaller
/// lunchtime bump (12:00–13:00) and a quiet afternoon (14:00–16:00 takes about 12 %). Back-office activity
/// (contacts, sales, appointments, call-centre escalations) is spread evenly.
struct SimulationDayCurve: Sendable {
    /// Opening time, seconds after midnight.
    static let opening = 9.0 * 3600
    /// Length of the bank day in seconds (09:00–17:00).
    static let dayLength = 8.0 * 3600
    static let slotLength = 1800.0

    /// One weight per half hour from 09:00.
    let weights: [Double]
    /// Cumulative share of the day at the end of each slot; the last is 1.
    private let cumulative: [Double]
    private let meanWeight: Double

    init(weights: [Double]) {
        precondition(weights.count == Int(Self.dayLength / Self.slotLength), "one weight per half hour")
        let total = weights.reduce(0, +)
        precondition(total > 0 && weights.allSatisfy { $0 >= 0 }, "weights must be non-negative, not all zero")
        self.weights = weights
        var running = 0.0
        cumulative = weights.map { weight in
            running += weight / total
            return running
        }
        meanWeight = total / Double(weights.count)
    }

    static let walkIns = SimulationDayCurve(weights: [
        1.8, 2.4, 2.4, 1.9,  // 09:00–11:00, the morning peak
        0.9, 0.7, 0.9, 1.0,  // 11:00–13:00, with the lunchtime bump
        0.8, 0.5, 0.45, 0.45,  // 13:00–15:00
        0.5, 0.5, 0.55, 0.45,  // 15:00–17:00
    ])
    static let even = SimulationDayCurve(weights: Array(repeating: 1, count: 16))

    /// The time (seconds after opening) below which a share `quantile` (0 ≤ q < 1) of the day's arrivals fall.
    func secondsAfterOpening(quantile: Double) -> Double {
        let quantile = min(max(quantile, 0), 1)
        var lower = 0.0
        for (slot, upper) in cumulative.enumerated() {
            if quantile < upper || slot == cumulative.count - 1 {
                let within = upper > lower ? (quantile - lower) / (upper - lower) : 0
                return (Double(slot) + min(max(within, 0), 1)) * Self.slotLength
            }
            lower = upper
        }
        return Self.dayLength
    }

    /// The arrival intensity at `seconds` after opening relative to the day's mean (1 = an average moment).
    func relativeIntensity(secondsAfterOpening seconds: Double) -> Double {
        let slot = min(max(Int(seconds / Self.slotLength), 0), weights.count - 1)
        return weights[slot] / meanWeight
    }

    /// The share of the day's arrivals between two times of day (seconds after midnight).
    func share(from start: Double, to end: Double) -> Double {
        let quantile = { (time: Double) -> Double in
            let seconds = min(max(time - Self.opening, 0), Self.dayLength)
            let slot = Int(seconds / Self.slotLength)
            guard slot < self.cumulative.count else { return 1 }
            let lower = slot == 0 ? 0 : self.cumulative[slot - 1]
            let within = (seconds - Double(slot) * Self.slotLength) / Self.slotLength
            return lower + within * (self.cumulative[slot] - lower)
        }
        return quantile(end) - quantile(start)
    }
}

// MARK: - SimulationStream

/// A stream of arrival times (seconds since midnight of the first simulated day) that follows a day curve with
/// `perDay` arrivals per day on average: the day's k-th of n arrivals falls at a random point of the k-th n-quantile
/// of the curve (stratified sampling), so counts per day and per hour hold closely while times stay random.
struct SimulationStream: Sendable {
    let perDay: Double
    let curve: SimulationDayCurve
    /// The simulated day of ``nextTime`` (0 = the first).
    private(set) var day = 0
    private var index = 0
    private var count = 0
    /// The next arrival; `.infinity` when `perDay` is 0.
    private(set) var nextTime = Double.infinity

    init(perDay: Double, curve: SimulationDayCurve, random: inout SplitMix64) {
        self.perDay = perDay
        self.curve = curve
        guard perDay > 0 else { return }
        day = -1
        startNextDay(random: &random)
    }

    /// Moves to the following arrival.
    mutating func advance(random: inout SplitMix64) {
        guard perDay > 0 else { return }
        index += 1
        if index < count {
            place(random: &random)
        } else {
            startNextDay(random: &random)
        }
    }

    private mutating func startNextDay(random: inout SplitMix64) {
        repeat {
            day += 1
            // A fractional daily mean becomes a whole count: its floor, plus one with the fraction's probability.
            count = Int(perDay) + (random.chance(perDay - perDay.rounded(.down)) ? 1 : 0)
        } while count == 0
        index = 0
        place(random: &random)
    }

    private mutating func place(random: inout SplitMix64) {
        let quantile = (Double(index) + random.unit()) / Double(count)
        nextTime = Double(day) * 86_400 + SimulationDayCurve.opening + curve.secondsAfterOpening(quantile: quantile)
    }
}
