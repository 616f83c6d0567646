import struct Foundation.Date

// MARK: - Timestamp

/// An instant with the UTC offset it is written with, at millisecond precision: the contract's RFC 3339 timestamp
/// (`2026-11-23T09:15:02.120+08:00`).
///
/// The value keeps both the instant (``millisecondsSinceEpoch``) and the offset (``utcOffsetSeconds``), so a
/// timestamp read from JSON writes back exactly as it came, and events keep the branch's local wall-clock time.
/// Parsing and formatting are hand-written rather than going through `Date`, whose ISO 8601 coding does not
/// round-trip fractions (house style §7.4).
///
/// - Equality and hashing use both fields; ``isSameInstant(as:)`` compares instants only. Ordering is by instant,
///   then by offset, so it is a strict total order consistent with `==`.
public struct Timestamp: Hashable, Sendable, Comparable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int64
    /// The UTC offset the instant is written with, in seconds east of UTC (`+08:00` is 28 800).
    public let utcOffsetSeconds: Int32

    /// The UTC offset of the bank's default business time zone, Asia/Shanghai (`+08:00`, no daylight saving).
    public static let shanghaiUTCOffsetSeconds: Int32 = 8 * 3600

    /// Creates a timestamp from its two fields.
    ///
    /// - Parameters:
    ///   - millisecondsSinceEpoch: Milliseconds since 1970-01-01T00:00:00Z.
    ///   - utcOffsetSeconds: Whole minutes, strictly between −24 h and +24 h.
    /// - Precondition: `utcOffsetSeconds` is a whole number of minutes with magnitude below 24 hours.
    public init(millisecondsSinceEpoch: Int64, utcOffsetSeconds: Int32 = 0) {
        precondition(
            utcOffsetSeconds % 60 == 0 && utcOffsetSeconds.magnitude < 86_400,
            "UTC offset \(utcOffsetSeconds) s is not a whole number of minutes below 24 hours")
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// Creates a timestamp from a `Date`, truncated to the millisecond.
    ///
    /// - Parameters:
    ///   - date: The instant.
    ///   - utcOffsetSeconds: The offset to write it with (whole minutes, below 24 h).
    public init(date: Date, utcOffsetSeconds: Int32 = 0) {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
        let clamped = min(max(milliseconds, -9.2e18), 9.2e18)
        self.init(millisecondsSinceEpoch: Int64(clamped), utcOffsetSeconds: utcOffsetSeconds)
    }

    /// The instant nearest to `date` at millisecond precision, at UTC. For values read back from a database: a
    /// `Date` is binary floating point, so `…692 ms` comes back as `…691.999…` and truncating would lose a millisecond.
    public init(nearest date: Date) {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        self.init(millisecondsSinceEpoch: Int64(min(max(milliseconds, -9.2e18), 9.2e18)))
    }

    /// The current instant, truncated to the millisecond.
    ///
    /// - Parameter utcOffsetSeconds: The offset to write it with; `0` writes `Z`.
    public static func now(utcOffsetSeconds: Int32 = 0) -> Timestamp {
        Timestamp(date: Date(), utcOffsetSeconds: utcOffsetSeconds)
    }

    /// The instant as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000)
    }

    /// Whether both timestamps denote the same instant, whatever offsets they are written with.
    ///
    /// - Parameter other: The timestamp to compare with.
    public func isSameInstant(as other: Timestamp) -> Bool {
        millisecondsSinceEpoch == other.millisecondsSinceEpoch
    }

    /// The same instant written with another UTC offset.
    ///
    /// - Parameter utcOffsetSeconds: The new offset (whole minutes, below 24 h).
    public func converted(toUTCOffsetSeconds utcOffsetSeconds: Int32) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch, utcOffsetSeconds: utcOffsetSeconds)
    }

    /// This instant moved by `milliseconds`, keeping the offset.
    ///
    /// - Parameter milliseconds: How far to move; negative moves back.
    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds, utcOffsetSeconds: utcOffsetSeconds)
    }

    /// This instant moved by `duration` (truncated toward zero to whole milliseconds), keeping the offset.
    ///
    /// - Parameter duration: How far to move; negative moves back.
    public func adding(_ duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        return adding(milliseconds: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// The time from this instant to `other` (negative when `other` is earlier).
    ///
    /// - Parameter other: The later instant.
    public func duration(to other: Timestamp) -> Duration {
        .milliseconds(other.millisecondsSinceEpoch - millisecondsSinceEpoch)
    }

    /// Orders by instant, then by offset.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.millisecondsSinceEpoch, lhs.utcOffsetSeconds) < (rhs.millisecondsSinceEpoch, rhs.utcOffsetSeconds)
    }
}

// MARK: - Timestamp + Codable

extension Timestamp: Codable {
    /// Decodes an RFC 3339 string (see ``init(rfc3339:)``) in the years Concierge accepts
    /// (``BusinessDate/supportedYears``).
    ///
    /// - Throws: `DecodingError.dataCorrupted` with the reason, or a type mismatch for a non-string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Timestamp(rfc3339: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.reason)
        }
        if let problem = supportProblem {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\(text.quotedForMessage()) is not accepted: \(problem)")
        }
    }

    /// Why this instant is not accepted in an event or request, or `nil` when it is: its date, in the offset it is
    /// written with, must fall in ``BusinessDate/supportedYears``.
    public var supportProblem: String? {
        BusinessDate.supportProblem(year: BusinessDate(localDateOf: self).year)
    }

    /// Encodes as an RFC 3339 string (see ``rfc3339``).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
