import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension AssignmentService {
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/customers/:customerId/relationship") { _, requestContext in
            let customerID = try requestContext.parameters.require("customerId")
            guard let view = try await self.relationship(customerID) else {
                throw APIError.notFound("customer \(customerID) has no relationship manager yet")
            }
            return view
        }
        router.get("/managers/:staffId/book") { _, requestContext in
            try await self.book(staffID: try requestContext.parameters.require("staffId"))
        }
    }

    /// `GET /customers/{customerId}/relationship`: the exclusive manager, the service team and the owners so far.
    struct RelationshipView: ResponseCodable {
        struct Owner: Codable {
            var managerId: String
            var previousManagerId: String?
            var reason: String
            var from: Timestamp
            var until: Timestamp?
        }
        var customerId: String
        var managerId: String
        var branchId: String
        var tier: String?
        var serviceTeam: [String]
        var assignedAt: Timestamp
        var history: [Owner]
    }

    func relationship(_ customerID: String) async throws -> RelationshipView? {
        let rows = try await context.postgres.query(
            """
            SELECT manager_id, branch_id, tier, service_team, assigned_at FROM relationships
            WHERE customer_id = \(customerID)
            """,
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (managerID, branchID, tier, team, assignedAt) = try row.decode(
            (String, String, String?, [String], Date).self)
        var history: [RelationshipView.Owner] = []
        for try await (manager, previous, reason, started, ended) in try await context.postgres.query(
            """
            SELECT manager_id, previous_manager_id, reason, started_at, ended_at FROM relationship_history
            WHERE customer_id = \(customerID) ORDER BY started_at, id
            """,
            logger: context.logger
        ).decode((String, String?, String, Date, Date?).self) {
            history.append(
                .init(
                    managerId: manager, previousManagerId: previous, reason: reason, from: context.calendar.localized(started),
                    until: ended.map(context.calendar.localized)))
        }
        return RelationshipView(
            customerId: customerID, managerId: managerID, branchId: branchID, tier: tier, serviceTeam: team,
            assignedAt: context.calendar.localized(assignedAt), history: history)
    }

    /// `GET /managers/{staffId}/book`: customers owned, counts by tier, remaining capacity.
    struct BookView: ResponseCodable {
        struct Customer: Codable {
            var customerId: String
            var tier: String?
            var assignedAt: Timestamp
        }
        var staffId: String
        var status: String?
        var branchId: String?
        var customers: [Customer]
        var countsByTier: [String: Int]
        var total: Int
        var capacity: Int
        var remainingCapacity: Int
    }

    func book(staffID: String) async throws -> BookView {
        let staffRows = try await context.postgres.query(
            "SELECT status, branch_id FROM staff WHERE staff_id = \(staffID)", logger: context.logger
        ).collect()
        let staff = try staffRows.first?.decode((String, String).self)
        var customers: [BookView.Customer] = []
        for try await (customerID, tier, assignedAt) in try await context.postgres.query(
            """
            SELECT customer_id, tier, assigned_at FROM relationships WHERE manager_id = \(staffID)
            ORDER BY assigned_at, customer_id
            """,
            logger: context.logger
        ).decode((String, String?, Date).self) {
            customers.append(.init(customerId: customerID, tier: tier, assignedAt: context.calendar.localized(assignedAt)))
        }
        guard staff != nil || !customers.isEmpty else {
            throw APIError.notFound("no staff member \(staffID) in the directory")
        }
        var counts: [String: Int] = ["A": 0, "B": 0, "C": 0]
        for customer in customers { counts[customer.tier ?? "unknown", default: 0] += 1 }
        return BookView(
            staffId: staffID, status: staff?.0, branchId: staff?.1, customers: customers, countsByTier: counts,
            total: customers.count, capacity: settings.managerCapacity,
            remainingCapacity: max(0, settings.managerCapacity - customers.count))
    }
}
