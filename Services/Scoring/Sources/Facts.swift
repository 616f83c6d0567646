import Events
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Writes what consumed events said into scoring's fact tables, inside the handler's transaction. Every write is
/// keyed by the event's natural id (visit, sale, activity, task, case, assessment) and commutes with the others, so
/// the order the topics are read in does not change the result.
struct Facts {
    let connection: PostgresConnection
    let logger: Logger
    let calendar: BusinessCalendar
    /// The event transaction's daily counters (written just before its commit); `nil` outside event handling.
    var counters: DailyCounters? = nil

    /// Counting needs the event transaction's tally; an HTTP route's transaction has none.
    private func tally() throws -> DailyCounters {
        guard let counters else { throw DailyCounters.NotInEventTransaction() }
        return counters
    }

    // MARK: - C-10 counters

    /// Adds one to a `branch_daily` column (a fixed name from ``ScoringService/identificationColumn``) the first
    /// time `naturalID` of `kind` is counted (a republished event counts once), and marks the day changed for
    /// publication. Decided and written with the transaction's other counts just before it commits.
    func countOnce(_ kind: String, _ naturalID: String, column: String, branchID: String, date: BusinessDate) throws {
        try tally().countOnce(.init(kind: kind, naturalID: naturalID), .branch(column, BranchDay(branchID, date)))
    }

    /// Adds one to a `branch_daily` column (a fixed name, see ``countOnce(_:_:column:branchID:date:)``) and marks the
    /// day changed for publication; the caller has made sure the event counts once.
    func count(_ column: String, branchID: String, date: BusinessDate) throws {
        try tally().add(column, to: BranchDay(branchID, date))
    }

    /// A referral routed to a manager: a VIP (or, apart, a potential VIP) received that day (C-10 item 1), once per
    /// referral.
    func received(_ routed: ReferralRouted.V1, branchID: String) throws {
        // The day of the walk-in (the referral's request), not of the routing, which may come later.
        let day = BranchDay(branchID, calendar.businessDate(of: routed.requestedAt ?? routed.at))
        try tally().countOnce(
            .init(kind: "referral-routed", naturalID: routed.referralId),
            .received(managerID: routed.managerId, day, potential: routed.classification == .potential))
    }

    // MARK: - Ownership, cases, tasks, contacts

    func owner(_ assigned: ManagerAssigned.V1, eventID: String) async throws {
        try await connection.query(
            """
            INSERT INTO ownership (customer_id, manager_id, branch_id, since, event_id)
            VALUES (\(assigned.customerId), \(assigned.managerId), \(assigned.branchId), \(assigned.at.date), \(eventID))
            ON CONFLICT DO NOTHING
            """,
            logger: logger)
    }

    func caseOpened(_ opened: CaseOpened.V1) async throws {
        let date = calendar.businessDate(of: opened.receivedAt)
        let inserted = try await connection.query(
            """
            INSERT INTO cases (case_id, source, customer_id, branch_id, received_at, received_date)
            VALUES (\(opened.caseId), \(opened.source.rawValue), \(opened.customerId), \(opened.branchId),
                \(opened.receivedAt.date), \(date.description)::date)
            ON CONFLICT (case_id) DO UPDATE SET source = EXCLUDED.source, customer_id = EXCLUDED.customer_id,
                branch_id = EXCLUDED.branch_id, received_at = EXCLUDED.received_at,
                received_date = EXCLUDED.received_date
            WHERE cases.received_at IS NULL
            RETURNING 1
            """,
            logger: logger
        ).collect()
        guard !inserted.isEmpty, let branchID = opened.branchId else { return }
        try count("complaints_received", branchID: branchID, date: date)
    }

    /// The case left the front line (it never counts as resolved there again).
    func caseEscalated(_ caseID: String) async throws {
        try await connection.query(
            """
            INSERT INTO cases (case_id, escalated) VALUES (\(caseID), true)
            ON CONFLICT (case_id) DO UPDATE SET escalated = true
            """,
            logger: logger)
    }

    /// Resolved at `at`, or open again (`nil`, a reopening).
    func caseResolved(_ caseID: String, at: Timestamp?) async throws {
        try await connection.query(
            """
            INSERT INTO cases (case_id, resolved_at) VALUES (\(caseID), \(at?.date))
            ON CONFLICT (case_id) DO UPDATE SET resolved_at = EXCLUDED.resolved_at
            """,
            logger: logger)
    }

