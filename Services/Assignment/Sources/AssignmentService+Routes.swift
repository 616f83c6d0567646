import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

extension AssignmentService {
    /// Who may see what (H-01, H-09): a customer's relationship and notes — the owner (or whoever covers or holds
    /// the customer) and the centre head of the customer's branch; a book — its manager and their centre head; a
    /// transfer — the marketing manager handing over and their centre head. Operations everything.
    public func addRoutes(to router: Router<ConciergeRequestContext>) {
        router.get("/customers/:customerId/relationship") { _, requestContext in
            let customerID = try requestContext.parameters.require("customerId")
            guard let view = try await self.relationship(customerID) else {
                throw APIError.notFound("customer \(customerID) has no relationship manager yet")
            }
            try requestContext.caller().authorize(view.scope, "customer \(customerID)'s relationship")
            return view
        }
        router.post("/customers/:customerId/notes") { request, requestContext in
            let caller = try requestContext.caller()
            let customerID = try requestContext.parameters.require("customerId")
            let body = try await request.decode(as: NoteRequest.self, context: requestContext)
            guard let view = try await self.relationship(customerID) else {
                throw APIError.notFound("customer \(customerID) has no relationship manager yet")
            }
            try caller.authorize(view.scope, "customer \(customerID)'s notes")
            return EditedResponse(
                status: .created, response: try await self.addNote(customerID: customerID, body, caller: caller))
        }
        router.get("/managers/:staffId/book") { _, requestContext in
            let staffID = try requestContext.parameters.require("staffId")
            let book = try await self.book(staffID: staffID)
            try requestContext.caller().authorize(
                ResourceScope(staff: [staffID], branches: [book.branchId].compactMap { $0 }), "manager \(staffID)'s book")
            return book
        }
        router.post("/transfers") { request, requestContext in
            let caller = try requestContext.caller()
            let body = try await request.decode(as: TransferRequest.self, context: requestContext)
            try await self.authorizeTransfer(try self.validate(body), caller: caller)
            let (view, created) = try await self.transfer(body)
            return EditedResponse(status: created ? .created : .ok, response: view)
        }
    }

    /// A transfer is the marketing manager's own act (D-08), or their centre head's.
    func authorizeTransfer(_ transfer: Transfer, caller: Principal) async throws {
        let marketing = try await context.postgres.withConnection { connection in
            try await AssignmentRepository(connection: connection, logger: context.logger)
                .staff(transfer.marketingManagerID)
        }
        try caller.authorize(
            ResourceScope(staff: [transfer.marketingManagerID], branches: [marketing?.branchID].compactMap { $0 }),
            "a transfer from \(transfer.marketingManagerID)")
    }

    // MARK: - GET /customers/{customerId}/relationship

    /// The exclusive manager (or who holds the customer), the service team, who serves while the owner is away, the
    /// owners so far with the notes each period collected (D-12), the open handover and the latest customer file.
    struct RelationshipView: ResponseCodable {
        struct Note: Codable {
            var authorId: String
            var text: String
            var writtenAt: Timestamp
        }
        struct Period: Codable {
            /// `nil` while held with no centre head in the directory.
            var managerId: String?
            var previousManagerId: String?
            /// `new`, `handover`, `transfer`, or `held`.
            var reason: String
            /// `owned`, or `held` by the centre head until a manager is free.
            var state: String
            var from: Timestamp
            var until: Timestamp?
            var notes: [Note]
        }
        struct Handover: Codable {
            var handoverId: String
            var fromManagerId: String
            var toManagerId: String
            var reason: String
            var effectiveAt: Timestamp
            var firstContactDueAt: Timestamp
            var status: String
            var completedAt: Timestamp?
        }
        struct CustomerFile: Codable {
            var transferId: String
            var marketingManagerId: String
            /// Masked (`138****5678`); `nil` when the key that sealed it has left the key ring.
            var contact: String?
            var needs: String
            var riskProfile: String
            var notes: String
            var transferredAt: Timestamp
        }
        var customerId: String
        /// The owner; while `held`, the centre head holding the customer (or `nil`).
        var managerId: String?
        /// `owned` or `held` (D-01: held by the centre head until a manager is free).
        var state: String
        var branchId: String
        var tier: String?
        var segment: String
        var serviceTeam: [String]
        var assignedAt: Timestamp
        /// Who serves while the owner is on leave (D-06).
        var coveredBy: String?
        var history: [Period]
        var handover: Handover?
        var customerFile: CustomerFile?

