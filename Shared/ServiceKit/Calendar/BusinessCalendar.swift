import Events
import Foundation

/// The bank's working-day calendar: business time zone, weekend days, public holidays and make-up working days
/// (调休, a weekend day that is worked).
///
/// One calendar serves every service that counts working days (engagement follow-ups, complaint reply deadlines).
/// Arithmetic is on calendar days (a day number), never by stepping through seconds, and the time zone's UTC
/// offset is looked up for the instant in question.
public struct BusinessCalendar: Sendable {
    public enum Weekday: String, Sendable, CaseIterable, Codable {
        case monday = "MON", tuesday = "TUE", wednesday = "WED", thursday = "THU", friday = "FRI"
        case saturday = "SAT", sunday = "SUN"
    }

    public let timeZone: TimeZone
    public let weekend: Set<Weekday>
    public let holidays: Set<BusinessDate>
    public let workdays: Set<BusinessDate>

    public init(
        timeZone: TimeZone,
        weekend: Set<Weekday> = [.saturday, .sunday],
        holidays: Set<BusinessDate> = [],
        workdays: Set<BusinessDate> = []
    ) {
        self.timeZone = timeZone
        self.weekend = weekend
        self.holidays = holidays
        self.workdays = workdays
    }

    // MARK: - Days

    public func weekday(of date: BusinessDate) -> Weekday {
        // Day number 0 (1970-01-01) was a Thursday.
        let index = ((date.dayNumber % 7) + 7 + 3) % 7
        return [.monday, .tuesday, .wednesday, .thursday, .friday, .saturday, .sunday][Int(index)]
    }

    /// A working day: not a holiday, and either not a weekend day or a declared make-up working day.
    public func isWorkingDay(_ date: BusinessDate) -> Bool {
        if holidays.contains(date) { return false }
        if workdays.contains(date) { return true }
        return !weekend.contains(weekday(of: date))
    }

    /// The `count`-th working day strictly after `date` (`count` ≥ 1). `count` 0 gives `date` itself when it is a
    /// working day, else the next working day.
    public func workingDay(_ count: Int, after date: BusinessDate) -> BusinessDate {
        precondition(count >= 0, "count must not be negative")
        var day = date.dayNumber
        var remaining = count
        if remaining == 0 {
            while !isWorkingDay(BusinessDate(dayNumber: day)) { day += 1 }
            return BusinessDate(dayNumber: day)
        }
        // Skip whole weeks first when nothing special falls inside them: a week always holds
        // (7 - weekend.count) working days unless a holiday or make-up day is in it.
        let perWeek = 7 - weekend.count
        while perWeek > 0, remaining > perWeek, !hasExceptions(from: day + 1, through: day + 7) {
            day += 7
            remaining -= perWeek
        }
        while remaining > 0 {
            day += 1
            if isWorkingDay(BusinessDate(dayNumber: day)) { remaining -= 1 }
        }
        return BusinessDate(dayNumber: day)
    }

    /// The latest day `d` (on or before `limit`) whose `count`-th working day after it is on or before `limit`:
    /// with a due day `d` and "escalate `count` working days later", every due day up to the result is due for
    /// escalation on `limit`. Due Monday, 2 working days, limit Wednesday → Monday; 0 working days, limit a working
    /// day → the limit itself.
    public func latestDay(_ count: Int, workingDaysBefore limit: BusinessDate) -> BusinessDate {
        var day = limit
        // Bounded: a year back holds far more working days than any setting allows.
        for _ in 0..<400 {
            if workingDay(count, after: day) <= limit { return day }
            day = day.adding(days: -1)
        }
        return day
    }

    private func hasExceptions(from first: Int64, through last: Int64) -> Bool {
        (holidays.union(workdays)).contains { $0.dayNumber >= first && $0.dayNumber <= last }
    }

    // MARK: - Instants

