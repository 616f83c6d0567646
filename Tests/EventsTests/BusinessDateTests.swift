import Events
import Foundation
import Testing

// MARK: - BusinessDateTests

@Suite("BusinessDate: YYYY-MM-DD")
struct BusinessDateTests {
    @Test("leap days exist only in leap years", arguments: [(2028, true), (2026, false), (2000, true), (1900, false)])
    func leapDay(year: Int, isLeap: Bool) {
        #expect((BusinessDate(year: year, month: 2, day: 29) != nil) == isLeap)
        #expect((BusinessDate("\(year)-02-29") != nil) == isLeap)
    }

    @Test(
        "rejected text names the problem",
        arguments: [
            ("2026-13-01", "month 13"), ("2026-00-10", "month 0"), ("2026-04-31", "day 31"),
            ("2026-11-3", "YYYY-MM-DD"),
            ("2026/11/23", "YYYY-MM-DD"), ("2026-11-23T00:00:00Z", "YYYY-MM-DD"), ("0000-01-01", "year 0"),
        ])
    func rejected(text: String, expected: String) {
        #expect {
            try BusinessDate(parsing: text)
        } throws: { error in
            (error as? WireFormatError)?.reason.contains(expected) == true
        }
    }

    @Test("formats zero-padded, orders chronologically, codes as a string")
    func formatting() throws {
        let date = try BusinessDate(parsing: "2026-01-05")
        #expect(date.description == "2026-01-05")
        #expect(date < BusinessDate(validYear: 2026, month: 1, day: 6))
        #expect(BusinessDate(validYear: 2025, month: 12, day: 31) < date)
        let json = try JSONEncoder().encode([date])
        #expect(String(decoding: json, as: UTF8.self) == #"["2026-01-05"]"#)
        #expect(try JSONDecoder().decode([BusinessDate].self, from: json) == [date])
    }

    @Test("the local date of a timestamp follows its offset")
    func localDate() throws {
        let lateUTC = try Timestamp(rfc3339: "2026-11-23T17:30:00.000Z")
        #expect(BusinessDate(localDateOf: lateUTC).description == "2026-11-23")
        let shanghai = lateUTC.converted(toUTCOffsetSeconds: Timestamp.shanghaiUTCOffsetSeconds)
        #expect(BusinessDate(localDateOf: shanghai).description == "2026-11-24")
    }
}
