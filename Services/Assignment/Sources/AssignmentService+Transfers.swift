import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `POST /transfers` (rulebook D-08, C-09) and `POST /customers/{customerId}/notes` (D-12).
extension AssignmentService {
    /// A marketing manager hands a customer to their exclusive wealth manager with the complete customer file.
    /// Every field is optional here so that an incomplete request is answered with each missing field named.
    struct TransferRequest: Decodable {
        struct CustomerFile: Decodable {
            /// How to reach the customer (a phone number, typically). Stored encrypted, shown masked.
            var contact: String?
            var needs: String?
            var riskProfile: String?
            var notes: String?
        }
        /// Optional: the front end's id for this transfer, so that a retried request is answered, not repeated.
        var transferId: String?
        var customerId: String?
        var marketingManagerId: String?
        var wealthManagerId: String?
        var customerFile: CustomerFile?
    }

    struct TransferView: ResponseCodable {
        var transferId: String
        var customerId: String
        var marketingManagerId: String
        var wealthManagerId: String
        var branchId: String
        var tier: String?
        var serviceTeam: [String]
        var transferredAt: Timestamp
    }

    /// A complete, checked transfer.
    struct Transfer {
        var id: String
        var customerID: String
        var marketingManagerID: String
        var wealthManagerID: String
        var contact: String
        var needs: String
        var riskProfile: String
        var notes: String
    }

    static let maximumTextLength = 4_000

    /// Names every missing or blank field (422), then checks lengths.
    func validate(_ request: TransferRequest) throws -> Transfer {
        func present(_ value: String?) -> String? {
            guard let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else {
                return nil
            }
            return trimmed
        }
        let file = request.customerFile
        let fields: [(String, String?)] = [
            ("customerId", present(request.customerId)),
            ("marketingManagerId", present(request.marketingManagerId)),
            ("wealthManagerId", present(request.wealthManagerId)),
            ("customerFile.contact", present(file?.contact)),
            ("customerFile.needs", present(file?.needs)),
            ("customerFile.riskProfile", present(file?.riskProfile)),
            ("customerFile.notes", present(file?.notes)),
        ]
        let missing = fields.filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else {
            throw APIError.unprocessable(
                "the customer file must be complete before the customer is handed over (D-08); missing: "
                    + missing.joined(separator: ", "),
                error: "incomplete_customer_file", fields: missing)
        }
        let values = fields.compactMap(\.1)
        let tooLong = zip(fields.map(\.0), values).filter { $0.1.count > Self.maximumTextLength }.map(\.0)
        guard tooLong.isEmpty else {
            throw APIError.unprocessable(
                "at most \(Self.maximumTextLength) characters each: " + tooLong.joined(separator: ", "),
                error: "field_too_long", fields: tooLong)
        }
        if let id = request.transferId, present(id) == nil || id.count > 100 {
            throw APIError.unprocessable(
                "transferId must be 1 to 100 characters", error: "invalid_field", fields: ["transferId"])
        }
        return Transfer(
            id: present(request.transferId) ?? UUID().uuidString.lowercased(), customerID: values[0],
            marketingManagerID: values[1], wealthManagerID: values[2], contact: values[3], needs: values[4],
            riskProfile: values[5], notes: values[6])
    }