    /// The business date on which `instant` falls in the business time zone.
    public func businessDate(of instant: Timestamp) -> BusinessDate {
        let offset = Int64(offsetSeconds(atMilliseconds: instant.millisecondsSinceEpoch))
        let localSeconds = instant.millisecondsSinceEpoch.floorDivided(by: 1000) + offset
        return BusinessDate(dayNumber: localSeconds.floorDivided(by: 86_400))
    }

    /// The first instant of `date` (00:00:00.000 local).
    public func startOfDay(_ date: BusinessDate) -> Timestamp {
        localInstant(date, millisecondsIntoDay: 0)
    }

    /// The last instant of `date` (23:59:59.999 local): "due by the end of the day".
    public func endOfDay(_ date: BusinessDate) -> Timestamp {
        localInstant(date, millisecondsIntoDay: 86_400_000 - 1)
    }

    /// The same instant expressed with the business time zone's UTC offset (for output events).
    public func localized(_ instant: Timestamp) -> Timestamp {
        Timestamp(
            millisecondsSinceEpoch: instant.millisecondsSinceEpoch,
            utcOffsetSeconds: Int32(offsetSeconds(atMilliseconds: instant.millisecondsSinceEpoch))
        )
    }

    /// A database `timestamptz` (a `Date`) as a timestamp in the business time zone, at millisecond precision.
    ///
    /// Rounds to the nearest millisecond: PostgreSQL keeps microseconds and a `Date` is binary floating point, so
    /// `…692 ms` comes back as `…691.999…` and flooring would lose a millisecond.
    public func localized(_ date: Date) -> Timestamp {
        localized(Timestamp(nearest: date))
    }

    /// `months` calendar months after `instant`, at the same local time of day in the business time zone; a day
    /// the target month lacks becomes its last day (31 January + 1 month = 28 or 29 February). Negative goes back.
    public func adding(months: Int, to instant: Timestamp) -> Timestamp {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        let date = gregorian.date(byAdding: .month, value: months, to: instant.date) ?? instant.date
        return localized(Timestamp(nearest: date))
    }

    /// Now, with the business time zone's offset.
    public func now() -> Timestamp {
        localized(Timestamp(date: Date(), utcOffsetSeconds: 0))
    }

    private func localInstant(_ date: BusinessDate, millisecondsIntoDay: Int64) -> Timestamp {
        let utcMilliseconds = date.dayNumber * 86_400_000 + millisecondsIntoDay
        // The offset is that of the local wall-clock time; look it up twice so that a day on which the offset
        // changes (daylight-saving zones) still lands on the right instant.
        let guess = utcMilliseconds - Int64(offsetSeconds(atMilliseconds: utcMilliseconds)) * 1000
        let offset = offsetSeconds(atMilliseconds: guess)
        return Timestamp(millisecondsSinceEpoch: utcMilliseconds - Int64(offset) * 1000, utcOffsetSeconds: Int32(offset))
    }

    /// The time zone's UTC offset at an instant, cut to whole minutes: local mean time offsets (Asia/Shanghai
    /// before 1901 is +08:05:43) cannot be written in RFC 3339, and ``Timestamp`` requires whole minutes.
    private func offsetSeconds(atMilliseconds milliseconds: Int64) -> Int {
        let seconds = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return seconds - seconds % 60
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (instants before 1970 stay on the right day).
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

// MARK: - BusinessDate + day numbers

extension BusinessDate {
    /// Days since 1970-01-01 (proleptic Gregorian), from Howard Hinnant's `days_from_civil`.
    public var dayNumber: Int64 {
        let y = Int64(year) - (month <= 2 ? 1 : 0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `dayNumber` days after 1970-01-01 (`civil_from_days`).
    public init(dayNumber: Int64) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self = BusinessDate(validYear: Int(year), month: Int(month), day: Int(day))
    }

    public func adding(days: Int) -> BusinessDate {
        BusinessDate(dayNumber: dayNumber + Int64(days))
    }
}