    /// A reassignment may have been read first (same customer key, but a task without a customer is keyed
    /// differently); the reassignment's manager then stands. Written with the transaction's other scheduled tasks
    /// just before it commits (the task writes commute, so the order does not matter).
    func taskScheduled(_ task: TaskScheduled.V1) throws {
        try tally().schedule(
            .init(
                taskID: task.taskId, customerID: task.customerId, managerID: task.managerId, kind: task.kind.rawValue,
                dueAt: task.dueAt.date, dueDate: calendar.businessDate(of: task.dueAt).description))
    }

    func taskReassigned(_ task: TaskReassigned.V1) async throws {
        try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, manager_id, reassigned_at)
            VALUES (\(task.taskId), \(task.customerId), \(task.toManagerId), \(task.at.date))
            ON CONFLICT (task_id) DO UPDATE SET manager_id = EXCLUDED.manager_id,
                reassigned_at = EXCLUDED.reassigned_at
            WHERE tasks.reassigned_at IS NULL OR tasks.reassigned_at <= EXCLUDED.reassigned_at
            """,
            logger: logger)
    }

    func taskCompleted(_ task: TaskCompleted.V1) async throws {
        try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, completed_at, completed_on_time)
            VALUES (\(task.taskId), \(task.customerId), \(task.completedAt.date), \(task.onTime))
            ON CONFLICT (task_id) DO UPDATE SET completed_at = EXCLUDED.completed_at,
                completed_on_time = EXCLUDED.completed_on_time
            """,
            logger: logger)
    }

    func contact(_ contact: ContactLogged.V1) async throws {
        try await connection.query(
            """
            INSERT INTO contacts (activity_id, customer_id, manager_id, kind, proactive, contacted_at, contact_date)
            VALUES (\(contact.activityId), \(contact.customerId), \(contact.managerId), \(contact.kind.rawValue),
                \(contact.proactive), \(contact.at.date), \(calendar.businessDate(of: contact.at).description)::date)
            ON CONFLICT (activity_id) DO NOTHING
            """,
            logger: logger)
    }

    // MARK: - Profiles, sales, assessments

    /// What the profile of its date said about derivatives experience (H-04 item 7 is judged as of a sale's date).
    func profileHistory(_ profile: CustomerProfile.V1) async throws {
        try await connection.query(
            """
            INSERT INTO profile_history (customer_id, as_of, derivatives_experience)
            VALUES (\(profile.customerId), \(profile.asOf.description)::date, \(profile.derivativesExperience))
            ON CONFLICT (customer_id, as_of) DO UPDATE SET derivatives_experience = EXCLUDED.derivatives_experience
            """,
            logger: logger)
    }

    /// - Returns: whether the sale is new.
    func sale(_ sale: ProductSold.V1) async throws -> Bool {
        let inserted = try await connection.query(
            """
            INSERT INTO sales (sale_id, customer_id, manager_id, product_type, amount, deposit_profit, wealth_profit,
                fee_income, sold_at, sold_date, risk_assessed_at, risk_signed_in_person, risk_level)
            VALUES (\(sale.saleId), \(sale.customerId), \(sale.managerId), \(sale.productType.rawValue),
                \(sale.amount.decimalString)::numeric, \((sale.depositProfit ?? .zero).decimalString)::numeric,
                \((sale.wealthProfit ?? .zero).decimalString)::numeric,
                \((sale.feeIncome ?? .zero).decimalString)::numeric, \(sale.at.date),
                \(calendar.businessDate(of: sale.at).description)::date, \(sale.riskAssessment?.assessedAt?.date),
                \(sale.riskAssessment?.signedInPerson), \(sale.riskAssessment?.level))
            ON CONFLICT (sale_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect()
        return !inserted.isEmpty
    }

    /// - Returns: whether the assessment is new.
    @discardableResult
    func assessment(_ assessment: AssessmentRecorded.V1) async throws -> Bool {
        let items = assessment.items
        return try await !connection.query(
            """
            INSERT INTO assessments (assessment_id, staff_id, month, assessed_by, self_development, marketing_ability,
                learning_ability, target_completion, compliance, service_quality, comment, recorded_at)
            VALUES (\(assessment.assessmentId), \(assessment.staffId), \(assessment.month), \(assessment.assessedBy),
                \(items.selfDevelopment), \(items.marketingAbility), \(items.learningAbility),
                \(items.targetCompletion), \(items.compliance), \(items.serviceQuality), \(assessment.comment),
                \(assessment.at.date))
            ON CONFLICT (assessment_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ).collect().isEmpty
    }
}

