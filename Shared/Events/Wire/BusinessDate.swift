// MARK: - BusinessDate

/// A calendar date in the bank's business time zone, written `YYYY-MM-DD` on the wire (contract §1.1).
///
/// Years run from 0001 to 9999; month and day are checked against the proleptic Gregorian calendar, leap years
/// included (`2028-02-29` is a date, `2026-02-29` is not). Dates compare chronologically.
public struct BusinessDate: Hashable, Sendable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// The year, 1–9999.
    public let year: Int
    /// The month, 1–12.
    public let month: Int
    /// The day of the month, 1–31.
    public let day: Int

    /// Creates a date from its components, or `nil` if they do not name a real day.
    ///
    /// - Parameters:
    ///   - year: 1–9999.
    ///   - month: 1–12.
    ///   - day: 1 to the length of the month.
    public init?(year: Int, month: Int, day: Int) {
        guard Self.problem(year: year, month: month, day: day) == nil else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Creates a date from components the caller already knows to be valid.
    ///
    /// - Precondition: The components name a real day between 0001-01-01 and 9999-12-31.
    public init(validYear year: Int, month: Int, day: Int) {
        precondition(Self.problem(year: year, month: month, day: day) == nil, "invalid date \(year)-\(month)-\(day)")
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` strictly: exactly ten characters, zero-padded, no time or offset.
    ///
    /// - Parameter text: The date text, e.g. `2026-11-23`.
    /// - Throws: ``WireFormatError`` naming what is wrong.
    public init(parsing text: String) throws(WireFormatError) {
        let bytes = Array(text.utf8)
        let quoted = text.quotedForMessage()
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Digits.read(bytes, at: 0, count: 4),
            let month = Digits.read(bytes, at: 5, count: 2),
            let day = Digits.read(bytes, at: 8, count: 2)
        else {
            throw WireFormatError(reason: "\(quoted) is not a date in the form YYYY-MM-DD such as \"2026-11-23\"")
        }
        if let problem = Self.problem(year: year, month: month, day: day) {
            throw WireFormatError(reason: "\(quoted) is not a date: \(problem)")
        }
        self.init(validYear: year, month: month, day: day)
    }

    /// Parses `YYYY-MM-DD`, or returns `nil`.
    ///
    /// - Parameter description: The date text.
    public init?(_ description: String) {
        guard let date = try? BusinessDate(parsing: description) else { return nil }
        self = date
    }

    /// The date as `YYYY-MM-DD`.
    public var description: String {
        "\(Digits.padded(year, width: 4))-\(Digits.padded(month, width: 2))-\(Digits.padded(day, width: 2))"
    }

    /// Chronological order.
    public static func < (lhs: BusinessDate, rhs: BusinessDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The years Concierge accepts in events and requests: 1900–2999.
    ///
    /// The wire format can write 0001–9999, but a bank's records start well after 1900 and an instant in year 9999 is
    /// a typing error. Working-day and month arithmetic on such a date would leave the calendar's range (9999 + 10
    /// working days) or meet local mean time offsets that are not whole minutes (Asia/Shanghai before 1901). Decoding
    /// an event (``init(from:)``, ``Timestamp/init(from:)``, the envelope `time`) and reading a request's date
    /// refuse anything outside this range with ``supportProblem``, so such a message is dead-lettered with a reason.
    public static let supportedYears = 1900...2999

    /// Why `year` is not accepted in an event or request, or `nil` when it is (see ``supportedYears``).
    public static func supportProblem(year: Int) -> String? {
        guard !supportedYears.contains(year) else { return nil }
        return "year \(Digits.padded(year, width: 4)) is outside the years Concierge accepts, "
            + "\(supportedYears.lowerBound)–\(supportedYears.upperBound)"
    }

    /// What is wrong with the components, or `nil` when they name a real day.
    static func problem(year: Int, month: Int, day: Int) -> String? {
        guard (1...9999).contains(year) else { return "year \(year) is outside 0001–9999" }
        guard (1...12).contains(month) else { return "month \(month) is outside 01–12" }
        let length = CivilCalendar.daysInMonth(month, of: year)
        guard (1...length).contains(day) else {
            return "day \(day) does not exist in \(Digits.padded(year, width: 4))-\(Digits.padded(month, width: 2)),"
                + " which has \(length) days"
        }
        return nil
    }
}

// MARK: - BusinessDate + Timestamp

extension BusinessDate {
    /// The date on which `timestamp` falls in its own UTC offset (a `+08:00` timestamp gives the Shanghai date).
    ///
    /// - Parameter timestamp: The instant and the offset it was written with.
    public init(localDateOf timestamp: Timestamp) {
        let local = timestamp.millisecondsSinceEpoch + Int64(timestamp.utcOffsetSeconds) * 1000
        let days = CivilCalendar.floorDivide(local, by: CivilCalendar.millisecondsPerDay).quotient
        let civil = CivilCalendar.civilDate(dayNumber: days)
        self.init(validYear: civil.year, month: civil.month, day: civil.day)
    }
}

// MARK: - BusinessDate + Codable

extension BusinessDate: Codable {
    /// Decodes a `YYYY-MM-DD` string in the years Concierge accepts (``supportedYears``).
    ///
    /// - Throws: `DecodingError.dataCorrupted` with the reason, or a type mismatch for a non-string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try BusinessDate(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.reason)
        }
        if let problem = Self.supportProblem(year: year) {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\(text.quotedForMessage()) is not accepted: \(problem)")
        }
    }

    /// Encodes as a `YYYY-MM-DD` string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
