import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension ScoringService {
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/branches/:branchId/daily") { request, requestContext in
            let branchID = try requestContext.parameters.require("branchId")
            let date = try request.businessDate(calendar: context.calendar)
            return try await self.daily(branchID: branchID, date: date)
        }
    }

    /// `GET /branches/{branchId}/daily?date=`: the four C-10 counts for one business day (zeros when nothing
    /// happened).
    struct DailyView: ResponseCodable {
        struct Tellers: Codable {
            var cash: Int
            var nonCash: Int
            var businessOfficer: Int
        }
        var branchId: String
        var date: BusinessDate
        /// C-10 item 1: VIPs received by each manager.
        var vipsReceivedByManager: [String: Int]
        /// C-10 item 2: VIPs identified by the lobby manager and lobby assistants.
        var vipsIdentifiedByLobby: Int
        /// C-10 item 3: VIPs identified at the counters.
        var vipsIdentifiedByTellers: Tellers
        /// VIPs identified by anybody else (role not given).
        var vipsIdentifiedOther: Int
        var potentialVipsIdentified: Int
        /// C-10 item 4: complaints received.
        var complaintsReceived: Int
    }

    func daily(branchID: String, date: BusinessDate) async throws -> DailyView {
        let rows = try await context.postgres.query(
            """
            SELECT vips_identified_lobby, vips_identified_cash, vips_identified_noncash, vips_identified_officer,
                vips_identified_other, potential_identified, complaints_received
            FROM branch_daily WHERE branch_id = \(branchID) AND business_date = \(date.description)::date
            """,
            logger: context.logger
        ).collect()
        var counts = [Int](repeating: 0, count: 7)
        if let row = rows.first {
            for (index, cell) in row.enumerated() { counts[index] = Int(try cell.decode(Int32.self)) }
        }
        var received: [String: Int] = [:]
        for try await (manager, count) in try await context.postgres.query(
            """
            SELECT manager_id, vips_received FROM manager_daily
            WHERE branch_id = \(branchID) AND business_date = \(date.description)::date
            """,
            logger: context.logger
        ).decode((String, Int32).self) {
            received[manager] = Int(count)
        }
        let tellers = DailyView.Tellers(cash: counts[1], nonCash: counts[2], businessOfficer: counts[3])
        return DailyView(
            branchId: branchID, date: date, vipsReceivedByManager: received, vipsIdentifiedByLobby: counts[0],
            vipsIdentifiedByTellers: tellers, vipsIdentifiedOther: counts[4], potentialVipsIdentified: counts[5],
            complaintsReceived: counts[6])
    }
}