/// A branch's business day, the key of a `branch_daily` row.
struct BranchDay: Hashable, Comparable {
    var branchID: String
    var date: String

    init(_ branchID: String, _ date: BusinessDate) {
        self.branchID = branchID
        self.date = date.description
    }

    static func < (a: Self, b: Self) -> Bool { (a.branchID, a.date) < (b.branchID, b.date) }
}

/// What scoring's handlers write to hot rows, for one event transaction (``TransactionTally``): the C-10 daily
/// counters (`branch_daily`, `manager_daily`), whether each counted event is new (`counted`), and the scheduled
/// tasks (`tasks`). Added up over the transaction's events and written in at most four statements just before it
/// commits, rows in key order; per event they were ten branches' rows that every scoring transaction touched, and
/// one statement per counted event and per task.
final class DailyCounters: TransactionTally {
    struct NotInEventTransaction: Error, CustomStringConvertible {
        var description: String { "daily counters are only written by event handlers" }
    }

    /// The `branch_daily` columns a count may add to, in the order the statement binds them (``write(on:logger:)``
    /// binds seven arrays by position, `c0`–`c6`: a column added here needs its array there too).
    static let branchColumns = [
        "vips_identified_lobby", "vips_identified_cash", "vips_identified_noncash", "vips_identified_officer",
        "vips_identified_other", "potential_identified", "complaints_received",
    ]

    struct ManagerDay: Hashable, Comparable {
        var day: BranchDay
        var managerID: String
        static func < (a: Self, b: Self) -> Bool { (a.day, a.managerID) < (b.day, b.managerID) }
    }

    /// An event counted once (`counted`).
    struct CountedKey: Hashable, Comparable {
        var kind: String
        var naturalID: String
        static func < (a: Self, b: Self) -> Bool { (a.kind, a.naturalID) < (b.kind, b.naturalID) }
    }

    /// What a counted event adds.
    enum Effect {
        case branch(String, BranchDay)
        case received(managerID: String, BranchDay, potential: Bool)
    }

    /// A `task-scheduled` as scoring keeps it.
    struct ScheduledTask {
        var taskID: String
        var customerID: String?
        var managerID: String
        var kind: String
        var dueAt: Date
        var dueDate: String
    }

    /// Per branch day: what to add to each of ``branchColumns``, then to `version`.
    private var branches: [BranchDay: [Int]] = [:]
    /// Per manager day: VIPs and potential VIPs received.
    private var managers: [ManagerDay: (vips: Int, potentials: Int)] = [:]
    /// Counted events of this transaction, each with what it adds if it is new; the first of an id stands.
    private var once: [CountedKey: Effect] = [:]
    /// Scheduled tasks by id; the last of an id stands (a republished `task-scheduled` says the same).
    private var tasks: [String: ScheduledTask] = [:]

    init() {}

    func add(_ column: String?, to day: BranchDay) {
        var row = branches[day] ?? Array(repeating: 0, count: Self.branchColumns.count + 1)
        if let column, let index = Self.branchColumns.firstIndex(of: column) { row[index] += 1 }
        row[Self.branchColumns.count] += 1
        branches[day] = row
    }

    func countOnce(_ key: CountedKey, _ effect: Effect) {
        if once[key] == nil { once[key] = effect }
    }

    func schedule(_ task: ScheduledTask) {
        tasks[task.taskID] = task
    }

    private func apply(_ effect: Effect) {
        switch effect {
        case .branch(let column, let day):
            add(column, to: day)
        case .received(let managerID, let day, let potential):
            var counts = managers[ManagerDay(day: day, managerID: managerID)] ?? (0, 0)
            if potential { counts.potentials += 1 } else { counts.vips += 1 }
            managers[ManagerDay(day: day, managerID: managerID)] = counts
            add(nil, to: day)
        }
    }

