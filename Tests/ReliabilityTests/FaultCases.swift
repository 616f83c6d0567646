import Events
import Foundation
import Logging
import Messaging
import PostgresNIO
import Synchronization
import ServiceKit
import TestSupport

/// The eight faults of the suite (issue 8). Each runs against a fresh stack under the steady stream of
/// ``LoadDriver``; ``FaultRunner`` reconciles afterwards.
enum FaultCases {
    static let all: [FaultCase] = [
        brokerDown, produceErrors, coordinatorMoved, killAfterCommit, killRelayAfterProduce, postgresCrash,
        longTransaction, timersAcrossRestart,
    ]

    // MARK: - 1. A broker down, then leaderless partitions, during produce

    /// Broker 2 goes down for 6 s (its partitions and any group it coordinates are unreachable; the driver's and the
    /// relays' produce requests to it wait), then two partitions of every topic that carries the walk-in chain lose
    /// their leader for 6 s.
    static let brokerDown = FaultCase(number: 1, title: "broker down, then partitions leaderless, during produce") {
        context in
        let cluster = context.cluster
        try cluster.setBrokerDown(2)
        try await Task.sleep(for: .seconds(6))
        try cluster.setBrokerUp(2)
        try await Task.sleep(for: .seconds(2))
        let topics = [
            Topics.branchVisits, Topics.intakeEvents, Topics.assignmentEvents, Topics.engagementEvents,
            Topics.complaintsEvents,
        ]
        let partitions: [Int32] = [0, 3]
        for topic in topics {
            for partition in partitions { try cluster.setPartitionLeader(topic: topic, partition: partition, brokerID: nil) }
        }
        try await Task.sleep(for: .seconds(6))
        for topic in topics {
            for partition in partitions {
                try cluster.setPartitionLeader(topic: topic, partition: partition, brokerID: partition % 3 + 1)
            }
        }
        return FaultOutcome(notes: [
            "broker 2 of 3 down for 6 s", "partitions 0 and 3 of \(topics.joined(separator: ", ")) leaderless for 6 s",
        ])
    }

    // MARK: - 2. Injected produce errors

    /// For 8 s, every 250 ms the next five Produce requests (on any broker, from any client) fail with retriable
    /// errors; the idempotent producers retry them without reordering (the topic check compares every key's order
    /// with its outbox order, and the driver's contacts with the order they were produced in).
    static let produceErrors = FaultCase(number: 2, title: "injected produce errors, retried without reordering") {
        context in
        // NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
        // NOT_ENOUGH_REPLICAS_AFTER_APPEND.
        let codes: [Int32] = [19, 7, 6, 5, 20]
        var pushed = 0
        let end = ContinuousClock.now + .seconds(8)
        while ContinuousClock.now < end {
            try context.cluster.pushRequestErrors(apiKey: 0, errorCodes: codes)
            pushed += codes.count
            try await Task.sleep(for: .milliseconds(250))
        }
        try context.cluster.clearRequestErrors(apiKey: 0)
        let failures = await TestMetrics.sum("concierge_outbox_publish_failures_total", stack: context.stack)
        return FaultOutcome(
            notes: [
                "\(pushed) Produce errors injected over 8 s (codes 19, 7, 6, 5, 20)",
                "\(failures) outbox deliveries reported failed to the relays (retried in order)",
            ])
    }

    // MARK: - 3. The group coordinator moved during consumption

