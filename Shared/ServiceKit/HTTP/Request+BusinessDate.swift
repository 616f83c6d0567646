import Events
import Hummingbird

extension Request {
    /// The `date` query parameter (`YYYY-MM-DD`), or today in the business time zone when it is absent.
    /// - Throws: ``APIError`` 400 `invalid_parameter` when it is not a date, or not in
    ///   ``BusinessDate/supportedYears``.
    public func businessDate(parameter name: String = "date", calendar: BusinessCalendar) throws -> BusinessDate {
        guard let raw = uri.queryParameters.get(name) else { return calendar.businessDate(of: calendar.now()) }
        guard let date = BusinessDate(String(raw)) else {
            throw APIError.badRequest("\(name) must be YYYY-MM-DD, got \(raw)", error: "invalid_parameter")
        }
        if let problem = BusinessDate.supportProblem(year: date.year) {
            throw APIError.badRequest("\(name) \(raw) is not accepted: \(problem)", error: "invalid_parameter")
        }
        return date
    }
}
