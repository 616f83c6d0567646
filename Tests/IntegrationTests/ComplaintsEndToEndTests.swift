import Events
import Foundation
import Messaging
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

/// Complaints over a case's whole lifecycle, as the branch front ends, the call centre and staff see it: the real
/// executable over the development broker and PostgreSQL. Complaints and escalations in, cases with the right reply
/// deadline and owner out; an aged case climbing the escalation ladder on the durable timers, each level once, also
/// across a SIGKILL; the staff actions over HTTP; the daily report.
@Suite("Complaints end to end", .serialized, .timeLimit(.minutes(5)))
struct ComplaintsEndToEndTests {
    /// The service's calendar: Asia/Shanghai, Saturday and Sunday off, no holidays (the stack sets no
    /// `BUSINESS_CALENDAR`).
    static let calendar = BusinessCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    @Test(
        "F-01 F-02 F-03 F-04 complaints and escalations in over Kafka: cases with the right deadlines and owners out; an aged case climbs the ladder to head office within a minute of start-up, each level once across a restart"
    )
    func complaintsEndToEnd() async throws {
        let startedAt = ContinuousClock.now
        let stack = try await ConciergeStack.start(
            services: ["complaints"], environment: ["complaints": ["COMPLAINTS_TIMER_INTERVAL_MS": "200"]])
        do {
            try await Self.run(stack, startedAt: startedAt)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    static func run(_ stack: ConciergeStack, startedAt: ContinuousClock.Instant) async throws {
        let startUp = ContinuousClock.now - startedAt
        let run = stack.runID
        let branch = "K\(run.prefix(6))"
        let lobbyManager = "LM\(run)"
        let centreHead = "CH\(run)"
        let manager = "WM\(run)"
        let customer = "C\(run)"
        let stranger = "CX\(run)"
        let complaints = stack.url("complaints")
        let now = calendar.now()
        let today = calendar.businessDate(of: now)
        // F-02: a reply by the end of the third working day after the day of receipt.
        let replyDue = calendar.endOfDay(calendar.workingDay(3, after: today))

        // MARK: The directory and the customer's manager (this test plays HR and assignment)

        let dayAgo = now.adding(milliseconds: -86_400_000)
        let roster = [
            staff(lobbyManager, branch: branch, role: .lobbyManager, since: dayAgo),
            staff(centreHead, branch: branch, role: .centreHead, since: dayAgo),
            staff(manager, branch: branch, role: .wealthManager, since: dayAgo),
            Published(
                ManagerAssigned.V1(
                    customerId: customer, managerId: manager, branchId: branch, tier: .b, serviceTeam: [manager],
                    reason: .new, at: now.adding(milliseconds: -3_600_000))),
        ]
        try await publish(roster, stack: stack)
        try await waitConsumed(roster, stack: stack)

        // MARK: Today's complaints and escalations (F-01), one complaint sent twice

        let lobbyRef = "\(run)-lobby"
        let counterRef = "\(run)-counter"
        let bookRef = "\(run)-book"
        let appRef = "\(run)-app"
        let knownRef = "CC\(run)-known"
        let unknownRef = "CC\(run)-unknown"
        let lobby = lodged(
            lobbyRef, branch: branch, channel: .lobby, category: "waiting_time", at: now, by: lobbyManager)
        let todays = [
            Published(lobby),
            Published(
                lodged(
                    counterRef, branch: branch, channel: .counter, category: "fees", at: now, by: lobbyManager,
                    resolution: "the fee was explained and waived")),
            Published(
                lodged(
                    bookRef, branch: branch, channel: .opinionBook, category: "service_attitude", at: now,
                    by: lobbyManager)),
            Published(
                lodged(appRef, branch: branch, channel: .mobile, category: "app_outage", at: now, by: lobbyManager)),
            // The same complaint again, as a new event: it must not open a second case.
            Published(lobby),
            Published(
                EscalationRaised.V1(
                    caseRef: knownRef, customerId: customer, branchId: branch, category: "product_advice",
                    severity: .high, summary: "the fund was sold as capital-protected",
                    customerNeed: "a meeting with the manager", receivedAt: now, agentId: "AG\(run)",
                    firstLineAttempted: true)),
            Published(
                EscalationRaised.V1(
                    caseRef: unknownRef, customerId: stranger, branchId: branch, category: "card_fees",
                    severity: .normal, summary: "annual card fee charged twice", customerNeed: "a refund",
                    receivedAt: now, agentId: "AG\(run)", firstLineAttempted: false)),
        ]
        let sentToday = ContinuousClock.now
        try await publish(todays, stack: stack)
        try await waitConsumed(todays, stack: stack)

        // F-03: a branch complaint is the lobby manager's, the centre head informed; F-04: an escalation is the
        // customer's exclusive manager's, else the branch centre head's.
        let expected: [String: ExpectedCase] = [
            lobbyRef: .init(
                source: "branch", owner: lobbyManager, informed: centreHead, status: "open", channel: "lobby"),
            counterRef: .init(
                source: "branch", owner: lobbyManager, informed: centreHead, status: "resolved", channel: "counter"),
            bookRef: .init(
                source: "branch", owner: lobbyManager, informed: centreHead, status: "open", channel: "opinion_book"),
            appRef: .init(
                source: "branch", owner: lobbyManager, informed: centreHead, status: "open", channel: "mobile"),
            knownRef: .init(
                source: "callcentre", owner: manager, informed: centreHead, status: "open", channel: "callcentre"),
            unknownRef: .init(
                source: "callcentre", owner: centreHead, informed: nil, status: "open", channel: "callcentre"),
        ]
        let listURL = "\(complaints)/cases?branchId=\(branch)"
        let listed = try #require(await cases(listURL), "GET /cases?branchId=\(branch) did not answer 200")
        #expect(listed.count == expected.count, "one case per complaint and escalation: \(listed.map(\.externalRef))")
        #expect(Set(listed.map(\.externalRef)) == Set(expected.keys))
        for row in listed {
            guard let want = expected[row.externalRef] else { continue }
            #expect(row.source == want.source, "\(row.externalRef) source")
            #expect(row.ownerID == want.owner, "\(row.externalRef) owner: \(row.ownerID ?? "none")")
            #expect(row.informedID == want.informed, "\(row.externalRef) informed: \(row.informedID ?? "none")")
            #expect(row.status == want.status, "\(row.externalRef) status")
            #expect(row.level == CaseLevel.frontLine.rawValue, "\(row.externalRef) level")
            #expect(
                row.replyDueAt.millisecondsSinceEpoch == replyDue.millisecondsSinceEpoch,
                "\(row.externalRef) reply due \(row.replyDueAt), expected \(replyDue) (end of the 3rd working day)")
            #expect(!row.breached && !row.overdue, "\(row.externalRef) is neither breached nor overdue")
        }
        let caseIDs = Dictionary(listed.map { ($0.externalRef, $0.caseID) }, uniquingKeysWith: { first, _ in first })

        let opening = try await TestKafka.read(
            Topics.complaintsEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
        ) { records in
            let events = unique(decode(records))
            let openedRefs = Set(events.compactMap { opened($0)?.externalRef }.filter { expected[$0] != nil })
            let counterID = caseIDs[counterRef]
            return openedRefs.count == expected.count
                && events.contains { caseID(of: $0.payload) == counterID && step($0.payload) == "resolved" }
        }
        let toOpened = ContinuousClock.now - sentToday
        let openingEvents = decode(opening)
        for (ref, want) in expected {
            let opens = unique(openingEvents).compactMap(opened).filter { $0.externalRef == ref }
            #expect(opens.count == 1, "one case-opened for \(ref), found \(opens.count)")
            guard let open = opens.first else { continue }
            #expect(open.caseId == caseIDs[ref])
            #expect(open.source.rawValue == want.source)
            #expect(open.branchId == branch)
            #expect(open.ownerId == want.owner, "case-opened owner of \(ref): \(open.ownerId ?? "none")")
            #expect(open.level == .frontLine)
            #expect(
                open.replyDueAt.millisecondsSinceEpoch == replyDue.millisecondsSinceEpoch,
                "case-opened replyDueAt of \(ref): \(open.replyDueAt), expected \(replyDue)")
            #expect(open.resolvedOnSpot == (ref == counterRef))
        }
        let knownOpen = unique(openingEvents).compactMap(opened).first { $0.externalRef == knownRef }
        #expect(knownOpen?.severity == .high && knownOpen?.customerId == customer)
        let onSpot = unique(openingEvents).filter { caseID(of: $0.payload) == caseIDs[counterRef] }.compactMap(label)
        #expect(onSpot == ["opened", "resolved"], "answered on the spot: opened and resolved at once (F-02)")
        let spotResolution = unique(openingEvents).compactMap { event -> CaseResolved.V1? in
            guard case .caseResolved(let data) = event.payload, data.caseId == caseIDs[counterRef] else { return nil }
            return data
        }.first
        #expect(spotResolution?.onTime == true && spotResolution?.by == lobbyManager)
        #expect(spotResolution?.resolution == "the fee was explained and waived")

        // MARK: The aged case climbs the ladder (F-02, F-04)

        let agedDay = workingDays(10, before: today)
        let agedReceived = calendar.startOfDay(agedDay).adding(milliseconds: 10 * 3_600_000)
        let agedDue = calendar.endOfDay(calendar.workingDay(3, after: agedDay))
        let agedRef = "\(run)-aged"
        let aged = [
            Published(
                lodged(
                    agedRef, branch: branch, channel: .letter, category: "mis_selling", at: agedReceived,
                    by: lobbyManager))
        ]
        let agedSent = ContinuousClock.now
        let agedSentAt = Timestamp.now()
        try await publish(aged, stack: stack)
        let climbed = try await TestKafka.read(
            Topics.complaintsEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(60)
        ) { records in
            let events = decode(records)
            guard let id = events.compactMap(opened).first(where: { $0.externalRef == agedRef })?.caseId else {
                return false
            }
            return events.contains {
                caseID(of: $0.payload) == id && step($0.payload) == "escalated → head_office_service"
            }
        }
        let toHeadOffice = ContinuousClock.now - agedSent
        let sinceStart = ContinuousClock.now - startedAt
        let climbedEvents = decode(climbed)
        let agedOpen = try #require(
            unique(climbedEvents).compactMap(opened).first { $0.externalRef == agedRef },
            "no case-opened for the aged complaint within 60 s")
        let agedID = agedOpen.caseId
        #expect(
            agedOpen.replyDueAt.millisecondsSinceEpoch == agedDue.millisecondsSinceEpoch,
            "aged case received \(agedReceived): reply due \(agedOpen.replyDueAt), expected \(agedDue)")
        #expect(agedOpen.ownerId == lobbyManager && agedOpen.level == .frontLine)
        let agedSteps = unique(climbedEvents).filter { caseID(of: $0.payload) == agedID }.compactMap(label)
        let ladder = [
            "opened", "escalated → centre_head", "breached", "escalated → subbranch_vip_group",
            "escalated → branch_vip_service", "escalated → head_office_service",
        ]
        #expect(
            agedSteps == ladder,
            "received \(agedDay) (10 working days ago), due \(agedDue): expected \(ladder), found \(agedSteps)")
        let escalations = unique(climbedEvents).compactMap { event -> CaseEscalated.V1? in
            guard case .caseEscalated(let data) = event.payload, data.caseId == agedID else { return nil }
            return data
        }
        let toCentreHead = escalations.first { $0.toLevel == .centreHead }
        #expect(toCentreHead?.fromLevel == .frontLine)
        #expect(toCentreHead?.ownerId == centreHead, "the centre head owns the case at their level")
        #expect(
            toCentreHead?.reason.contains("not acknowledged") == true,
            "to the centre head for want of an acknowledgement: \(toCentreHead?.reason ?? "-")")
        let steps = escalations.map { "\($0.fromLevel.rawValue)→\($0.toLevel.rawValue)" }
        #expect(
            escalations.map(\.fromLevel) == [.frontLine, .centreHead, .subbranchVIPGroup, .branchVIPService],
            "each step from the level below: \(steps)")
        let breach = unique(climbedEvents).compactMap { event -> CaseBreached.V1? in
            guard case .caseBreached(let data) = event.payload, data.caseId == agedID else { return nil }
            return data
        }.first
        #expect(breach?.replyDueAt.millisecondsSinceEpoch == agedDue.millisecondsSinceEpoch)
        #expect(breach?.by == centreHead, "breached in the hands of the centre head: \(breach?.by ?? "none")")
        #expect(breach?.level == .centreHead)
        let agedURL = "\(complaints)/cases/\(agedID)"
        let agedView = try #require(await caseDetail(agedURL), "GET /cases/\(agedID) did not answer 200")
        #expect(agedView.row.level == CaseLevel.headOfficeService.rawValue)
        #expect(agedView.row.ownerID == centreHead, "the teams above the centre head leave the owner in place")
        #expect(agedView.row.status == "open" && agedView.row.breached && agedView.row.overdue)
        #expect(agedView.actions.filter { $0 == "escalated" }.count == 4)
        #expect(agedView.actions.filter { $0 == "breached" }.count == 1)
        let lastAt = escalations.last?.at
        print(
            """
            complaints end to end: stack ready in \(startUp); \(expected.count) cases opened (and the on-the-spot one \
            resolved) on complaints.events \(toOpened) after publication; aged case (received \(agedDay), due \
            \(agedDue)) at head_office_service on complaints.events \(toHeadOffice) after its publication, \
            \(sinceStart) after start-up (the service stamped the last step \
            \(lastAt.map { "\(agedSentAt.duration(to: $0))" } ?? "?") after publication)
            """)

        // MARK: Restart: each level still once

        stack.kill("complaints")
        let down = ContinuousClock.now
        try stack.launch("complaints")
        try await stack.waitUntilReady("complaints")
        let restart = ContinuousClock.now - down
        try await Task.sleep(for: .seconds(2))
        let schema = stack.schema("complaints")
        let state = try await stack.withAdminClient { client in
            let published = try await TestHTTP.eventually(timeout: .seconds(20), interval: .milliseconds(100)) {
                () -> Int? in
                let unsent = try await CrashRecoveryTests.count(
                    "SELECT count(*) FROM \(schema).outbox WHERE sent_at IS NULL", client: client)
                guard unsent == 0 else { return nil }
                return try await CrashRecoveryTests.count(
                    "SELECT count(*) FROM \(schema).outbox WHERE topic = '\(Topics.complaintsEvents)'", client: client)
            }
            let levels = try await CrashRecoveryTests.count(
                "SELECT count(*) FROM \(schema).case_escalations WHERE case_id = '\(agedID)'", client: client)
            let outboxed = try await CrashRecoveryTests.count(
                """
                SELECT count(*) FROM \(schema).outbox
                WHERE event_type IN ('\(CaseEscalated.V1.eventType)', '\(CaseBreached.V1.eventType)')
                    AND convert_from(payload, 'UTF8')::jsonb #>> '{data,caseId}' = '\(agedID)'
                """, client: client)
            return (published, levels, outboxed)
        }
        let (publishedCount, escalationRows, outboxRows) = state
        let published = try #require(publishedCount, "complaints' outbox was not drained within 20 s of the restart")
        #expect(escalationRows == 4, "four steps of the ladder recorded for the aged case")
        #expect(outboxRows == 5, "four case-escalated and one case-breached in the outbox for the aged case")
        let afterRestart = try await TestKafka.read(
            Topics.complaintsEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
        ) { Set(decode($0).map(\.id)).count >= published }
        let distinct = Set(decode(afterRestart).map(\.id)).count
        #expect(distinct >= published, "read \(distinct) of the \(published) events published")
        let agedAfter = decode(afterRestart).filter { caseID(of: $0.payload) == agedID }
        let byStep = Dictionary(grouping: agedAfter, by: { step($0.payload) ?? "?" })
            .mapValues { Set($0.map(\.id)).count }
        for level in ladder.dropFirst() {
            #expect(byStep[level] == 1, "after the restart: \(level) \(byStep[level] ?? 0) times, expected once")
        }
        #expect(
            Set(byStep.keys) == Set(ladder),
            "nothing else for the aged case: \(byStep.sorted { $0.key < $1.key })")
        let restarted = try #require(await caseDetail(agedURL))
        #expect(restarted.row.level == CaseLevel.headOfficeService.rawValue)
        #expect(restarted.actions.filter { $0 == "escalated" }.count == 4)
        #expect(restarted.actions.filter { $0 == "breached" }.count == 1)
        print(
            """
            complaints restart: SIGKILL to ready \(restart); after 2 s of timer rounds the aged case has \
            \(byStep.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")) \
            (\(agedAfter.count - Set(agedAfter.map(\.id)).count) redelivered copies of one event id)
            """)

        // MARK: Staff actions over HTTP (F-02, F-03, F-07)

        let bookID = try #require(caseIDs[bookRef])
        let caseURL = "\(complaints)/cases/\(bookID)"
        // The case's owner acts with their own token (H-09); actions are taken in the caller's name.
        let ownerToken = TestHTTP.token(lobbyManager, role: .manager, branch: branch)
        let acknowledged = try #require(
            await TestHTTP.post("\(caseURL)/acknowledge", json: ["by": lobbyManager, "text": "called the customer"], token: ownerToken))
        #expect(acknowledged.status == 200)
        #expect(summary(of: acknowledged)?["status"] as? String == "acknowledged")
        let early = try #require(
            await TestHTTP.post("\(caseURL)/resolve", json: ["text": "apologised"], token: ownerToken))
        #expect(early.status == 409, "no resolution before the customer had a reply (F-02)")
        let conflict = try #require(try early.json() as? [String: Any], "409 without a JSON body")
        #expect(conflict["error"] as? String == "conflict")
        #expect((conflict["detail"] as? String)?.isEmpty == false)
        let replied = try #require(
            await TestHTTP.post(
                "\(caseURL)/reply", json: ["text": "the teller has been coached; we apologise"], token: ownerToken))
        #expect(replied.status == 200)
        #expect(summary(of: replied)?["status"] as? String == "replied")
        let resolved = try #require(
            await TestHTTP.post("\(caseURL)/resolve", json: ["by": lobbyManager, "text": "the customer is satisfied"], token: ownerToken))
        #expect(resolved.status == 200)
        #expect(summary(of: resolved)?["status"] as? String == "resolved")
        // Someone else's case, or someone else's name: refused.
        let otherManager = TestHTTP.token("WM-OTHER", role: .manager, branch: branch)
        let notTheirs = try #require(
            await TestHTTP.post("\(caseURL)/reopen", json: ["text": "not mine"], token: otherManager))
        #expect(notTheirs.status == 403)
        let impersonated = try #require(
            await TestHTTP.post("\(caseURL)/reopen", json: ["by": "WM-OTHER", "text": "as someone else"], token: ownerToken))
        #expect(impersonated.status == 403)
        let refusal = try #require(try impersonated.json() as? [String: Any], "403 without a JSON body")
        #expect(refusal["error"] as? String == "forbidden")
        let missing = try #require(await TestHTTP.post("\(caseURL)/reopen", json: [String: Any](), token: ownerToken))
        #expect(missing.status == 422)
        #expect((try missing.json() as? [String: Any])?["fields"] as? [String] == ["text"])

        let acted = try await TestKafka.read(
            Topics.complaintsEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
        ) { records in
            decode(records).contains { caseID(of: $0.payload) == bookID && step($0.payload) == "resolved" }
        }
        let bookEvents = unique(decode(acted)).filter { caseID(of: $0.payload) == bookID }
        #expect(
            bookEvents.compactMap(label) == ["opened", "acknowledged", "replied", "resolved"],
            "one event per action, the refused resolution none")
        for event in bookEvents {
            switch event.payload {
            case .caseAcknowledged(let data):
                #expect(data.by == lobbyManager)
            case .caseReplied(let data):
                #expect(data.by == lobbyManager && data.onTime)
                #expect(data.replyDueAt.millisecondsSinceEpoch == replyDue.millisecondsSinceEpoch)
            case .caseResolved(let data):
                #expect(data.by == lobbyManager && data.onTime == true)
                #expect(data.resolution == "the customer is satisfied")
            default:
                break
            }
        }
        let bookView = try #require(await caseDetail(caseURL))
        #expect(bookView.row.status == "resolved")
        #expect(bookView.actions == ["opened", "assigned", "acknowledge", "reply", "resolve"], "\(bookView.actions)")

        // MARK: The daily report (C-10, F-07)

        let reportResponse = try #require(
            await TestHTTP.get("\(complaints)/reports/daily?branchId=\(branch)&date=\(today)"))
        #expect(reportResponse.status == 200)
        let report = try #require(try reportResponse.json() as? [String: Any])
        #expect(report["total"] as? Int == expected.count, "today's cases at the branch; the aged one is not today's")
        let channels = Dictionary(expected.values.map { ($0.channel, 1) }, uniquingKeysWith: +)
        #expect(report["byChannel"] as? [String: Int] == channels)
        #expect(report["resolvedOnSpot"] as? Int == 1)
        #expect(report["byStatus"] as? [String: Int] == ["open": 4, "resolved": 2])
        #expect(report["escalated"] as? Int == 0 && report["breached"] as? Int == 0)
        let firstLine = report["firstLine"] as? [String: Any]
        #expect(firstLine?["cases"] as? Int == 2 && firstLine?["resolvedAtFrontLine"] as? Int == 0)
    }

    // MARK: - Aged complaints arriving while the timers run

    static let burstSize = 60

    @Test(
        "F-04 aged complaints consumed while the ladder's timer rounds run each climb every level in order, once, the centre head owning them"
    )
    func agedComplaintsDuringTimerRounds() async throws {
        let stack = try await ConciergeStack.start(
            services: ["complaints"], environment: ["complaints": ["COMPLAINTS_TIMER_INTERVAL_MS": "200"]])
        do {
            try await Self.agedBurst(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    /// The same aged complaint as in the first test, `burstSize` times, one every 40 ms (about 12 timer rounds):
    /// however a complaint's case commits relative to a round, its ladder is the whole ladder.
    static func agedBurst(_ stack: ConciergeStack) async throws {
        let run = stack.runID
        let branch = "L\(run.prefix(6))"
        let lobbyManager = "LM\(run)"
        let centreHead = "CH\(run)"
        let now = calendar.now()
        let dayAgo = now.adding(milliseconds: -86_400_000)
        let roster = [
            staff(lobbyManager, branch: branch, role: .lobbyManager, since: dayAgo),
            staff(centreHead, branch: branch, role: .centreHead, since: dayAgo),
        ]
        try await publish(roster, stack: stack)
        try await waitConsumed(roster, stack: stack)

        let agedDay = workingDays(10, before: calendar.businessDate(of: now))
        let received = calendar.startOfDay(agedDay).adding(milliseconds: 10 * 3_600_000)
        let complaints = (0..<burstSize).map { index in
            // One category each: no hotspot.
            Published(
                lodged(
                    "\(run)-aged-\(index)", branch: branch, channel: .letter, category: "aged_\(index)", at: received,
                    by: lobbyManager))
        }
        let records = complaints.map(\.record)
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for record in records {
                _ = try await producer.send(record)
                try await Task.sleep(for: .milliseconds(40))
            }
        }
        try await waitConsumed(complaints, stack: stack)

        let ladder = [
            "opened", "escalated → centre_head", "breached", "escalated → subbranch_vip_group",
            "escalated → branch_vip_service", "escalated → head_office_service",
        ]
        let read = try await TestKafka.read(
            Topics.complaintsEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(60)
        ) { records in
            let steps = ladders(decode(records), branch: branch)
            return steps.count == burstSize
                && steps.values.allSatisfy {
                    $0.contains("breached") && $0.contains("escalated → head_office_service")
                }
        }
        let steps = ladders(decode(read), branch: branch)
        #expect(steps.count == burstSize, "a case for each aged complaint on complaints.events")
        let wrong = steps.filter { $0.value != ladder }
        let patterns = Dictionary(wrong.values.map { ($0.dropFirst().joined(separator: ", "), 1) }, uniquingKeysWith: +)
        // One case of each wrong pattern in detail: the breach's level and owner, each step's reason.
        let examples = Dictionary(wrong.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first }).values
            .map { id in "\(id): " + details(decode(read), caseID: id).joined(separator: "; ") }
        #expect(
            wrong.count == 0,
            """
            \(wrong.count) of \(steps.count) aged cases did not climb the ladder in order (F-04): \
            \(patterns.sorted { $0.value > $1.value }.map { "\($0.value)× [\($0.key)]" }.joined(separator: "; ")); \
            for example \(examples.joined(separator: " | "))
            """)
        let listed = try #require(await cases("\(stack.url("complaints"))/cases?branchId=\(branch)"))
        let notCentreHead = listed.filter { $0.ownerID != centreHead }
        #expect(
            notCentreHead.count == 0,
            """
            \(notCentreHead.count) cases at \(Set(listed.map(\.level)).sorted()) never passed to the centre head: \
            \(notCentreHead.prefix(3).map { "\($0.caseID) owner \($0.ownerID ?? "none")" })
            """)
        let schema = stack.schema("complaints")
        let unannounced = try await stack.withAdminClient { client in
            // A step recorded in case_escalations without its case-escalated: levels the case never reached.
            try await CrashRecoveryTests.count(
                """
                SELECT count(*) FROM \(schema).case_escalations e
                WHERE NOT EXISTS (
                    SELECT 1 FROM \(schema).outbox o
                    WHERE o.event_type = '\(CaseEscalated.V1.eventType)'
                        AND convert_from(o.payload, 'UTF8')::jsonb #>> '{data,caseId}' = e.case_id::text
                        AND convert_from(o.payload, 'UTF8')::jsonb #>> '{data,toLevel}' = e.level)
                """, client: client)
        }
        #expect(unannounced == 0, "\(unannounced) steps recorded in case_escalations that no case-escalated announced")
        let summary = patterns.map { "\($0.value)× [\($0.key)]" }.joined(separator: "; ")
        print(
            """
            complaints aged burst: \(burstSize) aged complaints, one every 40 ms: \(steps.count - wrong.count) climbed \
            the whole ladder, \(wrong.count) did not (\(summary)); \
            \(unannounced) unannounced steps in case_escalations
            """)
    }

    /// What a case's events say, in order, with the breach's level and owner and each escalation's reason.
    static func details(_ events: [IncomingEvent], caseID id: String) -> [String] {
        unique(events).compactMap { event in
            switch event.payload {
            case .caseBreached(let data) where data.caseId == id:
                "breached at \(data.level?.rawValue ?? "-") owned by \(data.by ?? "-")"
            case .caseEscalated(let data) where data.caseId == id:
                "\(data.fromLevel.rawValue) → \(data.toLevel.rawValue) (\(data.reason))"
            default:
                nil
            }
        }
    }

    /// Each case of `branch` with what its events say happened, in order.
    static func ladders(_ events: [IncomingEvent], branch: String) -> [String: [String]] {
        let events = unique(events)
        let ours = Set(events.compactMap(opened).filter { $0.branchId == branch }.map(\.caseId))
        var steps: [String: [String]] = [:]
        for event in events {
            guard let id = caseID(of: event.payload), ours.contains(id), let step = label(event) else { continue }
            steps[id, default: []].append(step)
        }
        return steps
    }

    // MARK: - Helpers

    struct ExpectedCase {
        var source: String
        var owner: String
        var informed: String?
        var status: String
        var channel: String
    }

    /// An event to publish, with its id (to find it in the service's inbox).
    struct Published: Sendable {
        var id: String
        var record: KafkaOutgoingRecord

        init<Data: EventData>(_ data: Data) {
            id = UUID().uuidString.lowercased()
            record = TestEvents.record(data, id: id)
        }
    }

    static func publish(_ events: [Published], stack: ConciergeStack) async throws {
        let records = events.map(\.record)
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(records) { _ = try result.get() }
        }
    }

    /// Waits until complaints has consumed every one of `events` (its inbox holds their ids), and none was
    /// dead-lettered.
    static func waitConsumed(_ events: [Published], stack: ConciergeStack, timeout: Duration = .seconds(30))
        async throws
    {
        let schema = stack.schema("complaints")
        let ids = events.map(\.id)
        let outcomes = try await stack.withAdminClient { client in
            try await TestHTTP.eventually(timeout: timeout, interval: .milliseconds(100)) { () -> [String: String]? in
                var found: [String: String] = [:]
                let rows = try await client.query(
                    "SELECT event_id, outcome FROM \(unescaped: schema).inbox WHERE event_id = ANY(\(ids))")
                for try await (id, outcome) in rows.decode((String, String).self) { found[id] = outcome }
                return found.count == ids.count ? found : nil
            }
        }
        let consumed = try #require(outcomes, "complaints did not consume \(ids.count) events within \(timeout)")
        let refused = consumed.filter { $0.value != "processed" }
        #expect(refused.isEmpty, "dead-lettered: \(refused.keys.sorted())")
    }

    static func staff(_ staffID: String, branch: String, role: StaffRole, since: Timestamp) -> Published {
        Published(StaffUpdated.V1(staffId: staffID, branchId: branch, role: role, status: .active, effectiveAt: since))
    }

    static func lodged(
        _ complaintID: String, branch: String, channel: ComplaintChannel, category: String, at receivedAt: Timestamp,
        by recorder: String, resolution: String? = nil
    ) -> ComplaintLodged.V1 {
        ComplaintLodged.V1(
            complaintId: complaintID, branchId: branch, channel: channel, category: category,
            summary: "complaint \(complaintID) about \(category)", customerNeed: "an answer", receivedAt: receivedAt,
            recordedBy: recorder, resolvedOnSpot: resolution != nil, resolution: resolution)
    }

    /// The working day `count` working days before `date`: the latest working day whose `count`-th working day after
    /// it is no later than `date`.
    static func workingDays(_ count: Int, before date: BusinessDate) -> BusinessDate {
        var day = date.adding(days: -1)
        while !(calendar.isWorkingDay(day) && calendar.workingDay(count, after: day) <= date) {
            day = day.adding(days: -1)
        }
        return day
    }

    static func decode(_ records: [KafkaRecord]) -> [IncomingEvent] {
        records.compactMap { try? EventCatalog.decode($0.value) }
    }

    /// Each event id once (a record redelivered after a crash is the same event), in order of first appearance.
    static func unique(_ events: [IncomingEvent]) -> [IncomingEvent] {
        var seen: Set<String> = []
        return events.filter { seen.insert($0.id).inserted }
    }

    static func opened(_ event: IncomingEvent) -> CaseOpened.V1? {
        guard case .caseOpened(let data) = event.payload else { return nil }
        return data
    }

    static func caseID(of payload: EventPayload) -> String? {
        switch payload {
        case .caseOpened(let data): data.caseId
        case .caseAcknowledged(let data): data.caseId
        case .caseEscalated(let data): data.caseId
        case .caseResolved(let data): data.caseId
        case .caseReopened(let data): data.caseId
        case .caseBreached(let data): data.caseId
        case .caseReplied(let data): data.caseId
        case .caseDueSoon(let data): data.caseId
        default: nil
        }
    }

    /// What a case event says happened, e.g. `escalated → centre_head`.
    static func step(_ payload: EventPayload) -> String? {
        switch payload {
        case .caseOpened: "opened"
        case .caseAcknowledged: "acknowledged"
        case .caseEscalated(let data): "escalated → \(data.toLevel.rawValue)"
        case .caseResolved: "resolved"
        case .caseReopened: "reopened"
        case .caseBreached: "breached"
        case .caseReplied: "replied"
        case .caseDueSoon: "due soon"
        default: nil
        }
    }

    static func label(_ event: IncomingEvent) -> String? { step(event.payload) }

    /// A case as `GET /cases` lists it.
    struct CaseRow: Sendable {
        var caseID: String
        var externalRef: String
        var source: String
        var status: String
        var level: String
        var ownerID: String?
        var informedID: String?
        var replyDueAt: Timestamp
        var overdue: Bool
        var breached: Bool

        init?(_ json: [String: Any]) {
            guard let caseID = json["caseId"] as? String, let externalRef = json["externalRef"] as? String,
                let source = json["source"] as? String, let status = json["status"] as? String,
                let level = json["level"] as? String, let due = json["replyDueAt"] as? String,
                let replyDueAt = try? Timestamp(rfc3339: due)
            else { return nil }
            self.caseID = caseID
            self.externalRef = externalRef
            self.source = source
            self.status = status
            self.level = level
            self.ownerID = json["ownerId"] as? String
            self.informedID = json["informedId"] as? String
            self.replyDueAt = replyDueAt
            self.overdue = json["overdue"] as? Bool ?? false
            self.breached = json["breached"] as? Bool ?? false
        }
    }

    struct CaseView: Sendable {
        var row: CaseRow
        /// The timeline's actions, in order.
        var actions: [String]
    }

    static func cases(_ url: String) async -> [CaseRow]? {
        guard let response = await TestHTTP.get(url), response.status == 200,
            let body = try? response.json() as? [String: Any], let cases = body["cases"] as? [[String: Any]]
        else { return nil }
        return cases.compactMap(CaseRow.init)
    }

    /// The case's summary fields in a `GET /cases/{id}` or action answer.
    static func summary(of response: TestHTTP.Response) -> [String: Any]? {
        guard let body = try? response.json() as? [String: Any] else { return nil }
        return body["summary"] as? [String: Any] ?? body
    }

    static func caseDetail(_ url: String) async -> CaseView? {
        guard let response = await TestHTTP.get(url), response.status == 200,
            let body = try? response.json() as? [String: Any], let fields = summary(of: response),
            let row = CaseRow(fields), let timeline = body["timeline"] as? [[String: Any]]
        else { return nil }
        return CaseView(row: row, actions: timeline.compactMap { $0["action"] as? String })
    }
}
