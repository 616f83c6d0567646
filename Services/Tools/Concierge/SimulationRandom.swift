import Foundation

// MARK: - SplitMix64 + distributions

/// The few distributions the simulation draws from, on top of the deterministic ``SplitMix64``, so `--seed`
/// repeats a simulated day exactly.
extension SplitMix64 {
    /// Uniform in [0, 1), with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `true` with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    /// Uniform in `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }

    /// Uniform in 0..<`bound`; `bound` must be positive.
    mutating func index(below bound: Int) -> Int {
        Int(next(below: UInt64(bound)))
    }

    /// A standard normal variate (Box–Muller).
    mutating func normal() -> Double {
        let radius = (-2 * log(1 - unit())).squareRoot()
        return radius * cos(2 * Double.pi * unit())
    }

    /// Log-normal around `median`: `median · e^(σ·Z)`.
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * exp(sigma * normal())
    }

    /// One element of a non-empty array.
    mutating func element<T>(of values: [T]) -> T {
        values[index(below: values.count)]
    }
}

// MARK: - WeightedChoice

/// A fixed list of values with relative weights, drawn with one uniform number.
struct WeightedChoice<Value: Sendable>: Sendable {
    let values: [Value]
    /// Cumulative weights, normalised so the last is 1.
    private let bounds: [Double]

    init(_ weighted: [(Value, Double)]) {
        precondition(!weighted.isEmpty && weighted.allSatisfy { $0.1 >= 0 }, "weights must be non-negative")
        let total = weighted.reduce(0) { $0 + $1.1 }
        precondition(total > 0, "at least one weight must be positive")
        var running = 0.0
        values = weighted.map(\.0)
        bounds = weighted.map {
            running += $0.1 / total; return running
        }
    }

    func pick(_ random: inout SplitMix64) -> Value {
        let draw = random.unit()
        for (index, bound) in bounds.enumerated() where draw < bound { return values[index] }
        return values[values.count - 1]
    }
}

// MARK: - Identifiers

/// `number` in decimal, left-padded with zeros to `width` digits (`String(format:)` is slow on Linux).
func zeroPadded(_ number: Int, width: Int) -> String {
    let digits = String(number)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