    /// Intake, assignment and engagement run two instances each. Every 2 s for 10 s every group's coordinator moves
    /// to the next broker; early on one assignment instance leaves and joins again, and one engagement instance is
    /// SIGKILLed and started again (the group waits out its session, then reassigns): rebalances under moving
    /// coordinators with no double effect. The fault is cleared once both new members hold partitions.
    static let coordinatorMoved = FaultCase(
        number: 3, title: "group coordinator moved during consumption, rebalances",
        instances: ["intake": 2, "assignment": 2, "engagement": 2]
    ) { context in
        let stack = context.stack
        let assignedBefore = logCount("Kafka partitions assigned", stack: stack)
        for round in 0..<5 {
            for group in ConciergeStack.serviceNames {
                try context.cluster.setGroupCoordinator(group: group, brokerID: Int32(round % 3 + 1))
            }
            if round == 1 {
                await stack.terminate("assignment#2")
                try stack.launch("assignment#2")
                stack.kill("engagement#2")
                try stack.launch("engagement#2")
                try await stack.waitUntilReady("assignment#2")
                try await stack.waitUntilReady("engagement#2")
            }
            try await Task.sleep(for: .seconds(2))
        }
        // Cleared once the two groups have settled again: the new members hold partitions (the eager protocol and the
        // SIGKILLed member's session timeout make that take several seconds).
        _ = await TestHTTP.eventually(timeout: .seconds(60), interval: .milliseconds(500)) { () -> Bool? in
            logCount("Kafka partitions assigned", stack: stack, instances: ["assignment#2", "engagement#2"]) >= 2
                ? true : nil
        }
        let rebalances = logCount("Kafka partitions assigned", stack: stack) - assignedBefore
        return FaultOutcome(
            notes: [
                "coordinators of all five groups moved 5 times, 2 s apart",
                "assignment#2 stopped and started, engagement#2 SIGKILLed and started",
                "\(rebalances) partition assignments during the fault",
            ],
            evidence: [("partitions were reassigned during the fault", rebalances > 0)])
    }

    // MARK: - 4. SIGKILL between the database commit and the offset commit

    /// Each service is restarted with `CONCIERGE_FAULT=after-handler-commit:<n>` and kills itself right after its
    /// n-th committed handler transaction, before the offset is stored; it is started again, disarmed. The group
    /// redelivers what was committed but not acknowledged; the inbox absorbs it.
    static let killAfterCommit = FaultCase(
        number: 4, title: "SIGKILL of each service between its database commit and its offset commit",
        warmUp: .seconds(4)
    ) { context in
        try await killAtFaultPoint(
            .afterHandlerCommit,
            passes: ["intake": 30, "assignment": 20, "engagement": 40, "complaints": 10, "scoring": 120],
            what: "committed event", context: context)
    }

    // MARK: - 5. SIGKILL of an outbox relay after produce, before marking sent

    /// Each service is restarted with `CONCIERGE_FAULT=after-outbox-produce:<n>` and kills itself once its relay
    /// has the delivery reports of its n-th batch, before marking the rows sent; started again, the relay publishes
    /// those rows again and the consumers absorb the copies.
    static let killRelayAfterProduce = FaultCase(
        number: 5, title: "SIGKILL of each outbox relay after produce, before marking sent", warmUp: .seconds(4)
    ) { context in
        try await killAtFaultPoint(
            .afterOutboxProduce,
            passes: ["intake": 4, "assignment": 4, "engagement": 4, "complaints": 3, "scoring": 2],
            what: "published batch", context: context)
    }

    // MARK: - 6. PostgreSQL stopped with -m immediate, started again