    /// Moves the customer to the receiving wealth manager (`manager-assigned`, reason `transfer`) and keeps the
    /// file. A retried request with the same `transferId` gets the same answer.
    func transfer(_ request: TransferRequest) async throws -> (view: TransferView, created: Bool) {
        let transfer = try validate(request)
        return try await context.withOutboxTransaction { connection, outbox in
            let work = work(connection, outbox, logger: context.logger)
            let repository = work.repository
            // Under the receiving branch's lock, so that retries arriving together see each other's result.
            let receiving = try await repository.staff(transfer.wealthManagerID)
            if let receiving { try await repository.lockBranch(receiving.branchID) }
            if let done = try await recordedTransfer(transfer.id, repository: repository) {
                guard done.customerId == transfer.customerID, done.wealthManagerId == transfer.wealthManagerID else {
                    throw APIError.conflict("transfer \(transfer.id) was already used for another customer or manager")
                }
                return (done, false)
            }
            guard let marketing = try await repository.staff(transfer.marketingManagerID),
                marketing.role == StaffRole.marketingManager.rawValue
            else {
                throw APIError.unprocessable(
                    "\(transfer.marketingManagerID) is not a marketing manager in the staff directory",
                    error: "not_a_marketing_manager", fields: ["marketingManagerId"])
            }
            guard let receiving, receiving.role == StaffRole.wealthManager.rawValue else {
                throw APIError.unprocessable(
                    "\(transfer.wealthManagerID) is not a wealth manager in the staff directory",
                    error: "not_a_wealth_manager", fields: ["wealthManagerId"])
            }
            let existing = try await repository.relationship(of: transfer.customerID)
            if let existing, !existing.isHeld, let owner = existing.managerID {
                throw APIError.conflict(
                    owner == receiving.staffID
                        ? "\(receiving.staffID) is already \(transfer.customerID)'s exclusive manager"
                        : "\(transfer.customerID) already has an exclusive manager (D-01); a change of owner "
                            + "between wealth managers is a handover, not a transfer")
            }
            let tier = try await storedTier(of: transfer.customerID, repository: repository) ?? existing?.tier
            let segment = Segment(tier: tier)
            let pool = try await repository.pool(
                branchID: receiving.branchID, policy: settings.capacity, at: work.now)
            guard let candidate = pool.candidates.first(where: { $0.staffID == receiving.staffID }) else {
                throw APIError.unprocessable(
                    "\(receiving.staffID) cannot take customers now (status \(receiving.status), or barred after a "
                        + "removal, D-07)", error: "manager_not_eligible", fields: ["wealthManagerId"])
            }
            guard settings.capacity.hasRoom(candidate.load, for: segment) else {
                throw APIError.conflict(
                    "\(receiving.staffID) is at capacity (D-03): \(candidate.load.standard) below and "
                        + "\(candidate.load.high) from 1,000,000 of \(settings.capacity.total)")
            }
            var customer = OwnershipWork.Customer(
                new: transfer.customerID, branchID: receiving.branchID, tier: tier, referralID: nil)
            if let existing { customer = .init(existing, departure: nil) }
            customer.branchID = receiving.branchID
            guard
                let relationship = try await work.assign(
                    customer, to: receiving.staffID, reason: .transfer, previous: marketing.staffID)
            else { throw APIError.conflict("\(transfer.customerID) got a manager a moment ago; try again") }
            let sealed = try cipher.seal(transfer.contact, context: Self.contactContext(transfer.id))
            try await connection.query(
                """
                INSERT INTO transfers (transfer_id, customer_id, marketing_manager_id, wealth_manager_id,
                    contact_key_id, contact_sealed, needs, risk_profile, notes, transferred_at)
                VALUES (\(transfer.id), \(transfer.customerID), \(marketing.staffID), \(receiving.staffID),
                    \(sealed.keyID), \(ByteBuffer(bytes: sealed.bytes)), \(transfer.needs), \(transfer.riskProfile), \(transfer.notes),
                    \(work.now.date))
                """,
                logger: context.logger)
            // The marketing manager's notes open the new owner's period (D-12).
            _ = try await repository.addNote(
                customerID: transfer.customerID, authorID: marketing.staffID, text: transfer.notes, at: work.now)
            return (
                TransferView(
                    transferId: transfer.id, customerId: transfer.customerID, marketingManagerId: marketing.staffID,
                    wealthManagerId: receiving.staffID, branchId: relationship.branchID,
                    tier: relationship.tier?.rawValue, serviceTeam: relationship.serviceTeam,
                    transferredAt: work.now),
                true
            )
        }
    }

    static func contactContext(_ transferID: String) -> String { "assignment/transfer/\(transferID)/contact" }

    private func recordedTransfer(_ transferID: String, repository: AssignmentRepository) async throws -> TransferView? {
        let rows = try await repository.connection.query(
            """
            SELECT t.customer_id, t.marketing_manager_id, t.wealth_manager_id, t.transferred_at, r.branch_id, r.tier,
                r.service_team
            FROM transfers t LEFT JOIN relationships r ON r.customer_id = t.customer_id
            WHERE t.transfer_id = \(transferID)
            """,
            logger: repository.logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (customer, marketing, wealth, at, branch, tier, team) = try row.decode(
            (String, String, String, Date, String?, String?, [String]?).self)
        return TransferView(
            transferId: transferID, customerId: customer, marketingManagerId: marketing, wealthManagerId: wealth,
            branchId: branch ?? "", tier: tier, serviceTeam: team ?? [], transferredAt: context.calendar.localized(at))
    }

    /// The tier from the customer's latest profile, when it says one (B-03).
    private func storedTier(of customerID: String, repository: AssignmentRepository) async throws -> Tier? {
        let rows = try await repository.connection.query(
            "SELECT tier FROM customer_tiers WHERE customer_id = \(customerID) AND basis <> 'below_vip'",
            logger: repository.logger
        ).collect()
        return try rows.first?.decode(String?.self).flatMap(Tier.init)
    }

    // MARK: - Notes (D-12)

    struct NoteRequest: Decodable {
        /// Optional; a note is always written in the caller's name, so it must be the caller's staff id if given.
        var authorId: String?
        var text: String?
    }

    struct NoteView: ResponseCodable {
        var noteId: Int64
        var customerId: String
        var authorId: String
        var text: String
        var writtenAt: Timestamp
    }

    func addNote(customerID: String, _ request: NoteRequest, caller: Principal) async throws -> NoteView {
        let author = caller.staffID
        if let named = request.authorId?.trimmingCharacters(in: .whitespacesAndNewlines), !named.isEmpty,
            named != author
        {
            throw APIError.forbidden("a note is written in the caller's name; authorId \(named) is not \(author)")
        }
        let text = request.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let missing = [("text", text)].filter { $0.1.isEmpty }.map(\.0)
        guard missing.isEmpty else {
            throw APIError.unprocessable(
                "missing: " + missing.joined(separator: ", "), error: "incomplete_note", fields: missing)
        }
        guard text.count <= Self.maximumTextLength else {
            throw APIError.unprocessable(
                "a note has at most \(Self.maximumTextLength) characters", error: "field_too_long", fields: ["text"])
        }
        let now = context.calendar.now()
        let id = try await context.postgres.withConnection { connection in
            try await AssignmentRepository(connection: connection, logger: context.logger).addNote(
                customerID: customerID, authorID: author, text: text, at: now)
        }
        guard let id else { throw APIError.notFound("customer \(customerID) has no relationship manager yet") }
        return NoteView(noteId: id, customerId: customerID, authorId: author, text: text, writtenAt: now)
    }
}
