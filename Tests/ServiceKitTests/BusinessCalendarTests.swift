import Events
import Foundation
import Testing

@testable import ServiceKit

@Suite("Business calendar: working days and the business time zone")
struct BusinessCalendarTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    func date(_ text: String) -> BusinessDate { BusinessDate(text)! }

    @Test("weekdays come from day arithmetic (2026-11-23 is a Monday)")
    func weekdays() {
        let calendar = BusinessCalendar(timeZone: shanghai)
        #expect(calendar.weekday(of: date("2026-11-23")) == .monday)
        #expect(calendar.weekday(of: date("2026-11-29")) == .sunday)
        #expect(calendar.weekday(of: date("2024-02-29")) == .thursday)
        #expect(calendar.weekday(of: date("1969-12-31")) == .wednesday)
    }

    @Test("D-05 D-07 calendar months in the business time zone: same local time, short months clamp to their last day")
    func addingMonths() throws {
        let calendar = BusinessCalendar(timeZone: shanghai)
        func at(_ text: String) throws -> Timestamp { try Timestamp(rfc3339: text) }
        #expect(
            calendar.adding(months: 1, to: try at("2026-11-23T09:30:00.000+08:00")).rfc3339
                == "2026-12-23T09:30:00.000+08:00")
        // 23:30 in Shanghai is the previous day in UTC: the month is counted on the local date.
        #expect(
            calendar.adding(months: 1, to: try at("2026-01-31T15:30:00.000Z")).rfc3339
                == "2026-02-28T23:30:00.000+08:00")
        #expect(
            calendar.adding(months: 24, to: try at("2024-02-29T10:00:00.000+08:00")).rfc3339
                == "2026-02-28T10:00:00.000+08:00")
        #expect(
            calendar.adding(months: -24, to: try at("2026-11-23T00:00:00.000+08:00")).rfc3339
                == "2024-11-23T00:00:00.000+08:00")
    }

    @Test("day numbers round-trip over four centuries")
    func dayNumbers() {
        for day in stride(from: Int64(-200_000), through: 200_000, by: 997) {
            #expect(BusinessDate(dayNumber: day).dayNumber == day)
        }
        #expect(date("1970-01-01").dayNumber == 0)
        #expect(date("2000-03-01").adding(days: -1) == date("2000-02-29"))
    }

    @Test("F-02 the 3rd working day after a Friday is the Wednesday; after a Saturday, too")
    func thirdWorkingDay() {
        let calendar = BusinessCalendar(timeZone: shanghai)
        #expect(calendar.workingDay(3, after: date("2026-11-27")) == date("2026-12-02"))
        #expect(calendar.workingDay(3, after: date("2026-11-28")) == date("2026-12-02"))
        #expect(calendar.workingDay(3, after: date("2026-11-23")) == date("2026-11-26"))
    }

    @Test("holidays are skipped and make-up working days (调休) count, also across whole-week jumps")
    func holidaysAndMakeUpDays() {
        // National Day 2026: 1–7 October off, Saturday 10 October worked.
        let holidays = Set((1...7).map { date(String(format: "2026-10-%02d", $0)) })
        let calendar = BusinessCalendar(timeZone: shanghai, holidays: holidays, workdays: [date("2026-10-10")])
        #expect(!calendar.isWorkingDay(date("2026-10-05")))
        #expect(calendar.isWorkingDay(date("2026-10-10")))
        #expect(calendar.workingDay(1, after: date("2026-09-30")) == date("2026-10-08"))
        #expect(calendar.workingDay(3, after: date("2026-09-30")) == date("2026-10-10"))
        #expect(calendar.workingDay(0, after: date("2026-10-03")) == date("2026-10-08"))
        // A long count crosses the holiday week and still matches a day-by-day count.
        var day = date("2026-09-01")
        var counted = 0
        while counted < 40 {
            day = day.adding(days: 1)
            if calendar.isWorkingDay(day) { counted += 1 }
        }
        #expect(calendar.workingDay(40, after: date("2026-09-01")) == day)
    }

    @Test("end of day is 23:59:59.999 local with the zone's offset; business date of an instant is local")
    func instants() throws {
        let calendar = BusinessCalendar(timeZone: shanghai)
        let end = calendar.endOfDay(date("2026-11-26"))
        #expect(end.rfc3339 == "2026-11-26T23:59:59.999+08:00")
        // 2026-11-23T17:30:00Z is already the 24th in Shanghai.
        let instant = try Timestamp(rfc3339: "2026-11-23T17:30:00Z")
        #expect(calendar.businessDate(of: instant) == date("2026-11-24"))
        #expect(calendar.startOfDay(date("2026-11-24")).rfc3339 == "2026-11-24T00:00:00.000+08:00")
    }

    @Test("H-07 a day under local mean time (Shanghai before 1901, +08:05:43) gets a whole-minute offset, no trap")
    func localMeanTime() throws {
        let calendar = BusinessCalendar(timeZone: shanghai)
        let day = date("1900-01-01")
        #expect(calendar.endOfDay(day).rfc3339 == "1900-01-01T23:59:59.999+08:05")
        #expect(calendar.startOfDay(day).rfc3339 == "1900-01-01T00:00:00.000+08:05")
        #expect(calendar.businessDate(of: calendar.endOfDay(day)) == day)
        #expect(calendar.businessDate(of: calendar.startOfDay(day)) == day)
        let instant = try Timestamp(rfc3339: "1899-12-31T16:00:00.000Z")
        #expect(calendar.localized(instant).utcOffsetSeconds == 8 * 3600 + 5 * 60)
        #expect(calendar.endOfDay(calendar.workingDay(10, after: date("1899-12-20"))).rfc3339.hasPrefix("1900-01-03T"))
    }

    @Test("a daylight-saving zone gets the offset of the day itself")
    func daylightSaving() {
        let calendar = BusinessCalendar(timeZone: TimeZone(identifier: "Europe/Berlin")!)
        #expect(calendar.endOfDay(date("2026-07-01")).rfc3339 == "2026-07-01T23:59:59.999+02:00")
        #expect(calendar.endOfDay(date("2026-12-01")).rfc3339 == "2026-12-01T23:59:59.999+01:00")
    }

    @Test("the calendar file is read from BUSINESS_CALENDAR; clashes and bad zones are refused")
    func fromEnvironment() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("calendar-\(UUID()).json")
        try Data(
            #"{"timeZone": "Asia/Shanghai", "weekend": ["SAT","SUN"], "holidays": ["2027-01-01"], "workdays": ["2027-01-09"]}"#
                .utf8
        ).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let calendar = try BusinessCalendar(environment: EnvironmentReader(["BUSINESS_CALENDAR": file.path]))
        #expect(!calendar.isWorkingDay(date("2027-01-01")))
        #expect(calendar.isWorkingDay(date("2027-01-09")))
        #expect(throws: ConfigurationError.self) {
            try BusinessCalendar(environment: EnvironmentReader(["BUSINESS_TIME_ZONE": "Mars/Olympus"]))
        }
        try Data(#"{"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}"#.utf8).write(to: file)
        #expect(throws: ConfigurationError.self) {
            try BusinessCalendar(environment: EnvironmentReader(["BUSINESS_CALENDAR": file.path]))
        }
    }
}
