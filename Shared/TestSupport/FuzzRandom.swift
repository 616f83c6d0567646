/// SplitMix64: a small, fast, seedable random number generator. The same seed gives the same sequence on every
/// platform and run, so a fuzz input is reproduced from its seed and index alone.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The generator of input `index` of a run: independent of every other input, so inputs can be generated in any
    /// order (and one of them again, to reproduce a finding).
    public init(seed: UInt64, stream: String, index: Int) {
        var mixer = FuzzRandom(seed: seed ^ FuzzHash.fnv1a(Array(stream.utf8)))
        state = mixer.next() ^ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `true` with probability `percent` / 100.
    public mutating func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &self) < percent
    }

    /// An element of a non-empty array.
    public mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[Int.random(in: 0..<elements.count, using: &self)]
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// Eight lower-case hexadecimal digits.
    public mutating func hex() -> String {
        let value = String(UInt32.random(in: 0...UInt32.max, using: &self), radix: 16)
        return String(repeating: "0", count: 8 - value.count) + value
    }
}

/// A stable 64-bit hash (FNV-1a): Swift's `Hasher` is seeded per process, this one is not.
public enum FuzzHash {
    public static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0100_0000_01B3
        }
        return hash
    }
}
