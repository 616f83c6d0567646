import Events
import Foundation
import Messaging
import PostgresNIO
import TestSupport
import Testing

/// Engagement's full scheduler as a front end and the other services see it: the real executables over the
/// development broker and PostgreSQL — a walk-in's tasks and the year's plan on the agenda, contacts completing the
/// right tasks, and the durable overdue timer across a SIGKILL.
@Suite("Engagement end to end", .serialized, .timeLimit(.minutes(5)))
struct EngagementEndToEndTests {
    static let shanghai: Int32 = 8 * 3600

    // MARK: - Walk-in, plan, contacts

    @Test(
        "C-05 C-06 E-03 E-10 a new tier-B VIP walks in: the agenda shows the walk-in tasks, the year's plan is stored, and logging contacts completes the right tasks"
    )
    func walkInPlanAndContacts() async throws {
        let stack = try await ConciergeStack.start()
        do {
            try await Self.walkInPlanAndContacts(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    static func walkInPlanAndContacts(_ stack: ConciergeStack) async throws {
        let run = stack.runID
        let branch = "G\(run.prefix(5))"
        let customer = "C\(run)"
        let managers = (1...3).map { "WM\($0)\(run)" }
        let supervisor = "BS\(run)"
        let engagement = stack.url("engagement")
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            var reference = [
                TestEvents.staff("LM\(run)", branch: branch, role: .lobbyManager),
                TestEvents.staff(supervisor, branch: branch, role: .branchSalesSupervisor),
            ]
            reference += managers.map { TestEvents.staff($0, branch: branch, role: .wealthManager) }
            reference.append(TestEvents.profile(customer, branch: branch, aum: 1_500_000))
            for result in await producer.send(reference) { _ = try result.get() }
        }
        for manager in managers {
            try await EndToEndTests.waitFor("\(stack.url("assignment"))/managers/\(manager)/book")
        }
        try await EndToEndTests.waitFor("\(stack.url("intake"))/customers/\(customer)/profile")

        // The walk-in: its three tasks, and (a new tier-B owner) the year's plan.
        let visit = "V\(run)-1"
        let today = BusinessDate(localDateOf: .now(utcOffsetSeconds: shanghai))
        let published = ContinuousClock.now
        let publishedAt = Timestamp.now()
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            _ = try await producer.send(TestEvents.walkIn(visit, branch: branch, customerID: customer))
        }
        let tasksURL = "\(engagement)/customers/\(customer)/tasks"
        let received = await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(50)) {
            () -> CustomerTasks? in
            guard let tasks = await Self.customerTasks(tasksURL),
                tasks.open.contains(where: { $0.kind == "receive_walkin" && $0.visitID == visit })
            else { return nil }
            return tasks
        }
        let toReceive = ContinuousClock.now - published
        try #require(received != nil, "no receive_walkin task for \(visit) within 30 s")
        let planned = await TestHTTP.eventually(timeout: .seconds(20), interval: .milliseconds(50)) {
            () -> CustomerTasks? in
            guard let tasks = await Self.customerTasks(tasksURL), tasks.open.count >= 17 else { return nil }
            return tasks
        }
        let toPlan = ContinuousClock.now - published
        let initial = try #require(
            await Self.customerTasks(tasksURL), "GET /customers/\(customer)/tasks did not answer 200")
        #expect(planned != nil, "the walk-in tasks and the year's plan (17 open tasks) within 20 s")

