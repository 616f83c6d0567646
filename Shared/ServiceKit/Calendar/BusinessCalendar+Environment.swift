import Events
import Foundation

extension BusinessCalendar {
    /// The calendar file format (`BUSINESS_CALENDAR`), supplied by the bank:
    /// `{"timeZone": "Asia/Shanghai", "weekend": ["SAT","SUN"], "holidays": ["YYYY-MM-DD", …], "workdays": [...]}`.
    struct File: Decodable {
        var timeZone: String?
        var weekend: [Weekday]?
        var holidays: [BusinessDate]?
        var workdays: [BusinessDate]?
    }

    /// Reads the calendar from the environment.
    ///
    /// - `BUSINESS_CALENDAR`: path to the calendar JSON file (optional; without it there are no holidays).
    /// - `BUSINESS_TIME_ZONE`: IANA time zone (default `Asia/Shanghai`; overrides the file's `timeZone`).
    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        var file = File()
        if let path = environment.string("BUSINESS_CALENDAR") {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                file = try JSONDecoder().decode(File.self, from: data)
            } catch {
                throw ConfigurationError(key: "BUSINESS_CALENDAR", reason: "cannot read calendar file \(path): \(error)")
            }
        }
        let zoneName = environment.string("BUSINESS_TIME_ZONE") ?? file.timeZone ?? "Asia/Shanghai"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ConfigurationError(key: "BUSINESS_TIME_ZONE", reason: "\"\(zoneName)\" is not an IANA time zone")
        }
        let holidays = Set(file.holidays ?? [])
        let workdays = Set(file.workdays ?? [])
        if let clash = holidays.intersection(workdays).min() {
            throw ConfigurationError(
                key: "BUSINESS_CALENDAR", reason: "\(clash) is listed both as a holiday and as a working day")
        }
        self.init(
            timeZone: zone, weekend: Set(file.weekend ?? [.saturday, .sunday]), holidays: holidays, workdays: workdays)
    }
}
