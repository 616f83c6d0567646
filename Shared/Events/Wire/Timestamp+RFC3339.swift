// MARK: - Timestamp + RFC 3339

extension Timestamp {
    /// Parses an RFC 3339 timestamp strictly.
    ///
    /// Accepted: `YYYY-MM-DDTHH:MM:SS`, then optionally `.` and 1–9 fractional digits (digits beyond the third are
    /// truncated), then `Z` or `±HH:MM`. Years 0001–9999; seconds 00–59 (no leap second); upper-case `T` and `Z`
    /// only; no spaces. `-00:00` is read as UTC.
    ///
    /// - Parameter text: The timestamp text, e.g. `2026-11-23T09:15:02.120+08:00`.
    /// - Throws: ``WireFormatError`` naming what is wrong.
    public init(rfc3339 text: String) throws(WireFormatError) {
        let bytes = Array(text.utf8)
        func failure(_ detail: String) -> WireFormatError {
            WireFormatError(
                reason: "\(text.quotedForMessage()) is not an RFC 3339 timestamp such as "
                    + "\"2026-11-23T09:15:02.120+08:00\": \(detail)")
        }
        guard bytes.count >= 20, bytes.count <= 35 else { throw failure("wrong length") }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = Digits.read(bytes, at: 0, count: 4), let month = Digits.read(bytes, at: 5, count: 2),
            let day = Digits.read(bytes, at: 8, count: 2), let hour = Digits.read(bytes, at: 11, count: 2),
            let minute = Digits.read(bytes, at: 14, count: 2), let second = Digits.read(bytes, at: 17, count: 2)
        else { throw failure("expected YYYY-MM-DDTHH:MM:SS") }
        if let problem = BusinessDate.problem(year: year, month: month, day: day) { throw failure(problem) }
        guard hour < 24 else { throw failure("hour \(hour) is outside 00–23") }
        guard minute < 60 else { throw failure("minute \(minute) is outside 00–59") }
        guard second < 60 else { throw failure("second \(second) is outside 00–59") }

        var index = 19
        var milliseconds = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, let digit = Digits.read(bytes, at: index, count: 1) {
                if digits < 3 { milliseconds = milliseconds * 10 + digit }
                digits += 1
                index += 1
            }
            guard (1...9).contains(digits) else { throw failure("expected 1 to 9 fractional digits") }
            for _ in digits..<max(digits, 3) { milliseconds *= 10 }
        }

        let offsetSeconds: Int
        guard index < bytes.count else { throw failure("missing UTC offset (Z or ±HH:MM)") }
        switch bytes[index] {
        case UInt8(ascii: "Z"):
            offsetSeconds = 0
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let offsetHours = Digits.read(bytes, at: index + 1, count: 2),
                let offsetMinutes = Digits.read(bytes, at: index + 4, count: 2)
            else { throw failure("expected a UTC offset Z or ±HH:MM") }
            guard offsetHours < 24, offsetMinutes < 60 else { throw failure("UTC offset is out of range") }
            let magnitude = offsetHours * 3600 + offsetMinutes * 60
            offsetSeconds = bytes[index] == UInt8(ascii: "-") ? -magnitude : magnitude
            index += 6
        default:
            throw failure("expected a UTC offset Z or ±HH:MM")
        }
        guard index == bytes.count else { throw failure("unexpected text after the UTC offset") }

        let days = CivilCalendar.dayNumber(year: year, month: month, day: day)
        let localMilliseconds =
            days * CivilCalendar.millisecondsPerDay + Int64((hour * 3600 + minute * 60 + second) * 1000 + milliseconds)
        self.init(
            millisecondsSinceEpoch: localMilliseconds - Int64(offsetSeconds) * 1000,
            utcOffsetSeconds: Int32(offsetSeconds))
    }

    /// The timestamp as RFC 3339 text with exactly three fractional digits and its offset, `Z` for offset zero:
    /// `2026-11-23T09:15:02.120+08:00`, `2026-11-23T01:15:02.120Z`.
    public var rfc3339: String {
        let local = millisecondsSinceEpoch + Int64(utcOffsetSeconds) * 1000
        let (days, millisecondOfDay) = CivilCalendar.floorDivide(local, by: CivilCalendar.millisecondsPerDay)
        let civil = CivilCalendar.civilDate(dayNumber: days)
        let totalSeconds = Int(millisecondOfDay / 1000)
        var text = Digits.padded(civil.year, width: 4) + "-" + Digits.padded(civil.month, width: 2) + "-"
        text += Digits.padded(civil.day, width: 2) + "T" + Digits.padded(totalSeconds / 3600, width: 2) + ":"
        text += Digits.padded(totalSeconds / 60 % 60, width: 2) + ":" + Digits.padded(totalSeconds % 60, width: 2)
        text += "." + Digits.padded(Int(millisecondOfDay % 1000), width: 3)
        if utcOffsetSeconds == 0 {
            text += "Z"
        } else {
            let magnitude = Int(utcOffsetSeconds.magnitude)
            text += (utcOffsetSeconds < 0 ? "-" : "+") + Digits.padded(magnitude / 3600, width: 2) + ":"
            text += Digits.padded(magnitude / 60 % 60, width: 2)
        }
        return text
    }
}

// MARK: - Timestamp + CustomStringConvertible

extension Timestamp: CustomStringConvertible {
    /// The RFC 3339 text (see ``rfc3339``).
    public var description: String { rfc3339 }
}