        let counts = Dictionary(initial.open.map { ($0.kind, 1) }, uniquingKeysWith: +)
        #expect(
            counts == [
                "receive_walkin": 1, "record_visit": 1, "follow_up": 1, "maintenance_contact": 10,
                "maintenance_meeting": 2, "portfolio_review": 2,
            ],
            "open tasks: 3 for the walk-in, 12 services (10 contacts, 2 meetings) and 2 reviews for the year")
        #expect(initial.done.isEmpty)
        let receive = try #require(initial.open.first { $0.kind == "receive_walkin" && $0.visitID == visit })
        let record = try #require(initial.open.first { $0.kind == "record_visit" && $0.visitID == visit })
        let followUp = try #require(initial.open.first { $0.kind == "follow_up" && $0.visitID == visit })
        let manager = receive.managerID
        #expect(managers.contains(manager), "the walk-in goes to one of the branch's wealth managers")
        #expect(initial.open.allSatisfy { $0.managerID == manager }, "every task is the owner's")

        // C-05, C-06, E-10: reception within 10 minutes, the record by the end of the visit day, the follow-up by
        // the end of the second working day after it.
        #expect(record.day == today.description, "record_visit is due on the visit day")
        #expect(
            (record.dueAt.millisecondsSinceEpoch + Int64(shanghai) * 1000) % 86_400_000 == 86_399_999,
            "record_visit due at the end of the day: \(record.dueText)")
        // The referral is routed after the walk-in was published, within the time it took to see the task.
        let receiveDelay = publishedAt.duration(to: receive.dueAt)
        #expect(
            receiveDelay >= .seconds(600) && receiveDelay <= .seconds(600) + toReceive,
            "receive_walkin due 10 minutes after the referral: \(receive.dueText), walk-in at \(publishedAt)")
        #expect(followUp.day == Self.workingDay(2, after: today), "follow_up due on the 2nd working day after the visit")

        // The manager's agenda for each of those days lists the task.
        var agendas: [String: [TaskItem]] = [:]
        for day in Set([receive.day, record.day, followUp.day]) {
            let agenda = try #require(
                await Self.agenda("\(engagement)/managers/\(manager)/agenda?date=\(day)"),
                "GET /managers/\(manager)/agenda?date=\(day) did not answer 200")
            agendas[day] = agenda
        }
        let todays = agendas[today.description] ?? []
        #expect(todays.contains { $0.id == record.id && $0.kind == "record_visit" })
        #expect(agendas[receive.day]?.contains { $0.id == receive.id && $0.kind == "receive_walkin" } == true)
        if receive.day == today.description {
            #expect(todays.contains { $0.kind == "receive_walkin" && $0.visitID == visit })
        }
        #expect(!todays.contains { $0.kind == "follow_up" }, "the follow-up is not on the visit day's agenda")
        #expect(agendas[followUp.day]?.contains { $0.id == followUp.id && $0.kind == "follow_up" } == true)

        // E-03, E-05: the plan stored — tier B, from today for a year, 4 proactive contacts, 2 meetings, 6 further
        // services, a review every 6 months — and its tasks after today, within the year.
        let plans = try await stack.withAdminClient { client in
            try await Self.plans(of: customer, schema: stack.schema("engagement"), client: client)
        }
        #expect(plans.count == 1, "one plan for the customer: \(plans)")
        let plan = try #require(plans.first)
        #expect(plan.tier == "B" && plan.status == "active" && plan.managerID == manager)
        #expect(plan.startsOn == today.description)
        #expect(plan.endsOn == BusinessDate(year: today.year + 1, month: today.month, day: today.day)?.description)
        #expect(
            plan.roles == ["proactive_contact": 4, "meeting": 2, "maintenance": 6, "review": 2],
            "cadence roles of the plan's tasks")
        let planTasks = initial.open.filter { $0.visitID == nil }
        #expect(planTasks.count == 14)
        #expect(planTasks.allSatisfy { $0.day > today.description && $0.day <= Self.addingDays(7, to: plan.endsOn) })

        // E-10: a contact naming a task completes that task; a call the earliest open proactive-contact task; a
        // meeting the earliest meeting; serving the visit the reception.
        let contacts = initial.open.filter { $0.kind == "maintenance_contact" }.sorted { $0.dueAt < $1.dueAt }
        let meetings = initial.open.filter { $0.kind == "maintenance_meeting" }.sorted { $0.dueAt < $1.dueAt }
        let earliestContact = try #require(contacts.first)
        let earliestMeeting = try #require(meetings.first)
        #expect(contacts.count < 2 || contacts[0].dueAt < contacts[1].dueAt, "a single earliest contact")
        #expect(meetings.count < 2 || meetings[0].dueAt < meetings[1].dueAt, "a single earliest meeting")

        let steps: [(name: String, record: KafkaOutgoingRecord, expected: TaskItem)] = [
            (
                "contact naming record_visit",
                Self.contact("A\(run)-1", customer: customer, manager: manager, kind: .visit, taskID: record.id),
                record
            ),
            (
                "call without a task",
                Self.contact("A\(run)-2", customer: customer, manager: manager, kind: .call, taskID: nil),
                earliestContact
            ),
            (
                "meeting without a task",
                Self.contact("A\(run)-3", customer: customer, manager: manager, kind: .meeting, taskID: nil),
                earliestMeeting
            ),
            (
                "visit served",
                TestEvents.record(VisitServed.V1(visitId: visit, staffId: manager, at: .now(utcOffsetSeconds: shanghai))),
                receive
            ),
        ]
        var expectedDone: [TaskItem] = []
        var timings: [String] = []
        for step in steps {
            expectedDone.append(step.expected)
            let sent = ContinuousClock.now
            try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
                _ = try await producer.send(step.record)
            }
            let count = expectedDone.count
            let after = await TestHTTP.eventually(timeout: .seconds(20), interval: .milliseconds(50)) {
                () -> CustomerTasks? in
                guard let tasks = await Self.customerTasks(tasksURL), tasks.done.count >= count else { return nil }
                return tasks
            }
            timings.append("\(step.name) → done in \(ContinuousClock.now - sent)")
            let done = after?.done ?? []
            #expect(
                Set(done.map(\.id)) == Set(expectedDone.map(\.id)),
                """
                after the \(step.name): expected done \(expectedDone.map { "\($0.kind) due \($0.dueText)" }), \
                found \(done.map { "\($0.kind) due \($0.dueText)" })
                """)
            #expect(done.first { $0.id == step.expected.id }?.status == "done")
        }
        let engagementSchema = stack.schema("engagement")
        let contactRole = try await stack.withAdminClient { client in
            try await client.query(
                "SELECT cadence_role FROM \(unescaped: engagementSchema).tasks WHERE task_id = \(earliestContact.id)::uuid"
            ).collect().first?.decode(String?.self)
        }
        timings.append("(the call completed the plan's \(contactRole.flatMap { $0 } ?? "?") task due \(earliestContact.day))")
        let final = try #require(await Self.customerTasks(tasksURL))
        #expect(final.open.count == 13, "17 tasks, 4 done")
        #expect(final.done.allSatisfy { $0.completedAt != nil })

        // engagement.events carries one task-completed per completed task, on time, by the owner.
        let records = try await TestKafka.read(
            Topics.engagementEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
        ) { records in
            Set(Self.completions(records, customer: customer).map(\.data.taskId)).count >= expectedDone.count
        }
        let completions = Self.completions(records, customer: customer)
        let byTask = Dictionary(grouping: completions, by: \.data.taskId)
        #expect(Set(byTask.keys) == Set(expectedDone.map(\.id)), "task-completed for exactly the completed tasks")
        for task in expectedDone {
            let events = byTask[task.id] ?? []
            #expect(Set(events.map(\.id)).count == 1, "one task-completed for \(task.kind), found \(events.count)")
            guard let event = events.first?.data else { continue }
            #expect(event.kind.rawValue == task.kind)
            #expect(event.managerId == manager && event.customerId == customer)
            #expect(event.onTime, "\(task.kind) was completed before it was due")
        }
        print(
            """
            engagement end to end: walk-in published → receive_walkin visible in \(toReceive), walk-in tasks and \
            the year's plan (17 open tasks) in \(toPlan); \(timings.joined(separator: "; ")); \
            task-completed events on engagement.events: \(completions.count) records for \(byTask.count) tasks
            """)
    }

    // MARK: - Overdue timer across a SIGKILL

    static let visitsPerBatch = 5

    @Test("E-04 the overdue timer fires exactly once per task across a kill and restart of the engagement service")
    func overdueOnceAcrossRestart() async throws {
        let stack = try await ConciergeStack.start(
            services: ["assignment", "engagement"],
            environment: ["engagement": ["ENGAGEMENT_SCHEDULER_INTERVAL_MS": "200"]])
        do {
            try await Self.overdueOnceAcrossRestart(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    static func overdueOnceAcrossRestart(_ stack: ConciergeStack) async throws {
        let run = stack.runID
        let branch = "O\(run.prefix(5))"
        let manager = "WM\(run)"
        let schema = stack.schema("engagement")
        /// Referrals routed two hours ago (this test plays assignment): their receptions are long overdue.
        @Sendable func batch(_ number: Int) -> [KafkaOutgoingRecord] {
            let at = Timestamp.now(utcOffsetSeconds: shanghai).adding(milliseconds: -2 * 3_600_000)
            return (1...visitsPerBatch).map { index in
                TestEvents.record(
                    ReferralRouted.V1(
                        referralId: "R\(run)-\(number)-\(index)", visitId: "V\(run)-\(number)-\(index)",
                        customerId: "C\(run)-\(number)-\(index)", managerId: manager, at: at, branchId: branch,
                        tier: .b, classification: .vip))
            }
        }
        let firstCustomers = Set((1...visitsPerBatch).map { "C\(run)-1-\($0)" })

        let started = ContinuousClock.now
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(batch(1)) { _ = try result.get() }
        }
        let early = try await TestKafka.read(
            Topics.engagementEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
        ) { records in
            Self.overdues(records).contains { $0.data.customerId.map(firstCustomers.contains) == true }
        }
        let firstOverdue = ContinuousClock.now - started
        let beforeKill = Set(Self.overdues(early).map(\.data.taskId)).count
        try #require(beforeKill > 0, "no task-overdue on engagement.events within 30 s of the first batch")

        stack.kill("engagement")
        let down = ContinuousClock.now
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(batch(2)) { _ = try result.get() }
        }
        try stack.launch("engagement")
        try await stack.waitUntilReady("engagement")
        let restart = ContinuousClock.now - down

        // Both batches' tasks stored, then a few scheduler rounds.
        let visits = 2 * visitsPerBatch
        let stored = try await stack.withAdminClient { client in
            try await TestHTTP.eventually(timeout: .seconds(60), interval: .milliseconds(200)) { () -> Int? in
                let count = try await Self.count(
                    "SELECT count(*) FROM \(schema).tasks WHERE visit_id LIKE 'V\(run)-%'", client: client)
                return count >= 3 * visits ? count : nil
            }
        }
        #expect(stored == 3 * visits, "three tasks per referral")
        try await Task.sleep(for: .seconds(3))

        // The expected set: every open task of these visits whose due time is past.
        let state = try await stack.withAdminClient { client in
            let overdue = try await Self.taskStates(
                "status = 'open' AND due_at < now() AND visit_id LIKE 'V\(run)-%'", schema: schema, client: client)
            let notDue = try await Self.taskStates(
                "NOT (status = 'open' AND due_at < now()) AND visit_id LIKE 'V\(run)-%'", schema: schema,
                client: client)
            // Everything the scheduler wrote has reached the topic.
            let emitted = try await TestHTTP.eventually(timeout: .seconds(20), interval: .milliseconds(100)) {
                () -> Int? in
                let unsent = try await Self.count(
                    "SELECT count(*) FROM \(schema).outbox WHERE sent_at IS NULL", client: client)
                guard unsent == 0 else { return nil }
                return try await Self.count(
                    "SELECT count(*) FROM \(schema).outbox WHERE topic = '\(Topics.engagementEvents)'", client: client)
            }
            let outboxDoubles = try await Self.count(
                """
                SELECT count(*) FROM (
                    SELECT convert_from(payload, 'UTF8')::jsonb #>> '{data,taskId}' FROM \(schema).outbox
                    WHERE event_type = '\(TaskOverdue.V1.eventType)'
                        AND convert_from(payload, 'UTF8')::jsonb #>> '{data,escalatedTo}' IS NULL
                    GROUP BY 1 HAVING count(*) > 1) doubled
                """, client: client)
            // How long a stored, past-due task of the first batch waited for the timer (a round at most).
            let lag = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT coalesce(max(extract(epoch FROM overdue_at - greatest(created_at, due_at)) * 1000), 0)::float8
                        FROM \(schema).tasks WHERE overdue_at IS NOT NULL AND visit_id LIKE 'V\(run)-1-%'
                        """)
            ).collect().first?.decode(Double.self) ?? 0
            return (overdue, notDue, emitted, outboxDoubles, lag)
        }
        let (expected, notDue, emitted, outboxDoubles, lagMilliseconds) = state
        let expectedIDs = Set(expected.map(\.id))
        #expect(
            expected.filter { $0.kind == "receive_walkin" }.count == visits,
            "every reception (due 10 minutes after a referral of 2 hours ago) is overdue")
        #expect(!expected.contains { $0.kind == "follow_up" })
        #expect(expected.allSatisfy { $0.overdueAt }, "overdue_at set on every overdue task")
        #expect(!notDue.contains { $0.overdueAt }, "overdue_at not set on a task that is not due")
        let published = try #require(emitted, "engagement's outbox was not drained within 20 s")

        // Until every event published is read: counted by event id, since copies republished after the SIGKILL
        // (at-least-once) would otherwise end the read before the last distinct events arrived.
        let records = try await TestKafka.read(
            Topics.engagementEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
        ) { Set($0.compactMap { try? EventCatalog.decode($0.value).id }).count >= published }
        let overdues = Self.overdues(records).filter { $0.data.customerId?.hasPrefix("C\(run)-") == true }
        let plain = overdues.filter { $0.data.escalatedTo == nil }
        let byTask = Dictionary(grouping: plain, by: \.data.taskId).mapValues { Set($0.map(\.id)) }
        let doubled = byTask.filter { $0.value.count > 1 }
        let missing = expectedIDs.subtracting(byTask.keys)
        let unexpected = Set(byTask.keys).subtracting(expectedIDs)
        let distinct = Set(records.compactMap { try? EventCatalog.decode($0.value).id }).count
        #expect(distinct >= published, "read \(distinct) of the \(published) events published")
        #expect(doubled.isEmpty, "task-overdue twice for \(doubled.count) tasks: \(doubled.keys.sorted())")
        #expect(missing.isEmpty, "no task-overdue for \(missing.count) overdue tasks: \(missing.sorted())")
        #expect(unexpected.isEmpty, "task-overdue for tasks not overdue: \(unexpected.sorted())")
        #expect(outboxDoubles == 0, "the outbox holds one task-overdue per task")
        #expect(overdues.count == plain.count, "no escalation: nobody to escalate to, and nothing 2 working days late")
        let kinds = Dictionary(expected.map { ($0.kind, 1) }, uniquingKeysWith: +)
        print(
            """
            engagement overdue timer: \(visits) referrals (\(visitsPerBatch) before, \(visitsPerBatch) while engagement \
            was down), \(stored ?? 0) tasks, \(expected.count) overdue (\(kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); \
            first task-overdue read \(firstOverdue) after the first batch (the timer marked the first batch's tasks \
            at most \(Int(lagMilliseconds)) ms after they were stored), \(beforeKill) read before the SIGKILL; \
            restart to ready \(restart); task-overdue records \(plain.count) (\(plain.count - Set(plain.map(\.id)).count) \
            redelivered copies of one event id) for \(byTask.count) tasks, \(doubled.count) doubled, \(missing.count) missing
            """)
    }

    // MARK: - Helpers

    /// A task as `GET /customers/{id}/tasks` and the agenda show it.
    struct TaskItem: Sendable, Equatable {
        var id: String
        var kind: String
        var status: String
        var managerID: String
        var visitID: String?
        var dueText: String
        var dueAt: Timestamp
        var completedAt: String?

        /// The local day it is due.
        var day: String { String(dueText.prefix(10)) }

        init?(_ json: [String: Any]) {
            guard let id = json["taskId"] as? String, let kind = json["kind"] as? String,
                let status = json["status"] as? String, let managerID = json["managerId"] as? String,
                let dueText = json["dueAt"] as? String, let dueAt = try? Timestamp(rfc3339: dueText)
            else { return nil }
            self.id = id
            self.kind = kind
            self.status = status
            self.managerID = managerID
            self.visitID = json["visitId"] as? String
            self.dueText = dueText
            self.dueAt = dueAt
            self.completedAt = json["completedAt"] as? String
        }
    }

    struct CustomerTasks: Sendable {
        var open: [TaskItem]
        var done: [TaskItem]
    }

    static func customerTasks(_ url: String) async -> CustomerTasks? {
        guard let response = await TestHTTP.get(url), response.status == 200,
            let body = try? response.json() as? [String: Any],
            let open = body["open"] as? [[String: Any]], let done = body["done"] as? [[String: Any]]
        else { return nil }
        return CustomerTasks(open: open.compactMap(TaskItem.init), done: done.compactMap(TaskItem.init))
    }

    static func agenda(_ url: String) async -> [TaskItem]? {
        guard let response = await TestHTTP.get(url), response.status == 200,
            let body = try? response.json() as? [String: Any], let tasks = body["tasks"] as? [[String: Any]]
        else { return nil }
        return tasks.compactMap(TaskItem.init)
    }

    static func contact(_ activityID: String, customer: String, manager: String, kind: ContactKind, taskID: String?)
        -> KafkaOutgoingRecord
    {
        TestEvents.record(
            ContactLogged.V1(
                activityId: activityID, customerId: customer, managerId: manager, kind: kind, proactive: kind == .call,
                at: .now(utcOffsetSeconds: shanghai), taskId: taskID))
    }

    struct Decoded<Payload: Sendable>: Sendable {
        var id: String
        var data: Payload
    }

    static func completions(_ records: [KafkaRecord], customer: String) -> [Decoded<TaskCompleted.V1>] {
        records.compactMap { record in
            guard let event = try? EventCatalog.decode(record.value),
                case .taskCompleted(let data) = event.payload, data.customerId == customer
            else { return nil }
            return Decoded(id: event.id, data: data)
        }
    }

    static func overdues(_ records: [KafkaRecord]) -> [Decoded<TaskOverdue.V1>] {
        records.compactMap { record in
            guard let event = try? EventCatalog.decode(record.value), case .taskOverdue(let data) = event.payload
            else { return nil }
            return Decoded(id: event.id, data: data)
        }
    }

    struct PlanRow: Sendable, CustomStringConvertible {
        var tier: String
        var status: String
        var managerID: String
        var startsOn: String
        var endsOn: String
        var roles: [String: Int]
        var description: String { "\(tier) \(status) \(managerID) \(startsOn)…\(endsOn) \(roles)" }
    }

    static func plans(of customer: String, schema: String, client: PostgresClient) async throws -> [PlanRow] {
        var plans: [PlanRow] = []
        let rows = try await client.query(
            """
            SELECT plan_id, tier, status, manager_id, starts_on::text, ends_on::text
            FROM \(unescaped: schema).plans WHERE customer_id = \(customer) ORDER BY created_at
            """)
        for try await (planID, tier, status, managerID, startsOn, endsOn) in rows.decode(
            (UUID, String, String, String, String, String).self)
        {
            var roles: [String: Int] = [:]
            let roleRows = try await client.query(
                """
                SELECT coalesce(cadence_role, '-'), count(*) FROM \(unescaped: schema).tasks
                WHERE plan_id = \(planID) GROUP BY 1
                """)
            for try await (role, count) in roleRows.decode((String, Int).self) { roles[role] = count }
            plans.append(
                PlanRow(
                    tier: tier, status: status, managerID: managerID, startsOn: startsOn, endsOn: endsOn, roles: roles))
        }
        return plans
    }

    struct TaskState: Sendable {
        var id: String
        var kind: String
        var overdueAt: Bool
    }

    static func taskStates(_ condition: String, schema: String, client: PostgresClient) async throws -> [TaskState] {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: "SELECT task_id, kind, overdue_at IS NOT NULL FROM \(schema).tasks WHERE \(condition)"))
        var states: [TaskState] = []
        for try await (id, kind, overdue) in rows.decode((UUID, String, Bool).self) {
            states.append(TaskState(id: id.uuidString.lowercased(), kind: kind, overdueAt: overdue))
        }
        return states
    }

    static func count(_ sql: String, client: PostgresClient) async throws -> Int {
        try await CrashRecoveryTests.count(sql, client: client)
    }

    /// The `count`-th working day (Monday to Friday; the stack runs without a holiday calendar) after `date`.
    static func workingDay(_ count: Int, after date: BusinessDate) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var day = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day))!
        var left = count
        while left > 0 {
            day = calendar.date(byAdding: .day, value: 1, to: day)!
            let weekday = calendar.component(.weekday, from: day)
            if weekday != 1 && weekday != 7 { left -= 1 }
        }
        let parts = calendar.dateComponents([.year, .month, .day], from: day)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    static func addingDays(_ days: Int, to date: String) -> String {
        guard let day = BusinessDate(date) else { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
        let parts = calendar.dateComponents([.year, .month, .day], from: calendar.date(byAdding: .day, value: days, to: start)!)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}