    /// `postgres.sh crash` (`pg_ctl stop -m immediate`) under the running services, 5 s down, `postgres.sh start`:
    /// transactions in flight are lost and redone from Kafka, nothing committed is lost (synchronous commit), the
    /// relays resume. PostgresNIO 1.33 can leave work in flight hanging for good (case 6b); the stall watchdog then
    /// exits the service with status 75 after `DATABASE_STALL_TIMEOUT_MS` (default 30 s) and its supervisor starts it
    /// again. The case plays the supervisor (Kubernetes' `restartPolicy: Always`, compose's `restart:`, `make run`):
    /// an instance that exits is started again at once. The services, so supervised, must resume within a minute of
    /// PostgreSQL's return with nobody intervening; if they do not, the case restarts them all, as an operator would,
    /// so that the reconciliation still shows whether anything was lost or doubled, and fails on the evidence.
    static let postgresCrash = FaultCase(number: 6, title: "PostgreSQL stopped with -m immediate and started again") {
        context in
        try PostgresControl.requireOwnCluster()
        let stack = context.stack
        let down = ContinuousClock.now
        let supervisor = Supervisor(stack: stack)
        let supervising = Task { await supervisor.run() }
        try await PostgresControl.run("crash")
        try await Task.sleep(for: .seconds(5))
        try await PostgresControl.run("start")
        let back = ContinuousClock.now
        let outage = back - down
        let pending = context.driver.ledger
        // A fresh client: the case's own may hold connections that died with the server.
        let resumed = try await stack.withAdminClient { db in
            await FaultRunner.recoveryTime(of: pending, since: back, stack: stack, db: db, timeout: .seconds(60))
        }
        // Instances started again by the supervisor must be ready before the stream resumes checking.
        for instance in stack.allInstances { try? await stack.waitUntilReady(instance, timeout: .seconds(30)) }
        supervising.cancel()
        await supervising.value
        var notes = ["PostgreSQL crashed (immediate shutdown) and started again after \(ReliabilityReport.seconds(outage))"]
        let exits = supervisor.exits
        if exits.isEmpty {
            notes.append("no service exited: every transaction in flight ended on its own")
        } else {
            notes.append(
                "the stall watchdog ended "
                    + exits.map {
                        "\($0.instance) (status \($0.status), \(ReliabilityReport.seconds($0.at - back)) after PostgreSQL was back)"
                    }.joined(separator: ", ")
                    + "; the supervisor started each again")
        }
        if let resumed {
            notes.append("all work in flight done \(ReliabilityReport.seconds(resumed)) after PostgreSQL was back")
        }
        if resumed == nil {
            let wedged = ContinuousClock.now
            await stack.terminate(stack.allInstances, timeout: .seconds(10))
            for instance in stack.allInstances { try stack.launch(instance) }
            for instance in stack.allInstances { try await stack.waitUntilReady(instance) }
            notes.append(
                "the services had not resumed a minute after PostgreSQL was back (still answering ready); restarted "
                    + "them, ready again after \(ReliabilityReport.seconds(ContinuousClock.now - wedged))")
        }
        return FaultOutcome(
            notes: notes,
            evidence: [
                ("the supervised services resumed within a minute of PostgreSQL's return", resumed != nil),
                ("every service that exited did so through the stall watchdog (status 75)",
                 exits.allSatisfy { $0.status == StallWatchdog.exitStatus }),
            ])
    }

    /// Starts again every instance that exits, as a container orchestrator does; records who exited, how and when.
    final class Supervisor: Sendable {
        struct Exit: Sendable {
            var instance: String
            var status: Int32
            var at: ContinuousClock.Instant
        }

        let stack: ConciergeStack
        private let recorded = Mutex<[Exit]>([])
        var exits: [Exit] { recorded.withLock { $0 } }

        init(stack: ConciergeStack) { self.stack = stack }

