import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension EngagementService {
    /// Who may see what (H-01, H-09): an agenda — its manager and the centre head of their branch; a customer's
    /// tasks — the customer's owner, the managers the tasks are on, and the centre head of the customer's branch; a
    /// task — the manager it is on and the centre head of its branch. Operations everything.
    public func addRoutes(to router: Router<ConciergeRequestContext>) {
        router.get("/managers/:staffId/agenda") { request, requestContext in
            let staffID = try requestContext.parameters.require("staffId")
            let date = try request.businessDate(calendar: context.calendar)
            try requestContext.caller().authorize(
                ResourceScope(staff: [staffID], branches: try await self.branches(ofStaff: staffID)),
                "manager \(staffID)'s agenda")
            return try await self.agenda(staffID: staffID, date: date)
        }
        router.get("/customers/:customerId/tasks") { _, requestContext in
            let customerID = try requestContext.parameters.require("customerId")
            try requestContext.caller().authorize(
                try await self.scope(ofCustomer: customerID), "customer \(customerID)'s tasks")
            return try await self.customerTasks(customerID)
        }
        router.post("/tasks/:taskId/complete") { request, requestContext in
            let rawID = try requestContext.parameters.require("taskId")
            guard let taskID = UUID(uuidString: rawID), let scope = try await self.scope(ofTask: taskID) else {
                throw APIError.notFound("no task \(rawID)")
            }
            try requestContext.caller().authorize(scope, "task \(rawID)")
            let body = try await request.decode(as: CompleteTaskRequest.self, context: requestContext)
            return try await self.complete(taskID: taskID, outcome: body.outcome)
        }
    }

    /// The branch of a staff member, from engagement's copy of the directory.
    func branches(ofStaff staffID: String) async throws -> [String] {
        try await strings("SELECT branch_id FROM staff WHERE staff_id = \(staffID)")
    }

    /// A customer's owner and branch, and the managers and branches of their tasks.
    func scope(ofCustomer customerID: String) async throws -> ResourceScope {
        ResourceScope(
            staff: try await strings(
                """
                SELECT manager_id FROM customers WHERE customer_id = \(customerID)
                UNION SELECT DISTINCT manager_id FROM tasks WHERE customer_id = \(customerID)
                """),
            branches: try await strings(
                """
                SELECT branch_id FROM customers WHERE customer_id = \(customerID)
                UNION SELECT DISTINCT branch_id FROM tasks WHERE customer_id = \(customerID) AND branch_id IS NOT NULL
                """))
    }

    /// The manager a task is on and its branch; `nil` when there is no such task.
    func scope(ofTask taskID: UUID) async throws -> ResourceScope? {
        let rows = try await context.postgres.query(
            "SELECT manager_id, branch_id FROM tasks WHERE task_id = \(taskID)", logger: context.logger)
        for try await (manager, branch) in rows.decode((String, String?).self) {
            return ResourceScope(staff: [manager], branches: [branch].compactMap { $0 })
        }
        return nil
    }

    private func strings(_ query: PostgresQuery) async throws -> [String] {
        var values: [String] = []
        for try await value in try await context.postgres.query(query, logger: context.logger).decode(String.self) {
            values.append(value)
        }
        return values
    }

    struct TaskView: ResponseCodable {
        var taskId: String
        var customerId: String?
        var managerId: String
        var kind: String
        var title: String
        var status: String
        var dueAt: Timestamp
        var ruleId: String
        var visitId: String?
        var referralId: String?
        var completedAt: Timestamp?
        var outcome: String?
        var overdue: Bool
    }

    /// `GET /managers/{staffId}/agenda?date=`: the tasks due that day, earliest first.
    struct AgendaView: ResponseCodable {
        var staffId: String
        var date: BusinessDate
        var tasks: [TaskView]
    }

    struct CustomerTasksView: ResponseCodable {
        var customerId: String
        var open: [TaskView]
        var done: [TaskView]
    }

    struct CompleteTaskRequest: Decodable {
        var outcome: String?
    }

    func agenda(staffID: String, date: BusinessDate) async throws -> AgendaView {
        let tasks = try await loadTasks(
            """
            SELECT \(unescaped: Self.taskColumns) FROM tasks
            WHERE manager_id = \(staffID) AND due_date = \(date.description)::date AND status <> 'cancelled'
            ORDER BY due_at, kind, customer_id NULLS LAST, task_id
            """)
        return AgendaView(staffId: staffID, date: date, tasks: tasks)
    }

    func customerTasks(_ customerID: String) async throws -> CustomerTasksView {
        let tasks = try await loadTasks(
            """
            SELECT \(unescaped: Self.taskColumns) FROM tasks
            WHERE customer_id = \(customerID) AND status <> 'cancelled'
            ORDER BY due_at, kind, customer_id NULLS LAST, task_id
            """)
        return CustomerTasksView(
            customerId: customerID, open: tasks.filter { $0.status == "open" }, done: tasks.filter { $0.status == "done" })
    }

    /// `POST /tasks/{taskId}/complete`: marks an open task done and announces `task-completed` (E-04, E-10).
    func complete(taskID: UUID, outcome: String?) async throws -> TaskView {
        try await context.withOutboxTransaction { connection, outbox in
            let tasks = store(connection, outbox, logger: context.logger)
            guard try await tasks.complete(.task(taskID), at: tasks.now, outcome: outcome) != nil else {
                let exists = try await connection.query(
                    "SELECT status FROM tasks WHERE task_id = \(taskID)", logger: context.logger
                ).collect()
                guard let status = try exists.first?.decode(String.self) else {
                    throw APIError.notFound("no task \(taskID.uuidString.lowercased())")
                }
                throw APIError.conflict("task is \(status), not open")
            }
            let loaded = try await loadTasks(
                "SELECT \(unescaped: Self.taskColumns) FROM tasks WHERE task_id = \(taskID)", on: connection)
            return loaded[0]
        }
    }

    static let taskColumns = """
        task_id, customer_id, manager_id, kind, title, status, due_at, rule_id, visit_id, referral_id, completed_at,
        outcome
        """

    private func loadTasks(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [TaskView] {
        let rows =
            if let connection {
                try await connection.query(query, logger: context.logger)
            } else {
                try await context.postgres.query(query, logger: context.logger)
            }
        let now = context.calendar.now()
        var tasks: [TaskView] = []
        for try await row in rows {
            let (id, customer, manager, kind, title, status, due, rule, visit, referral, completed, outcome) =
                try row.decode(
                    (UUID, String?, String, String, String, String, Date, String, String?, String?, Date?, String?).self)
            tasks.append(
                TaskView(
                    taskId: id.uuidString.lowercased(), customerId: customer, managerId: manager, kind: kind,
                    title: title, status: status, dueAt: context.calendar.localized(due), ruleId: rule,
                    visitId: visit, referralId: referral, completedAt: completed.map(context.calendar.localized),
                    outcome: outcome, overdue: status == "open" && due < now.date))
        }
        return tasks
    }
}
