import Events
import Foundation
import Testing

// MARK: - TimestampTests

@Suite("Timestamp: RFC 3339 with offset, millisecond precision")
struct TimestampTests {
    @Test("contract §1.1 example round-trips exactly")
    func contractExample() throws {
        let text = "2026-11-23T09:15:02.120+08:00"
        let timestamp = try Timestamp(rfc3339: text)
        #expect(timestamp.utcOffsetSeconds == 28_800)
        #expect(timestamp.millisecondsSinceEpoch == 1_795_396_502_120)
        #expect(timestamp.rfc3339 == text)
    }

    @Test(
        "accepted forms and their canonical text",
        arguments: [
            ("2026-11-23T01:15:02Z", "2026-11-23T01:15:02.000Z"),
            ("2026-11-23T01:15:02.1Z", "2026-11-23T01:15:02.100Z"),
            ("2026-11-23T01:15:02.123456789Z", "2026-11-23T01:15:02.123Z"),
            ("2026-11-23T01:15:02.999999999+05:45", "2026-11-23T01:15:02.999+05:45"),
            ("2028-02-29T23:59:59.999-03:30", "2028-02-29T23:59:59.999-03:30"),
            ("2026-11-23T01:15:02.120-00:00", "2026-11-23T01:15:02.120Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
            ("0001-01-01T00:00:00.000+14:00", "0001-01-01T00:00:00.000+14:00"),
        ])
    func accepted(input: String, canonical: String) throws {
        #expect(try Timestamp(rfc3339: input).rfc3339 == canonical)
    }

    @Test("+05:45 (Kathmandu) is the same instant as the UTC time it names")
    func nonHourOffset() throws {
        let nepal = try Timestamp(rfc3339: "2026-11-23T14:45:00.000+05:45")
        let utc = try Timestamp(rfc3339: "2026-11-23T09:00:00.000Z")
        #expect(nepal.isSameInstant(as: utc))
        #expect(nepal != utc)
        #expect(nepal.converted(toUTCOffsetSeconds: 0) == utc)
        #expect(utc < nepal)  // same instant: ordered by offset so that < agrees with ==
    }

    @Test(
        "rejected forms name the problem",
        arguments: [
            ("2026-13-01T00:00:00Z", "month 13"),
            ("2026-02-29T00:00:00Z", "day 29 does not exist in 2026-02"),
            ("2026-11-23T24:00:00Z", "hour 24"),
            ("2026-11-23T09:60:00Z", "minute 60"),
            ("2026-11-23T09:15:60Z", "second 60"),
            ("2026-11-23T09:15:02", "wrong length"),
            ("2026-11-23T09:15:02.120", "UTC offset"),
            ("2026-11-23 09:15:02Z", "YYYY-MM-DDTHH:MM:SS"),
            ("2026-11-23t09:15:02z", "YYYY-MM-DDTHH:MM:SS"),
            ("2026-11-23T09:15:02.Z", "1 to 9 fractional digits"),
            ("2026-11-23T09:15:02.1234567890Z", "1 to 9 fractional digits"),
            ("2026-11-23T09:15:02+0800", "UTC offset"),
            ("2026-11-23T09:15:02+24:00", "out of range"),
            ("0000-01-01T00:00:00Z", "year 0"),
            ("2026-11-23T09:15:02Zjunk", "unexpected text after the UTC offset"),
        ])
    func rejected(input: String, expected: String) {
        #expect {
            try Timestamp(rfc3339: input)
        } throws: { error in
            (error as? WireFormatError)?.reason.contains(expected) == true
        }
    }

    @Test("Date conversion truncates to the millisecond")
    func dateConversion() {
        let timestamp = Timestamp(date: Date(timeIntervalSince1970: 1.2345678), utcOffsetSeconds: 3600)
        #expect(timestamp.millisecondsSinceEpoch == 1234)
        #expect(timestamp.rfc3339 == "1970-01-01T01:00:01.234+01:00")
        #expect(timestamp.date == Date(timeIntervalSince1970: 1.234))
        #expect(Timestamp.now(utcOffsetSeconds: 28_800).utcOffsetSeconds == 28_800)
    }

    @Test("arithmetic keeps the offset")
    func arithmetic() throws {
        let start = try Timestamp(rfc3339: "2026-11-23T09:15:02.120+08:00")
        #expect(start.adding(.seconds(90)).rfc3339 == "2026-11-23T09:16:32.120+08:00")
        #expect(start.adding(.milliseconds(-121)).rfc3339 == "2026-11-23T09:15:01.999+08:00")
        #expect(start.adding(milliseconds: 86_400_000).rfc3339 == "2026-11-24T09:15:02.120+08:00")
        #expect(start.duration(to: start.adding(.seconds(3))) == .seconds(3))
    }

    @Test("Codable as a JSON string")
    func codable() throws {
        let timestamp = try Timestamp(rfc3339: "2026-11-23T09:15:02.120+08:00")
        let json = try JSONEncoder().encode([timestamp])
        #expect(String(decoding: json, as: UTF8.self) == #"["2026-11-23T09:15:02.120+08:00"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: json) == [timestamp])
    }
}