        func run() async {
            while !Task.isCancelled {
                for instance in stack.allInstances {
                    guard let process = stack.process(instance), let status = process.exitStatus else { continue }
                    recorded.withLock { $0.append(Exit(instance: instance, status: status, at: .now)) }
                    try? stack.launch(instance)
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    // MARK: - 7. A long-running transaction holding back the outbox relay

    /// A transaction of intake's database role that has an id stays open for 10 s: intake's relay waits behind it
    /// (it reads only rows of transactions older than every running one of its role), losing nothing; the other
    /// services' relays, whose roles differ, go on publishing.
    static let longTransaction = FaultCase(number: 7, title: "a long-running transaction holds back its service's outbox relay") {
        context in
        let stack = context.stack
        let logger = Logger(label: "reliability.long-transaction")
        let others = ConciergeStack.serviceNames.filter { $0 != "intake" }
        let sum: @Sendable (String, [String]) -> String = { condition, services in
            "SELECT " + services.map { "(SELECT count(*) FROM \(stack.schema($0)).outbox WHERE \(condition))" }
                .joined(separator: " + ")
        }
        let intakeURL = stack.databaseURL(for: "intake")
        let (heldBack, othersPublished, othersWaiting, xid) = try await TestDatabase.withClient(
            url: intakeURL, schema: stack.schema("intake")
        ) { client in
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                let xid = try await connection.query("SELECT pg_current_xact_id()::text", logger: logger).collect()
                    .first!.decode(String.self)
                let opened = try await Database.value("SELECT now()::text", db: context.db, as: String.self)
                try await Task.sleep(for: .seconds(10))
                let heldBack = try await Database.value(sum("sent_at IS NULL", ["intake"]), db: context.db, as: Int.self)
                let published = try await Database.value(
                    sum("sent_at > '\(opened)'::timestamptz", others), db: context.db, as: Int.self)
                // Rows of the other services waiting for more than 5 s: under the old, server-wide rule every
                // relay waited for the whole 10 s.
                let waiting = try await Database.value(
                    sum("sent_at IS NULL AND created_at < now() - interval '5 seconds'", others), db: context.db,
                    as: Int.self)
                try await connection.query("ROLLBACK", logger: logger)
                return (heldBack, published, waiting, xid)
            }
        }
        return FaultOutcome(
            notes: [
                "intake transaction \(xid) open for 10 s; \(heldBack) intake outbox rows waiting behind it at its end; "
                    + "meanwhile the other services published \(othersPublished) rows, \(othersWaiting) waited over 5 s"
            ],
            evidence: [
                ("intake's relay was held back", heldBack > 0),
                ("the other services' relays went on publishing", othersPublished > 0 && othersWaiting == 0),
            ])
    }

    // MARK: - 8. Timer-driven services restarted across their deadlines

    /// Engagement's walk-in reception is due 1 minute after the referral (`ENGAGEMENT_RECEIVE_WALKIN_MINUTES=1`), so
    /// a minute into the stream receptions come due every few hundred milliseconds; three complaints are dated so
    /// that their pre-breach warning falls 2, 4 and 6 s after the planned stop. Engagement and complaints are then
    /// SIGKILLed for 12 s, three complaints aged 12 working days arrive meanwhile, and both start again: every task
    /// past due gets exactly one `task-overdue`, every warning exactly one `case-due-soon`, every aged case each
    /// rung of the ladder once.
    static let timersAcrossRestart: FaultCase = {
        let calendar = FaultRunner.calendar
        let percent = DeadlineDesign.percent(from: calendar.now().adding(.seconds(60)), calendar: calendar)
        return FaultCase(
            number: 8, title: "engagement and complaints restarted across their deadlines",
            environment: [
                "engagement": ["ENGAGEMENT_RECEIVE_WALKIN_MINUTES": "1", "ENGAGEMENT_SCHEDULER_INTERVAL_MS": "500"],
                "complaints": ["COMPLAINTS_TIMER_INTERVAL_MS": "200"],
            ],
            warmUp: .seconds(48), afterwards: .seconds(8), warnPercent: percent
        ) { context in
            try await restartAcrossDeadlines(context, percent: percent)
        }
    }()

    static func restartAcrossDeadlines(_ context: FaultContext, percent: Int) async throws -> FaultOutcome {
        let (stack, driver, calendar) = (context.stack, context.driver, context.calendar)
        let stopAt = ContinuousClock.now + .seconds(10)
        let stopTime = calendar.now().adding(.seconds(10))
        let customers = driver.ledger.customers
        var watched: [Ledger.Complaint] = []
        for number in 1...3 {
            let warnAt = stopTime.adding(.seconds(2 * number))
            guard let received = DeadlineDesign.receivedAt(warnAt: warnAt, percent: percent, calendar: calendar) else {
                throw LoadDriver.DriverError(description: "no receipt time puts a warning at \(warnAt) (\(percent) %)")
            }
            let customer = customers[number * 7 % customers.count]
            watched.append(
                Ledger.Complaint(
                    ref: "DL-\(stack.runID)-\(number)", source: .branch, branch: customer.branch,
                    customerID: customer.id, category: "deadline-watch-\(number)", receivedAt: received,
                    generated: .now))
        }
        try await driver.publish(watched)
        let watchedCount = watched.count
        let refs = watched.map { "'\($0.ref)'" }.joined(separator: ", ")
        let opened = try await TestHTTP.eventually(timeout: .seconds(9), interval: .milliseconds(200)) { () -> Bool? in
            let count = try await Database.value(
                "SELECT count(*) FROM \(stack.schema("complaints")).cases WHERE external_ref IN (\(refs))",
                db: context.db, as: Int.self)
            return count == watchedCount ? true : nil
        }
        guard opened == true else {
            throw LoadDriver.DriverError(description: "the deadline complaints were not opened before the stop")
        }
        try await Task.sleep(until: stopAt)

        let downAt = Date()
        stack.kill("engagement")
        stack.kill("complaints")
        var aged: [Ledger.Complaint] = []
        var day = calendar.businessDate(of: calendar.now())
        var workingDays = 0
        while workingDays < 12 {
            day = day.adding(days: -1)
            if calendar.isWorkingDay(day) { workingDays += 1 }
        }
        for number in 1...3 {
            let customer = customers[number * 11 % customers.count]
            aged.append(
                Ledger.Complaint(
                    ref: "AG-\(stack.runID)-\(number)", source: .branch, branch: customer.branch,
                    customerID: customer.id, category: "aged-\(number)",
                    receivedAt: calendar.localized(calendar.startOfDay(day).adding(milliseconds: 10 * 3_600_000)),
                    generated: .now))
        }
        try await driver.publish(aged)
        try await Task.sleep(until: stopAt + .seconds(12))
        try stack.launch("engagement")
        try stack.launch("complaints")
        try await stack.waitUntilReady("engagement")
        try await stack.waitUntilReady("complaints")
        let upAt = Date()
        let crossed = try await Database.value(
            """
            SELECT count(*) FROM \(stack.schema("engagement")).tasks
            WHERE due_at >= '\(Timestamp(date: downAt).rfc3339)'::timestamptz
                AND due_at < '\(Timestamp(date: upAt).rfc3339)'::timestamptz
            """, db: context.db, as: Int.self)
        let warningsDown = watched.filter {
            let warn = Reconciler(stack: stack, db: context.db, calendar: calendar, warnPercent: percent).warnAt($0)
            return warn.date >= downAt && warn.date < upAt
        }.count
        return FaultOutcome(
            notes: [
                "engagement and complaints SIGKILLed, started again \(String(format: "%.1f", upAt.timeIntervalSince(downAt))) s later",
                "\(crossed) task deadlines and \(warningsDown) complaint warning times (\(percent) % of the reply time) fell while they were down",
                "3 complaints aged 12 working days arrived while complaints was down",
            ],
            evidence: [
                ("task deadlines fell while engagement was down", crossed > 0),
                ("the three warning times fell while complaints was down", warningsDown == watched.count),
            ])
    }

    // MARK: - Helpers

    /// Restarts each service armed at `point` (gracefully: the stream goes on), waits until each has killed itself
    /// there (SIGKILL) and starts it again disarmed.
    static func killAtFaultPoint(
        _ point: FaultPoint, passes: [String: Int], what: String, context: FaultContext
    ) async throws -> FaultOutcome {
        let stack = context.stack
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (service, count) in passes {
                group.addTask {
                    await stack.terminate(service)
                    try stack.launch(service, overriding: [FaultPoint.variable: "\(point.rawValue):\(count)"])
                    try await stack.waitUntilReady(service)
                }
            }
            try await group.waitForAll()
        }
        let kills = try await withThrowingTaskGroup(of: (String, Int32?, Duration).self) { group in
            for service in passes.keys {
                group.addTask {
                    guard let process = stack.process(service), await process.waitUntilExit(timeout: .seconds(120))
                    else {
                        throw LoadDriver.DriverError(description: "\(service) did not reach its fault point \(point)")
                    }
                    let down = ContinuousClock.now
                    try stack.launch(service, overriding: [FaultPoint.variable: ""])
                    try await stack.waitUntilReady(service)
                    return (service, process.terminationSignal, ContinuousClock.now - down)
                }
            }
            var kills: [(String, Int32?, Duration)] = []
            for try await kill in group { kills.append(kill) }
            return kills.sorted { $0.0 < $1.0 }
        }
        return FaultOutcome(
            notes: kills.map { service, _, restart in
                "\(service) SIGKILLed itself after its \(ordinal(passes[service]!)) \(what), ready again \(ReliabilityReport.seconds(restart)) later"
            },
            evidence: kills.map { service, signal, _ in ("\(service) died of SIGKILL at \(point.rawValue)", signal == SIGKILL) })
    }

    /// 1st, 2nd, 3rd, 4th… 11th, 12th, 13th… 21st.
    static func ordinal(_ number: Int) -> String {
        let suffix =
            (11...13).contains(number % 100) ? "th" : [1: "st", 2: "nd", 3: "rd"][number % 10, default: "th"]
        return "\(number)\(suffix)"
    }

    /// How many lines of the stack's service logs (of every process so far, or of the current processes of
    /// `instances`) contain `text`.
    static func logCount(_ text: String, stack: ConciergeStack, instances: [String]? = nil) -> Int {
        let files =
            instances.map { $0.compactMap { stack.process($0)?.logFile } }
            ?? (try? FileManager.default.contentsOfDirectory(at: stack.logDirectory, includingPropertiesForKeys: nil))
            ?? []
        return files.filter { $0.pathExtension == "log" }.reduce(0) { total, file in
            let content = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            return total + content.split(separator: "\n").count { $0.contains(text) }
        }
    }
}

/// Receipt times that put a complaint's pre-breach warning (`COMPLAINTS_WARN_PERCENT` of the reply time, F-02) at a
/// chosen instant.
enum DeadlineDesign {
    /// The receipt time `r` with `r + (due(r) − r) × percent = warnAt`, where `due(r)` is the end of the third working
    /// day after `r`'s day; `nil` when no day of the last three weeks gives one.
    static func receivedAt(warnAt: Timestamp, percent: Int, calendar: BusinessCalendar) -> Timestamp? {
        let share = Double(percent) / 100
        let warn = Double(warnAt.millisecondsSinceEpoch)
        let today = calendar.businessDate(of: warnAt)
        for back in 0...21 {
            let day = today.adding(days: -back)
            let due = Double(calendar.endOfDay(calendar.workingDay(3, after: day)).millisecondsSinceEpoch)
            guard due > warn else { continue }
            let received = Timestamp(
                millisecondsSinceEpoch: Int64(((warn - share * due) / (1 - share)).rounded()),
                utcOffsetSeconds: Timestamp.shanghaiUTCOffsetSeconds)
            if calendar.businessDate(of: received) == day, received < warnAt { return received }
        }
        return nil
    }