    func write(on connection: PostgresConnection, logger: Logger) async throws {
        try await writeTasks(on: connection, logger: logger)
        if !once.isEmpty {
            // Which of the transaction's counted events are new; only those count.
            let keys = once.keys.sorted()
            let rows = try await connection.query(
                """
                INSERT INTO counted (kind, natural_id)
                SELECT k, n FROM unnest(\(keys.map(\.kind))::text[], \(keys.map(\.naturalID))::text[])
                    WITH ORDINALITY AS t(k, n, o)
                ORDER BY o
                ON CONFLICT DO NOTHING
                RETURNING kind, natural_id
                """,
                logger: logger)
            for try await (kind, naturalID) in rows.decode((String, String).self) {
                if let effect = once[CountedKey(kind: kind, naturalID: naturalID)] { apply(effect) }
            }
        }
        if !managers.isEmpty {
            let keys = managers.keys.sorted()
            try await connection.query(
                """
                INSERT INTO manager_daily (branch_id, business_date, manager_id, vips_received, potentials_received)
                SELECT b, d, m, v, p FROM unnest(\(keys.map(\.day.branchID))::text[],
                    \(keys.map(\.day.date))::text[]::date[], \(keys.map(\.managerID))::text[],
                    \(keys.map { managers[$0]!.vips })::int[], \(keys.map { managers[$0]!.potentials })::int[])
                    WITH ORDINALITY AS t(b, d, m, v, p, o)
                ORDER BY o
                ON CONFLICT (branch_id, business_date, manager_id)
                DO UPDATE SET vips_received = manager_daily.vips_received + EXCLUDED.vips_received,
                    potentials_received = manager_daily.potentials_received + EXCLUDED.potentials_received
                """,
                logger: logger)
        }
        guard !branches.isEmpty else { return }
        let keys = branches.keys.sorted()
        let column = { (index: Int) in keys.map { self.branches[$0]![index] } }
        let c = Self.branchColumns
        try await connection.query(
            """
            INSERT INTO branch_daily (branch_id, business_date, \(unescaped: c.joined(separator: ", ")), version)
            SELECT b, d, c0, c1, c2, c3, c4, c5, c6, v FROM unnest(\(keys.map(\.branchID))::text[],
                \(keys.map(\.date))::text[]::date[], \(column(0))::int[], \(column(1))::int[], \(column(2))::int[],
                \(column(3))::int[], \(column(4))::int[], \(column(5))::int[], \(column(6))::int[], \(column(7))::int[])
                WITH ORDINALITY AS t(b, d, c0, c1, c2, c3, c4, c5, c6, v, o)
            ORDER BY o
            ON CONFLICT (branch_id, business_date)
            DO UPDATE SET \(unescaped: c.map { "\($0) = branch_daily.\($0) + EXCLUDED.\($0)" }.joined(separator: ", ")),
                version = branch_daily.version + EXCLUDED.version
            """,
            logger: logger)
    }

    /// The transaction's scheduled tasks in one statement, by task id.
    private func writeTasks(on connection: PostgresConnection, logger: Logger) async throws {
        guard !tasks.isEmpty else { return }
        let all = tasks.keys.sorted().map { tasks[$0]! }
        try await connection.query(
            """
            INSERT INTO tasks (task_id, customer_id, manager_id, kind, due_at, due_date)
            SELECT i, CASE WHEN known THEN c END, m, k, a, d FROM unnest(\(all.map(\.taskID))::text[],
                \(all.map { $0.customerID ?? "" })::text[], \(all.map { $0.customerID != nil })::bool[],
                \(all.map(\.managerID))::text[], \(all.map(\.kind))::text[], \(all.map(\.dueAt))::timestamptz[],
                \(all.map(\.dueDate))::text[]::date[]) WITH ORDINALITY AS t(i, c, known, m, k, a, d, o)
            ORDER BY o
            ON CONFLICT (task_id) DO UPDATE SET customer_id = COALESCE(tasks.customer_id, EXCLUDED.customer_id),
                manager_id = CASE WHEN tasks.reassigned_at IS NULL THEN EXCLUDED.manager_id ELSE tasks.manager_id END,
                kind = EXCLUDED.kind, due_at = EXCLUDED.due_at, due_date = EXCLUDED.due_date
            """,
            logger: logger)
    }
}

extension AsyncSequence {
    /// Every element, in order (for result sets known to be small).
    func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