        /// The owner (or holder) and whoever covers them, and the customer's branch.
        var scope: ResourceScope {
            ResourceScope(staff: [managerId, coveredBy].compactMap { $0 }, branches: [branchId])
        }
    }

    func relationship(_ customerID: String) async throws -> RelationshipView? {
        try await context.postgres.withConnection { connection in
            let repository = AssignmentRepository(connection: connection, logger: context.logger)
            guard let relationship = try await repository.relationship(of: customerID) else { return nil }
            var coveredBy: String?
            if !relationship.isHeld, let managerID = relationship.managerID,
                let owner = try await repository.staff(managerID), owner.isOnLeave
            {
                coveredBy = try await repository.cover(for: owner)
            }
            return RelationshipView(
                customerId: customerID, managerId: relationship.managerID,
                state: relationship.isHeld ? "held" : "owned", branchId: relationship.branchID,
                tier: relationship.tier?.rawValue, segment: relationship.segment.rawValue,
                serviceTeam: relationship.serviceTeam, assignedAt: context.calendar.localized(relationship.assignedAt),
                coveredBy: coveredBy, history: try await history(customerID, connection: connection),
                handover: try await latestHandover(customerID, connection: connection),
                customerFile: try await customerFile(customerID, connection: connection))
        }
    }

    private func history(_ customerID: String, connection: PostgresConnection) async throws
        -> [RelationshipView.Period]
    {
        let calendar = context.calendar
        var notes: [Int64: [RelationshipView.Note]] = [:]
        for try await (historyID, author, text, at) in try await connection.query(
            """
            SELECT history_id, author_id, text, written_at FROM relationship_notes
            WHERE customer_id = \(customerID) ORDER BY written_at, id
            """,
            logger: context.logger
        ).decode((Int64, String, String, Date).self) {
            notes[historyID, default: []].append(.init(authorId: author, text: text, writtenAt: calendar.localized(at)))
        }
        var periods: [RelationshipView.Period] = []
        for try await (id, manager, previous, reason, state, started, ended) in try await connection.query(
            """
            SELECT id, manager_id, previous_manager_id, reason, state, started_at, ended_at FROM relationship_history
            WHERE customer_id = \(customerID) ORDER BY started_at, id
            """,
            logger: context.logger
        ).decode((Int64, String?, String?, String, String, Date, Date?).self) {
            periods.append(
                .init(
                    managerId: manager, previousManagerId: previous, reason: reason, state: state,
                    from: calendar.localized(started), until: ended.map(calendar.localized), notes: notes[id] ?? []))
        }
        return periods
    }