    /// A warning share for which warnings can be designed over the next five minutes from `from` (75, the default,
    /// when it works).
    static func percent(from: Timestamp, calendar: BusinessCalendar) -> Int {
        let candidates = [75, 60, 50, 80, 90, 70, 85, 65, 55, 95]
        return candidates.first { percent in
            (0..<10).allSatisfy {
                receivedAt(warnAt: from.adding(.seconds(30 * $0)), percent: percent, calendar: calendar) != nil
            }
        } ?? 75
    }
}

/// The suite's PostgreSQL cluster, through `deploy/local/postgres.sh` (the environment tells which cluster:
/// `CONCIERGE_STATE_DIR`, `CONCIERGE_PG_PORT`).
enum PostgresControl {
    /// The crash case stops a whole server: only one that the test database runs on, and that `postgres.sh`
    /// manages.
    static func requireOwnCluster() throws {
        let port = ProcessInfo.processInfo.environment["CONCIERGE_PG_PORT"] ?? "55432"
        guard let url = TestEnvironment.databaseURL, let components = URLComponents(string: url),
            components.port.map(String.init) == port
        else {
            throw LoadDriver.DriverError(
                description: "the PostgreSQL crash case needs the test database on the cluster of deploy/local/postgres.sh "
                    + "(port \(port)); run it with `make reliability`")
        }
    }

    static func run(_ command: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [
            TestEnvironment.repositoryRoot.appendingPathComponent("deploy/local/postgres.sh").path, command,
        ]
        try process.run()
        // Reaped here if Foundation's own child monitor has not (seen to leave `postgres.sh start`, whose
        // grandchild is the server, a zombie that `isRunning` reports running forever).
        let pid = process.processIdentifier
        var status: Int32 = 0
        while process.isRunning {
            if waitpid(pid, &status, WNOHANG) == pid {
                let exitStatus = (status >> 8) & 0xff
                guard status & 0x7f == 0, exitStatus == 0 else {
                    throw LoadDriver.DriverError(description: "postgres.sh \(command) ended with status \(status)")
                }
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard process.terminationStatus == 0 else {
            throw LoadDriver.DriverError(description: "postgres.sh \(command) exited with \(process.terminationStatus)")
        }
    }
}