    private func latestHandover(_ customerID: String, connection: PostgresConnection) async throws
        -> RelationshipView.Handover?
    {
        let rows = try await connection.query(
            """
            SELECT handover_id, from_manager_id, to_manager_id, reason, effective_at, first_contact_due_at, status,
                completed_at
            FROM handovers WHERE customer_id = \(customerID) AND status <> 'superseded'
            ORDER BY started_at DESC LIMIT 1
            """,
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (id, from, to, reason, effective, due, status, completed) = try row.decode(
            (UUID, String, String, String, Date, Date, String, Date?).self)
        let calendar = context.calendar
        return .init(
            handoverId: id.uuidString.lowercased(), fromManagerId: from, toManagerId: to, reason: reason,
            effectiveAt: calendar.localized(effective), firstContactDueAt: calendar.localized(due), status: status,
            completedAt: completed.map(calendar.localized))
    }

    private func customerFile(_ customerID: String, connection: PostgresConnection) async throws
        -> RelationshipView.CustomerFile?
    {
        let rows = try await connection.query(
            """
            SELECT transfer_id, marketing_manager_id, contact_key_id, contact_sealed, needs, risk_profile, notes,
                transferred_at
            FROM transfers WHERE customer_id = \(customerID) ORDER BY transferred_at DESC LIMIT 1
            """,
            logger: context.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (id, marketing, keyID, sealed, needs, risk, notes, at) = try row.decode(
            (String, String, String, ByteBuffer, String, String, String, Date).self)
        var contact: String?
        do {
            contact = PersonalData.masked(
                try cipher.open(.init(keyID: keyID, bytes: Array(buffer: sealed)), context: Self.contactContext(id)))
        } catch {
            context.logger.warning(
                "customer file contact does not open", metadata: ["transfer.id": "\(id)", "error": "\(error)"])
        }
        return .init(
            transferId: id, marketingManagerId: marketing, contact: contact, needs: needs, riskProfile: risk,
            notes: notes, transferredAt: context.calendar.localized(at))
    }

    // MARK: - GET /managers/{staffId}/book

    /// Customers owned by segment, room left under each cap (D-03), customers covered for absent colleagues (D-06)
    /// and, for a centre head, customers held until a manager is free (D-01).
    struct BookView: ResponseCodable {
        struct Customer: Codable {
            var customerId: String
            var tier: String?
            var segment: String
            var assignedAt: Timestamp
        }
        struct Covered: Codable {
            /// The colleague on leave.
            var managerId: String
            var customers: [Customer]
        }
        struct Capacity: Codable {
            var total: Int
            var standard: Int
            var high: Int
            var segmentCaps: Bool
            var hard: Bool
        }
        struct Counts: Codable {
            var total: Int
            var standard: Int
            var high: Int
        }
        var staffId: String
        var status: String?
        var role: String?
        var branchId: String?
        var customers: [Customer]
        var countsByTier: [String: Int]
        /// `standard`: below 1,000,000; `high`: at or above (D-03).
        var countsBySegment: Counts
        var total: Int
        var capacity: Int
        var caps: Capacity
        var remainingCapacity: Int
        var remainingBySegment: Counts
        var covering: [Covered]
        var held: [Customer]
    }

    func book(staffID: String) async throws -> BookView {
        try await context.postgres.withConnection { connection in
            let repository = AssignmentRepository(connection: connection, logger: context.logger)
            let staff = try await repository.staff(staffID)
            let customers = try await bookCustomers(of: staffID, state: "owned", repository: repository)
            guard staff != nil || !customers.isEmpty else {
                throw APIError.notFound("no staff member \(staffID) in the directory")
            }
            var covering: [BookView.Covered] = []
            if let staff {
                let absent = try await repository.staffMembers(
                    """
                    SELECT \(unescaped: AssignmentRepository.staffColumns) FROM staff
                    WHERE branch_id = \(staff.branchID) AND status = 'on_leave' AND staff_id <> \(staffID)
                    ORDER BY staff_id
                    """)
                for colleague in absent where try await repository.cover(for: colleague) == staffID {
                    covering.append(
                        .init(
                            managerId: colleague.staffID,
                            customers: try await bookCustomers(
                                of: colleague.staffID, state: "owned", repository: repository)))
                }
            }
            let held = try await bookCustomers(of: staffID, state: "held", repository: repository)
            var byTier: [String: Int] = ["A": 0, "B": 0, "C": 0]
            for customer in customers { byTier[customer.tier ?? "unknown", default: 0] += 1 }
            let load = Load(
                standard: customers.count { $0.segment == Segment.standard.rawValue },
                high: customers.count { $0.segment == Segment.high.rawValue })
            let policy = settings.capacity
            let remaining = policy.remaining(load)
            return BookView(
                staffId: staffID, status: staff?.status, role: staff?.role, branchId: staff?.branchID,
                customers: customers, countsByTier: byTier,
                countsBySegment: .init(total: load.total, standard: load.standard, high: load.high),
                total: customers.count, capacity: policy.total,
                caps: .init(
                    total: policy.total, standard: policy.standard, high: policy.high,
                    segmentCaps: policy.segmentCaps, hard: policy.hard),
                remainingCapacity: remaining.total,
                remainingBySegment: .init(total: remaining.total, standard: remaining.standard, high: remaining.high),
                covering: covering, held: held)
        }
    }

    private func bookCustomers(of managerID: String, state: String, repository: AssignmentRepository) async throws
        -> [BookView.Customer]
    {
        try await repository.relationships(
            """
            SELECT \(unescaped: AssignmentRepository.relationshipColumns) FROM relationships
            WHERE manager_id = \(managerID) AND state = \(state)
            ORDER BY assigned_at, customer_id
            """
        ).map {
            .init(
                customerId: $0.customerID, tier: $0.tier?.rawValue, segment: $0.segment.rawValue,
                assignedAt: context.calendar.localized($0.assignedAt))
        }
    }
}
