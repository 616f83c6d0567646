import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Complaints

/// The complaints service's full case lifecycle against a real schema: reply deadlines over weekends and holidays
/// (F-02), one case per complaint or escalation (F-01), owners (F-03, F-04), answers on the spot (F-02), the staff
/// actions (F-02, F-07), the escalation ladder on durable timers, also with two instances (F-04), the pre-breach
/// warning (F-02), hotspots (A-13), the daily report (C-10, G-07, F-07) and the case list's filters.
///
/// Timers run at chosen instants (`runTimers(at:)`); the staff actions (`perform`) happen at the wall-clock time, so
/// the cases they act on are received shortly before now or long ago, and deadlines that depend on "now" are read
/// from the events rather than written out.
@Suite("Complaints lifecycle", .serialized, .timeLimit(.minutes(3)))
struct ComplaintsLifecycleTests {
    typealias Harness = ServiceHarness<ComplaintsService>
    typealias Round = ComplaintsService.TimerRound

    /// The statuses the service answers with (spelled through `APIError`, whose HTTP module this file does not import).
    private static let unprocessable = APIError.unprocessable("", error: "").status
    private static let conflict = APIError.conflict("").status
    private static let notFound = APIError.notFound("").status

    static let minute: Int64 = 60_000
    static let shanghai = Timestamp.shanghaiUTCOffsetSeconds

    // MARK: - Events

    func complaint(
        _ complaintID: String, at receivedAt: Timestamp, branch: String = "SH001", customer: String? = "C001",
        channel: ComplaintChannel = .lobby, category: String = "waiting_time",
        summary: String = "Waited 40 minutes for the VIP room", onSpot: Bool = false, resolution: String? = nil,
        recordedBy: String = "LM1"
    ) -> ComplaintLodged.V1 {
        ComplaintLodged.V1(
            complaintId: complaintID, branchId: branch, customerId: customer, visitId: nil, channel: channel,
            category: category, summary: summary, customerNeed: "An apology and a faster service next time",
            receivedAt: receivedAt, recordedBy: recordedBy, resolvedOnSpot: onSpot, resolution: resolution)
    }

    func escalation(
        _ caseRef: String, at receivedAt: Timestamp, customer: String? = nil, branch: String? = "SH001",
        category: String = "fees", severity: Severity = .normal, summary: String = "Charged a fee twice",
        firstLineAttempted: Bool = true
    ) -> EscalationRaised.V1 {
        EscalationRaised.V1(
            caseRef: caseRef, customerId: customer, branchId: branch, category: category, severity: severity,
            summary: summary, customerNeed: "A refund", receivedAt: receivedAt, agentId: "AG-17",
            firstLineAttempted: firstLineAttempted)
    }

    func staff(
        _ staffID: String, _ role: StaffRole, branch: String = "SH001", status: StaffStatus = .active,
        effectiveAt: String = "2026-10-01T09:00:00.000+08:00"
    ) throws -> StaffUpdated.V1 {
        StaffUpdated.V1(
            staffId: staffID, branchId: branch, role: role, status: status, effectiveAt: try ts(effectiveAt))
    }

    /// SH001: lobby managers LM0 (on leave), LM1, LM2 and centre head CH1; SH002: lobby manager LM21 and centre
    /// head CH2.
    func roster(_ harness: Harness) async throws {
        for member in [
            try staff("LM2", .lobbyManager), try staff("LM0", .lobbyManager, status: .onLeave),
            try staff("LM1", .lobbyManager), try staff("CH1", .centreHead), try staff("WM1", .wealthManager),
            try staff("LM21", .lobbyManager, branch: "SH002"), try staff("CH2", .centreHead, branch: "SH002"),
        ] {
            #expect(try await harness.deliver(member).isEmpty)
        }
    }

    func assigned(_ customerID: String, to managerID: String, at: Timestamp, branch: String = "SH001")
        -> ManagerAssigned.V1
    {
        ManagerAssigned.V1(
            customerId: customerID, managerId: managerID, branchId: branch, tier: .a, serviceTeam: [managerID],
            reason: .new, at: at)
    }

    func handover(_ customerID: String, from: String, to: String, at: Timestamp) -> HandoverStarted.V1 {
        HandoverStarted.V1(
            handoverId: UUID().uuidString.lowercased(), customerId: customerID, fromManagerId: from, toManagerId: to,
            reason: "transferred", effectiveAt: at, firstContactDueAt: at.adding(milliseconds: 3 * 86_400_000), at: at)
    }

    // MARK: - Reading

    func opened(_ out: [IncomingEvent]) throws -> CaseOpened.V1 {
        try #require(out.payloads(CaseOpened.V1.self).count == 1)
        return try #require(out.payloads(CaseOpened.V1.self).first)
    }

    func uuid(_ opened: CaseOpened.V1) throws -> UUID {
        try #require(UUID(uuidString: opened.caseId))
    }

    func detail(_ harness: Harness, _ opened: CaseOpened.V1) async throws -> ComplaintsService.CaseDetail {
        let id = try uuid(opened)
        let found = try await harness.service.caseDetail(id)
        return try #require(found)
    }

    /// Delivers a complaint or escalation and returns its `case-opened`.
    func open<Data: EventData>(_ harness: Harness, _ data: Data) async throws -> CaseOpened.V1 {
        try opened(try await harness.deliver(data))
    }

    /// What was emitted after the first `count` outbox events.
    func emitted(_ harness: Harness, after count: Int) async throws -> [IncomingEvent] {
        Array(try await harness.allEmitted().dropFirst(count))
    }

    func act(
        _ harness: Harness, _ action: ComplaintsService.Action, _ opened: CaseOpened.V1, by: String? = "LM1",
        text: String? = nil
    ) async throws -> ComplaintsService.CaseDetail {
        try await harness.service.perform(
            action, caseID: try uuid(opened), request: .init(by: by, text: text), caller: staff(by ?? "LM1"))
    }

    /// The token holder acting: the staff member named (own-scope role).
    func staff(_ staffID: String) -> Principal {
        Principal(staffID: staffID, role: .manager, branchID: "B1")
    }

    /// The `APIError` an action is refused with, `nil` when it succeeds.
    func refusal(
        _ harness: Harness, _ action: ComplaintsService.Action, _ caseID: UUID, by: String?, text: String?
    ) async throws -> APIError? {
        do {
            _ = try await harness.service.perform(
                action, caseID: caseID, request: .init(by: by, text: text), caller: staff("LM1"))
            return nil
        } catch let error as APIError {
            return error
        }
    }

    /// `start + share × (end − start)`, in +08:00.
    func share(_ numerator: Int64, _ denominator: Int64, from start: Timestamp, to end: Timestamp) -> Timestamp {
        let span = end.millisecondsSinceEpoch - start.millisecondsSinceEpoch
        return Timestamp(
            millisecondsSinceEpoch: start.millisecondsSinceEpoch + span * numerator / denominator,
            utcOffsetSeconds: Self.shanghai)
    }

    func plus(_ timestamp: Timestamp, minutes: Int64) -> Timestamp {
        Timestamp(
            millisecondsSinceEpoch: timestamp.millisecondsSinceEpoch + minutes * Self.minute,
            utcOffsetSeconds: Self.shanghai)
    }

    // MARK: - 1. Deadlines (pure)

    @Test(
        "F-02 the reply deadline for a complaint received on each weekday, and across a holiday week with a make-up Saturday"
    )
    func replyDeadlines() throws {
        // An ordinary week in Shanghai, no holidays: the end of the 3rd working day after the day of receipt.
        let week: [(received: String, due: String)] = [
            ("2026-11-16", "2026-11-19"),  // Monday → Thursday
            ("2026-11-17", "2026-11-20"),  // Tuesday → Friday
            ("2026-11-18", "2026-11-23"),  // Wednesday → Monday
            ("2026-11-19", "2026-11-24"),  // Thursday → Tuesday
            ("2026-11-20", "2026-11-25"),  // Friday → Wednesday
            ("2026-11-21", "2026-11-25"),  // Saturday → Wednesday (Mon, Tue, Wed)
            ("2026-11-22", "2026-11-25"),  // Sunday → Wednesday
        ]
        for (received, due) in week {
            let at = try ts("\(received)T10:00:00.000+08:00")
            let deadline = ComplaintsService.replyDue(receivedAt: at, workingDays: 3, calendar: shanghaiCalendar)
            #expect(deadline == (try ts("\(due)T23:59:59.999+08:00")), "received \(received)")
            #expect(deadline.rfc3339 == "\(due)T23:59:59.999+08:00", "received \(received)")
        }
        // 23:30 UTC on Thursday is already Friday in Shanghai: the day of receipt is Friday.
        #expect(
            ComplaintsService.replyDue(
                receivedAt: try ts("2026-11-19T23:30:00.000Z"), workingDays: 3, calendar: shanghaiCalendar)
                == (try ts("2026-11-25T23:59:59.999+08:00")))

        // The 2026 National Day holidays: 1–7 October off; Sunday 20 September and Saturday 10 October worked.
        var holidays: Set<BusinessDate> = []
        for dayOfMonth in 1...7 { holidays.insert(try day("2026-10-0\(dayOfMonth)")) }
        let calendar = BusinessCalendar(
            timeZone: TimeZone(identifier: "Asia/Shanghai")!, holidays: holidays,
            workdays: [try day("2026-09-20"), try day("2026-10-10")])
        let holidayCases: [(received: String, workingDays: Int, due: String)] = [
            // Wednesday 30 September: 1–7 October are holidays, so 8 Oct (Thu) is the 1st working day, 9 Oct (Fri)
            // the 2nd and the make-up Saturday 10 Oct the 3rd → end of Saturday 10 October (not 9 October).
            ("2026-09-30", 3, "2026-10-10"),
            // Tuesday 29 September: 30 Sep (1st), 8 Oct (2nd), 9 Oct (3rd).
            ("2026-09-29", 3, "2026-10-09"),
            // Received on a holiday (Thursday 1 October): 8, 9, 10 October.
            ("2026-10-01", 3, "2026-10-10"),
            // Received on the make-up Saturday 10 October: Sunday 11 is a plain weekend day; 12 (1st), 13 (2nd),
            // 14 (3rd) → end of Wednesday 14 October.
            ("2026-10-10", 3, "2026-10-14"),
            // Saturday 19 September: the make-up Sunday 20 is the 1st working day, then 21 (2nd), 22 (3rd).
            ("2026-09-19", 3, "2026-09-22"),
            // Ten working days from Friday 25 September: 28, 29, 30 Sep, 8, 9, 10 (Sat), 12, 13, 14, 15 Oct.
            ("2026-09-25", 10, "2026-10-15"),
            // Ten from Friday 11 September (a plain week is skipped whole): 14–18, 20 (Sun), 21, 22, 23, 24 Sep.
            ("2026-09-11", 10, "2026-09-24"),
        ]
        for (received, workingDays, due) in holidayCases {
            let deadline = ComplaintsService.replyDue(
                receivedAt: try ts("\(received)T10:00:00.000+08:00"), workingDays: workingDays, calendar: calendar)
            #expect(deadline == (try ts("\(due)T23:59:59.999+08:00")), "received \(received), \(workingDays) days")
        }
    }

    // MARK: - 2. One case per complaint

    @Test("F-01 duplicates from both channels never open a second case")
    func duplicates() async throws {
        try await Harness.run { harness in
            let receivedAt = try ts("2026-11-02T10:00:00.000+08:00")
            let first = try await open(harness, complaint("K-DUP", at: receivedAt))
            // The same complaintId again: a new event id, a changed summary, even "resolved on the spot".
            #expect(try await harness.deliver(complaint("K-DUP", at: receivedAt), id: "lodged-2").isEmpty)
            #expect(
                try await harness.deliver(
                    complaint(
                        "K-DUP", at: try ts("2026-11-03T10:00:00.000+08:00"), summary: "Waited an hour, actually",
                        onSpot: true, resolution: "Apologised"),
                    id: "lodged-3"
                ).isEmpty)
            let kept = try await detail(harness, first)
            #expect(kept.problem == "Waited 40 minutes for the VIP room")
            #expect(kept.summary.status == "open")
            #expect(kept.timeline.map(\.action) == ["opened"])

            // The same caseRef twice from the call centre, the second raised to critical: still one case, and no
            // escalation from the copy.
            let callCentre = try await open(harness, escalation("REF-9", at: receivedAt))
            #expect(callCentre.source == .callCentre)
            #expect(
                try await harness.deliver(escalation("REF-9", at: receivedAt, severity: .critical), id: "esc-2")
                    .isEmpty)
            let callCentreDetail = try await detail(harness, callCentre)
            #expect(callCentreDetail.summary.severity == "normal")
            #expect(callCentreDetail.summary.level == "front_line")

            // A branch complaint carrying the same reference string is another source: a second, separate case.
            let branch = try await open(harness, complaint("REF-9", at: receivedAt))
            #expect(branch.source == .branch)
            #expect(branch.caseId != callCentre.caseId)
            #expect(try await harness.deliver(complaint("REF-9", at: receivedAt), id: "lodged-ref-9b").isEmpty)

            #expect(try await scalar(harness.client, "SELECT count(*) FROM cases") == 3)
            #expect(
                try await scalar(harness.client, "SELECT count(*) FROM cases WHERE external_ref = 'REF-9'") == 2)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM case_timeline") == 3)
            #expect(try await harness.allEmitted().types == Array(repeating: CaseOpened.V1.eventType, count: 3))
        }
    }

    // MARK: - 3. Owners

    @Test(
        "F-03 F-04 owners: a branch complaint belongs to the lobby manager with the centre head informed; a call-centre case for a known customer belongs to their exclusive manager (from manager-assigned, then handover-started), else to the centre head of the branch"
    )
    func owners() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            let receivedAt = try ts("2026-11-02T10:00:00.000+08:00")

            // F-03: the first active lobby manager by staff id (LM0 is on leave), the centre head informed.
            let branch = try await open(harness, complaint("K-OWN", at: receivedAt))
            #expect(branch.ownerId == "LM1")
            #expect(branch.level == .frontLine)
            let branchDetail = try await detail(harness, branch)
            #expect(branchDetail.summary.ownerId == "LM1")
            #expect(branchDetail.summary.informedId == "CH1")
            #expect(branchDetail.timeline.map(\.action) == ["opened", "assigned"])
            #expect(branchDetail.timeline.first?.actor == "LM1")
            #expect(branchDetail.timeline.last?.note == "owner LM1; informed: CH1")
            // The other branch has its own people.
            let other = try await open(harness, complaint("K-OWN-2", at: receivedAt, branch: "SH002"))
            #expect(other.ownerId == "LM21")
            #expect(try await detail(harness, other).summary.informedId == "CH2")

            // F-04: a call-centre case for a customer assignment gave a manager → that manager.
            #expect(
                try await harness.deliver(assigned("C-K", to: "WM1", at: try ts("2026-10-20T09:00:00.000+08:00")))
                    .isEmpty)
            let known = try await open(harness, escalation("CC-1", at: receivedAt, customer: "C-K"))
            #expect(known.ownerId == "WM1")
            let knownDetail = try await detail(harness, known)
            #expect(knownDetail.summary.ownerId == "WM1")
            #expect(knownDetail.summary.informedId == "CH1")
            #expect(knownDetail.timeline.map(\.action) == ["opened", "assigned"])

            // A handover moves the customer to WM2; an older manager-assigned arriving late changes nothing.
            try await harness.deliver(handover("C-K", from: "WM1", to: "WM2", at: try ts("2026-10-25T09:00:00.000+08:00")))
            try await harness.deliver(assigned("C-K", to: "WM9", at: try ts("2026-10-21T09:00:00.000+08:00")))
            let handedOver = try await open(harness, escalation("CC-2", at: receivedAt, customer: "C-K"))
            #expect(handedOver.ownerId == "WM2")
            // An older handover arriving late changes nothing either.
            try await harness.deliver(handover("C-K", from: "WM1", to: "WM8", at: try ts("2026-10-22T09:00:00.000+08:00")))
            #expect(try await open(harness, escalation("CC-3", at: receivedAt, customer: "C-K")).ownerId == "WM2")

            // An unknown customer → the centre head of the escalation's branch, nobody else informed.
            let unknown = try await open(harness, escalation("CC-4", at: receivedAt, customer: "C-NEW"))
            #expect(unknown.ownerId == "CH1")
            let unknownDetail = try await detail(harness, unknown)
            #expect(unknownDetail.summary.ownerId == "CH1")
            #expect(unknownDetail.summary.informedId == nil)
            #expect(unknownDetail.timeline.map(\.action) == ["opened", "assigned"])
            #expect(try await open(harness, escalation("CC-5", at: receivedAt, branch: "SH002")).ownerId == "CH2")

            // Nobody to give it to: no owner, no "assigned" on the timeline.
            let nowhere = try await open(harness, escalation("CC-6", at: receivedAt, customer: nil, branch: nil))
            #expect(nowhere.ownerId == nil)
            #expect(try await detail(harness, nowhere).timeline.map(\.action) == ["opened"])
            let emptyBranch = try await open(harness, complaint("K-OWN-3", at: receivedAt, branch: "SH404"))
            #expect(emptyBranch.ownerId == nil)
            let emptyDetail = try await detail(harness, emptyBranch)
            #expect(emptyDetail.summary.informedId == nil)
            #expect(emptyDetail.timeline.map(\.action) == ["opened"])

            // The directory changes: LM1 leaves → the next complaint goes to LM2.
            try await harness.deliver(
                try staff("LM1", .lobbyManager, status: .left, effectiveAt: "2026-11-01T09:00:00.000+08:00"))
            #expect(try await open(harness, complaint("K-OWN-4", at: receivedAt)).ownerId == "LM2")
            // An older directory record arriving late does not bring LM1 back.
            try await harness.deliver(try staff("LM1", .lobbyManager, effectiveAt: "2026-10-15T09:00:00.000+08:00"))
            #expect(try await open(harness, complaint("K-OWN-5", at: receivedAt)).ownerId == "LM2")
            // Existing cases keep their owner.
            #expect(try await detail(harness, branch).summary.ownerId == "LM1")
        }
    }

    // MARK: - 4. On the spot

    @Test("F-02 an on-the-spot answer opens and resolves the case at once and still counts in the daily report")
    func onTheSpot() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            let receivedAt = try ts("2026-11-02T14:00:00.000+08:00")
            let out = try await harness.deliver(
                complaint("K-SPOT", at: receivedAt, channel: .counter, onSpot: true, resolution: "Explained the fee"))
            #expect(out.types == [CaseOpened.V1.eventType, CaseResolved.V1.eventType])
            let case_ = try opened(out)
            #expect(case_.resolvedOnSpot)
            #expect(case_.ownerId == "LM1")
            let resolved = try #require(out.payloads(CaseResolved.V1.self).first)
            #expect(resolved.caseId == case_.caseId)
            #expect(resolved.onTime == true)
            #expect(resolved.by == "LM1")
            #expect(resolved.resolution == "Explained the fee")
            #expect(resolved.at == receivedAt)

            let spot = try await detail(harness, case_)
            #expect(spot.summary.status == "resolved")
            #expect(spot.resolvedOnSpot)
            #expect(spot.resolvedAt?.isSameInstant(as: receivedAt) == true)
            #expect(spot.timeline.map(\.action).filter { $0 != "assigned" } == ["opened", "resolved_on_spot"])

            // It never warns, breaches or climbs.
            let before = try await harness.allEmitted().count
            #expect(try await harness.service.runTimers(at: try ts("2026-11-04T00:01:00.000+08:00")) == Round())
            #expect(try await harness.service.runTimers(at: try ts("2026-11-30T12:00:00.000+08:00")) == Round())
            #expect(try await emitted(harness, after: before).isEmpty)
            // It is resolved: reply and resolve are refused.
            let id = try uuid(case_)
            #expect(try await refusal(harness, .reply, id, by: "LM1", text: "Again")?.status == Self.conflict)
            #expect(try await refusal(harness, .resolve, id, by: "LM1", text: "Again")?.status == Self.conflict)

            // Counted in the day's report (C-10) with an ordinary complaint of the same day.
            _ = try await open(harness, complaint("K-ORD", at: try ts("2026-11-02T15:00:00.000+08:00")))
            let report = try await harness.service.dailyReport(branchID: "SH001", date: try day("2026-11-02"))
            #expect(report.total == 2)
            #expect(report.resolvedOnSpot == 1)
            #expect(report.byChannel == ["counter": 1, "lobby": 1])
            #expect(report.byStatus == ["resolved": 1, "open": 1])
            #expect(report.breached == 0)
            #expect(report.escalated == 0)
            #expect(
                try await harness.service.cases(.init(branchID: "SH001", status: "resolved")).cases.map(\.caseId) == [
                    case_.caseId
                ])
        }
    }

    @Test(
        "F-02 F-04 reopening a case answered on the spot starts a new cycle: it does not go to the centre head for a missed acknowledgement at once"
    )
    func reopenOnTheSpot() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            let case_ = try await open(
                harness,
                complaint(
                    "K-SPOT-R", at: try ts("2026-11-02T14:00:00.000+08:00"), onSpot: true, resolution: "Explained"))
            let reopened = try await act(harness, .reopen, case_, text: "The customer called back: not satisfied")
            #expect(reopened.summary.status == "open")
            #expect(reopened.summary.reopenedCount == 1)
            let reopenEvent = try #require(try await harness.allEmitted().payloads(CaseReopened.V1.self).first)

            // Ten minutes into the new cycle nothing is due: its acknowledgement window and its 3 working days
            // have only just begun. A normally resolved and reopened case is never sent to the centre head here.
            let before = try await harness.allEmitted().count
            let round = try await harness.service.runTimers(at: plus(reopenEvent.at, minutes: 10))
            #expect(round == Round())
            let escalations = try await emitted(harness, after: before).payloads(CaseEscalated.V1.self)
            #expect(escalations.isEmpty, "\(escalations.map { "\($0.fromLevel) → \($0.toLevel)" })")
            #expect(try await detail(harness, case_).summary.level == "front_line")
        }
    }

    // MARK: - 5. Actions

    @Test(
        "F-02 F-07 actions: acknowledge, reply (stops the clock, case-replied onTime), resolve only after a reply (409 before), reopen gives a new 3-working-day deadline and a new reply cycle; each action on the timeline and as an event"
    )
    func actions() async throws {
        // A case received just now, answered in time.
        try await Harness.run { harness in
            try await roster(harness)
            let receivedAt = Timestamp(
                millisecondsSinceEpoch: nowInShanghai().millisecondsSinceEpoch - 60 * Self.minute,
                utcOffsetSeconds: Self.shanghai)
            let case_ = try await open(harness, complaint("K-ACT", at: receivedAt))
            let due = ComplaintsService.replyDue(receivedAt: receivedAt, workingDays: 3, calendar: harness.calendar)
            #expect(case_.replyDueAt == due)
            let id = try uuid(case_)
            let start = try await harness.allEmitted().count

            // Refusals: unknown case, missing or blank fields, too long a text, resolve before a reply.
            #expect(try await refusal(harness, .acknowledge, UUID(), by: "LM1", text: nil)?.status == Self.notFound)
            // An action is taken in the caller's name (LM1 here): naming someone else is refused (H-09).
            let impersonated = try await refusal(harness, .acknowledge, id, by: "LM2", text: nil)
            #expect(impersonated?.status == APIError.forbidden("").status)
            let noText = try await refusal(harness, .reply, id, by: "LM1", text: " ")
            #expect(noText?.status == Self.unprocessable)
            #expect(noText?.fields == ["text"])
            let neither = try await refusal(harness, .resolve, id, by: nil, text: nil)
            #expect(neither?.status == Self.unprocessable)
            #expect(neither?.fields == ["text"])
            #expect(try await refusal(harness, .reopen, id, by: "LM1", text: nil)?.fields == ["text"])
            let tooLong = try await refusal(
                harness, .reply, id, by: "LM1", text: String(repeating: "x", count: ComplaintsService.maximumTextLength + 1))
            #expect(tooLong?.status == Self.unprocessable)
            #expect(tooLong?.fields == ["text"])
            let early = try await refusal(harness, .resolve, id, by: "LM1", text: "Refunded")
            #expect(early?.status == Self.conflict)
            #expect(try await refusal(harness, .reopen, id, by: "LM1", text: "Why")?.status == Self.conflict)
            #expect(try await emitted(harness, after: start).isEmpty)
            #expect(try await detail(harness, case_).summary.status == "open")

            // Acknowledge.
            let acknowledged = try await act(harness, .acknowledge, case_)
            #expect(acknowledged.summary.status == "acknowledged")
            #expect(acknowledged.acknowledgedAt != nil)
            #expect(try await refusal(harness, .acknowledge, id, by: "LM1", text: nil)?.status == Self.conflict)

            // Reply: stops the clock.
            let replied = try await act(harness, .reply, case_, by: "LM1", text: "We will refund the fee")
            #expect(replied.summary.status == "replied")
            #expect(replied.reply == "We will refund the fee")
            #expect(replied.repliedAt != nil)
            #expect(!replied.summary.overdue)
            #expect(try await refusal(harness, .reply, id, by: "LM1", text: "Again")?.status == Self.conflict)
            #expect(try await refusal(harness, .acknowledge, id, by: "LM1", text: nil)?.status == Self.conflict)

            // Resolve.
            let resolved = try await act(harness, .resolve, case_, by: "CH1", text: "Fee refunded")
            #expect(resolved.summary.status == "resolved")
            #expect(resolved.resolution == "Fee refunded")
            #expect(resolved.resolvedAt != nil)
            #expect(try await refusal(harness, .resolve, id, by: "LM1", text: "Again")?.status == Self.conflict)

            // Reopen: a new deadline of 3 working days from now, a new cycle.
            let reopened = try await act(harness, .reopen, case_, by: "LM2", text: "The refund did not arrive")
            #expect(reopened.summary.status == "open")
            #expect(reopened.summary.reopenedCount == 1)
            #expect(reopened.repliedAt == nil)
            #expect(reopened.resolvedAt == nil)

            let events = try await emitted(harness, after: start)
            #expect(
                events.types == [
                    CaseAcknowledged.V1.eventType, CaseReplied.V1.eventType, CaseResolved.V1.eventType,
                    CaseReopened.V1.eventType,
                ])
            let ack = try #require(events.payloads(CaseAcknowledged.V1.self).first)
            #expect(ack.caseId == case_.caseId)
            #expect(ack.by == "LM1")
            let reply = try #require(events.payloads(CaseReplied.V1.self).first)
            #expect(reply.by == "LM1")
            #expect(reply.onTime)
            #expect(reply.replyDueAt == due)
            let resolution = try #require(events.payloads(CaseResolved.V1.self).first)
            #expect(resolution.by == "CH1")
            #expect(resolution.onTime == true)
            #expect(resolution.resolution == "Fee refunded")
            let reopen = try #require(events.payloads(CaseReopened.V1.self).first)
            #expect(reopen.by == "LM2")
            let newDue = ComplaintsService.replyDue(receivedAt: reopen.at, workingDays: 3, calendar: harness.calendar)
            #expect(reopen.replyDueAt == newDue)
            #expect(reopened.summary.replyDueAt == newDue)
            #expect(events.allSatisfy { $0.subject == "case/\(case_.caseId)" })

            let timeline = try await detail(harness, case_).timeline
            #expect(timeline.map(\.action) == ["opened", "assigned", "acknowledge", "reply", "resolve", "reopen"])
            #expect(timeline.map(\.actor) == ["LM1", nil, "LM1", "LM1", "CH1", "LM2"])
            #expect(timeline.last?.note == "The refund did not arrive")

            // The new cycle: warned at 75 % of its reply time, breached after its deadline, each once.
            let warnAt = share(3, 4, from: reopen.at, to: newDue)
            let beforeTimers = try await harness.allEmitted().count
            #expect(try await harness.service.runTimers(at: plus(warnAt, minutes: -1)) == Round())
            #expect(try await harness.service.runTimers(at: plus(warnAt, minutes: 1)) == Round(warned: 1))
            #expect(try await harness.service.runTimers(at: plus(warnAt, minutes: 2)) == Round())
            let afterDue = plus(newDue, minutes: 1)
            #expect(try await harness.service.runTimers(at: afterDue) == Round(breached: 1))
            #expect(try await harness.service.runTimers(at: afterDue) == Round())
            let timers = try await emitted(harness, after: beforeTimers)
            #expect(timers.payloads(CaseDueSoon.V1.self).map(\.caseId) == [case_.caseId])
            let breach = try #require(timers.payloads(CaseBreached.V1.self).first)
            #expect(timers.payloads(CaseBreached.V1.self).count == 1)
            #expect(breach.replyDueAt == newDue)
            #expect(breach.by == "LM1")
            #expect(breach.level == .frontLine)
            // The chain is fixed (F-04): the acknowledged case passes the centre head on its way to the sub-branch.
            let steps = timers.payloads(CaseEscalated.V1.self)
            #expect(steps.map { [$0.fromLevel, $0.toLevel] } == [[.frontLine, .centreHead], [.centreHead, .subbranchVIPGroup]])
            #expect(steps.map(\.ownerId) == ["CH1", nil])
            let breachedDetail = try await detail(harness, case_)
            #expect(breachedDetail.summary.breached)
            #expect(breachedDetail.summary.level == "subbranch_vip_group")
            #expect(breachedDetail.summary.ownerId == "CH1")
        }

        // A case received long ago: warned and breached in its first cycle, answered late, reopened, answered in
        // time in its second cycle.
        try await Harness.run { harness in
            try await roster(harness)
            let case_ = try await open(harness, complaint("K-LATE", at: try ts("2026-11-02T10:00:00.000+08:00")))
            let firstDue = try ts("2026-11-05T23:59:59.999+08:00")
            #expect(case_.replyDueAt == firstDue)
            _ = try await act(harness, .acknowledge, case_)
            #expect(try await harness.service.runTimers(at: try ts("2026-11-05T12:00:00.000+08:00")) == Round(warned: 1))
            #expect(try await harness.service.runTimers(at: try ts("2026-11-06T00:01:00.000+08:00")) == Round(breached: 1))

            let start = try await harness.allEmitted().count
            _ = try await act(harness, .reply, case_, text: "Sorry for the delay")
            _ = try await act(harness, .resolve, case_, text: "Refunded")
            _ = try await act(harness, .reopen, case_, text: "Not satisfied")
            _ = try await act(harness, .reply, case_, text: "A second answer")
            let final = try await act(harness, .resolve, case_, text: "Refunded twice")
            let events = try await emitted(harness, after: start)
            #expect(events.payloads(CaseReplied.V1.self).map(\.onTime) == [false, true])
            #expect(events.payloads(CaseResolved.V1.self).map(\.onTime) == [false, true])
            #expect(final.summary.breached)
            #expect(final.summary.status == "resolved")
            // (The breach happened at a simulated instant before the wall-clock actions, so it sorts first.)
            let actions = final.timeline.map(\.action)
            #expect(actions.count { $0 == "breached" } == 1)
            #expect(
                actions.filter { !["opened", "assigned", "escalated", "breached"].contains($0) } == [
                    "acknowledge", "reply", "resolve", "reopen", "reply", "resolve",
                ])
        }
    }

    // MARK: - 6. The ladder

    @Test(
        "F-04 the full ladder, each level exactly once: not acknowledged by the end of the next working day → centre head; deadline passed → case-breached + sub-branch VIP group; 2 more working days → branch VIP service; 5 more → head office"
    )
    func ladder() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            // Monday 2 November 2026: acknowledgement due by the end of Tuesday, reply by the end of Thursday 5th.
            let case_ = try await open(harness, complaint("K-LADDER", at: try ts("2026-11-02T10:00:00.000+08:00")))
            #expect(case_.replyDueAt == (try ts("2026-11-05T23:59:59.999+08:00")))
            let start = try await harness.allEmitted().count
            func run(_ instant: String) async throws -> Round {
                try await harness.service.runTimers(at: try ts(instant))
            }

            #expect(try await run("2026-11-03T12:00:00.000+08:00") == Round())
            #expect(try await run("2026-11-03T23:59:00.000+08:00") == Round())
            // Wednesday 00:01: not acknowledged by the end of Tuesday → the centre head, who becomes the owner.
            #expect(try await run("2026-11-04T00:01:00.000+08:00") == Round(toCentreHead: 1))
            #expect(try await run("2026-11-04T00:01:00.000+08:00") == Round())
            var summary = try await detail(harness, case_).summary
            #expect(summary.level == "centre_head")
            #expect(summary.ownerId == "CH1")
            // Thursday, the deadline day: before 75 % of the reply time nothing; then only the warning.
            #expect(try await run("2026-11-05T01:00:00.000+08:00") == Round())
            #expect(try await run("2026-11-05T12:00:00.000+08:00") == Round(warned: 1))
            #expect(try await run("2026-11-05T23:59:00.000+08:00") == Round())
            // Friday 00:01: the deadline has passed → case-breached and the sub-branch VIP group.
            #expect(try await run("2026-11-06T00:01:00.000+08:00") == Round(breached: 1))
            #expect(try await run("2026-11-06T00:01:00.000+08:00") == Round())
            #expect(try await run("2026-11-08T12:00:00.000+08:00") == Round())
            // Two working days after the deadline's day (Friday, Monday): the branch VIP service on Monday.
            #expect(try await run("2026-11-09T00:01:00.000+08:00") == Round(toBranch: 1))
            #expect(try await run("2026-11-13T23:59:00.000+08:00") == Round())
            // Five more (Tuesday 10th … Monday 16th): head office.
            #expect(try await run("2026-11-16T00:01:00.000+08:00") == Round(toHeadOffice: 1))
            #expect(try await run("2026-11-16T00:01:00.000+08:00") == Round())
            #expect(try await run("2026-12-31T12:00:00.000+08:00") == Round())

            let events = try await emitted(harness, after: start)
            let escalations = events.payloads(CaseEscalated.V1.self)
            #expect(
                escalations.map { [$0.fromLevel, $0.toLevel] } == [
                    [.frontLine, .centreHead], [.centreHead, .subbranchVIPGroup],
                    [.subbranchVIPGroup, .branchVIPService], [.branchVIPService, .headOfficeService],
                ])
            #expect(escalations.allSatisfy { $0.caseId == case_.caseId })
            #expect(escalations.first?.ownerId == "CH1")
            #expect(escalations.first?.at == (try ts("2026-11-04T00:01:00.000+08:00")))
            #expect(escalations.dropFirst().allSatisfy { $0.ownerId == nil })
            #expect(
                escalations.map(\.at) == [
                    try ts("2026-11-04T00:01:00.000+08:00"), try ts("2026-11-06T00:01:00.000+08:00"),
                    try ts("2026-11-09T00:01:00.000+08:00"), try ts("2026-11-16T00:01:00.000+08:00"),
                ])
            let warning = try #require(events.payloads(CaseDueSoon.V1.self).first)
            #expect(events.payloads(CaseDueSoon.V1.self).count == 1)
            #expect(warning.ownerId == "CH1")
            #expect(warning.level == .centreHead)
            let breach = try #require(events.payloads(CaseBreached.V1.self).first)
            #expect(events.payloads(CaseBreached.V1.self).count == 1)
            #expect(breach.by == "CH1")
            #expect(breach.level == .centreHead)
            #expect(breach.replyDueAt == case_.replyDueAt)
            #expect(breach.at == (try ts("2026-11-06T00:01:00.000+08:00")))
            // The breach comes before the sub-branch escalation it causes.
            #expect(
                events.types.filter { $0 != CaseDueSoon.V1.eventType } == [
                    CaseEscalated.V1.eventType, CaseBreached.V1.eventType, CaseEscalated.V1.eventType,
                    CaseEscalated.V1.eventType, CaseEscalated.V1.eventType,
                ])
            summary = try await detail(harness, case_).summary
            #expect(summary.level == "head_office_service")
            #expect(summary.ownerId == "CH1")
            #expect(summary.breached)
            let timeline = try await detail(harness, case_).timeline.map(\.action)
            #expect(timeline.count { $0 == "escalated" } == 4)
            #expect(timeline.count { $0 == "breached" } == 1)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM case_escalations") == 4)
        }

        // An aged case climbs every level in one round, one event per level, in ladder order; an acknowledged one
        // is not sent up for the acknowledgement but still passes the centre head when it breaches (the chain is
        // fixed); a replied one does not climb; a critical call-centre case starts at the centre head.
        try await Harness.run { harness in
            try await roster(harness)
            let monday = try ts("2026-11-02T10:00:00.000+08:00")
            let aged = try await open(harness, complaint("K-AGED", at: monday))
            let acknowledged = try await open(harness, complaint("K-ACK", at: monday))
            let replied = try await open(harness, complaint("K-REPLIED", at: monday))
            let criticalOut = try await harness.deliver(
                escalation("CC-CRIT", at: monday, customer: "C-NEW", severity: .critical))
            let critical = try opened(criticalOut)
            #expect(criticalOut.types == [CaseOpened.V1.eventType, CaseEscalated.V1.eventType])
            let criticalStep = try #require(criticalOut.payloads(CaseEscalated.V1.self).first)
            #expect(criticalStep.fromLevel == .frontLine)
            #expect(criticalStep.toLevel == .centreHead)
            #expect(criticalStep.ownerId == "CH1")
            #expect(try await detail(harness, critical).summary.level == "centre_head")
            _ = try await act(harness, .acknowledge, acknowledged)
            _ = try await act(harness, .reply, replied, text: "Answered")

            let start = try await harness.allEmitted().count
            // Monday 16 November 12:00: ten working days after the day of receipt.
            let at = try ts("2026-11-16T12:00:00.000+08:00")
            #expect(
                try await harness.service.runTimers(at: at)
                    == Round(warned: 0, toCentreHead: 1, breached: 3, toBranch: 3, toHeadOffice: 3))
            #expect(try await harness.service.runTimers(at: at) == Round())
            let events = try await emitted(harness, after: start)
            func steps(_ opened: CaseOpened.V1) -> [[CaseLevel]] {
                events.payloads(CaseEscalated.V1.self).filter { $0.caseId == opened.caseId }.map {
                    [$0.fromLevel, $0.toLevel]
                }
            }
            #expect(
                steps(aged) == [
                    [.frontLine, .centreHead], [.centreHead, .subbranchVIPGroup],
                    [.subbranchVIPGroup, .branchVIPService], [.branchVIPService, .headOfficeService],
                ])
            #expect(
                steps(acknowledged) == [
                    [.frontLine, .centreHead], [.centreHead, .subbranchVIPGroup],
                    [.subbranchVIPGroup, .branchVIPService], [.branchVIPService, .headOfficeService],
                ])
            let acknowledgedSteps = events.payloads(CaseEscalated.V1.self).filter { $0.caseId == acknowledged.caseId }
            // Its centre-head rung comes with the breach, not with the acknowledgement timer.
            #expect(acknowledgedSteps.first?.reason.contains("reply deadline passed") == true)
            #expect(acknowledgedSteps.first?.ownerId == "CH1")
            #expect(
                steps(critical) == [
                    [.centreHead, .subbranchVIPGroup], [.subbranchVIPGroup, .branchVIPService],
                    [.branchVIPService, .headOfficeService],
                ])
            #expect(steps(replied).isEmpty)
            #expect(
                Set(events.payloads(CaseBreached.V1.self).map(\.caseId)) == [
                    aged.caseId, acknowledged.caseId, critical.caseId,
                ])
            #expect(events.payloads(CaseBreached.V1.self).count == 3)
            // The aged case's own events, in ladder order with the breach before the sub-branch step.
            #expect(
                events.filter { $0.subject == "case/\(aged.caseId)" }.types == [
                    CaseEscalated.V1.eventType, CaseBreached.V1.eventType, CaseEscalated.V1.eventType,
                    CaseEscalated.V1.eventType, CaseEscalated.V1.eventType,
                ])
            let repliedSummary = try await detail(harness, replied).summary
            #expect(repliedSummary.level == "front_line")
            #expect(!repliedSummary.breached)
            #expect(try await detail(harness, acknowledged).summary.ownerId == "CH1")
            #expect(try await detail(harness, acknowledged).summary.level == "head_office_service")
        }
    }

    // MARK: - 7. Two instances

    @Test("F-04 two service instances running the ladder at once escalate each level once")
    func twoInstances() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            let second = try ComplaintsService(context: harness.context)
            let instances = [harness.service, second, harness.service, second]
            var opened: [CaseOpened.V1] = []
            // Three batches, each received on a Monday and run at once two weeks later (all levels due).
            for (batch, monday) in ["2026-10-05", "2026-10-12", "2026-10-19"].enumerated() {
                for index in 0..<12 {
                    opened.append(
                        try await open(
                            harness,
                            complaint(
                                "K-\(batch)-\(index)", at: try ts("\(monday)T10:00:00.000+08:00"),
                                category: "category-\(index)")))
                }
                let at = try ts("\(monday)T12:00:00.000+08:00").adding(milliseconds: 14 * 86_400_000)
                let rounds = try await withThrowingTaskGroup(of: Round.self) { group in
                    for service in instances { group.addTask { try await service.runTimers(at: at) } }
                    return try await group.reduce(into: [Round]()) { $0.append($1) }
                }
                let total = rounds.reduce(into: Round()) { total, round in
                    total.warned += round.warned
                    total.toCentreHead += round.toCentreHead
                    total.breached += round.breached
                    total.toBranch += round.toBranch
                    total.toHeadOffice += round.toHeadOffice
                }
                #expect(total == Round(toCentreHead: 12, breached: 12, toBranch: 12, toHeadOffice: 12), "batch \(batch)")
            }

            let events = try await harness.allEmitted()
            let escalations = events.payloads(CaseEscalated.V1.self)
            let breaches = events.payloads(CaseBreached.V1.self)
            #expect(escalations.count == 4 * opened.count)
            #expect(breaches.count == opened.count)
            let ladder: [CaseLevel] = [.centreHead, .subbranchVIPGroup, .branchVIPService, .headOfficeService]
            for case_ in opened {
                let mine = escalations.filter { $0.caseId == case_.caseId }
                for level in ladder {
                    #expect(mine.count { $0.toLevel == level } == 1, "\(case_.externalRef) \(level.rawValue)")
                }
                #expect(mine.map(\.toLevel) == ladder, "\(case_.externalRef)")
                #expect(breaches.count { $0.caseId == case_.caseId } == 1, "\(case_.externalRef)")
            }
            #expect(try await scalar(harness.client, "SELECT count(*) FROM case_escalations") == 4 * opened.count)
            #expect(
                try await scalar(harness.client, "SELECT count(*) FROM cases WHERE level = 'head_office_service'")
                    == opened.count)
        }
    }

    @Test(
        "F-04 instances whose rounds overlap (one round in flight while others run round after round) still climb every case through every level once, in order"
    )
    func overlappingRounds() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            let second = try ComplaintsService(context: harness.context)
            var opened: [CaseOpened.V1] = []
            for index in 0..<120 {
                opened.append(
                    try await open(
                        harness,
                        complaint(
                            "K-O-\(index)", at: try ts("2026-10-05T10:00:00.000+08:00"),
                            category: "category-\(index)")))
            }
            let at = try ts("2026-10-19T12:00:00.000+08:00")
            let primary = harness.service
            // One instance runs a long round; the other's timer keeps firing meanwhile (a short interval, or more
            // instances): rounds overlap at every step.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await primary.runTimers(at: at) }
                group.addTask {
                    for _ in 0..<60 { _ = try await second.runTimers(at: at) }
                }
                try await group.waitForAll()
            }
            _ = try await primary.runTimers(at: at)

            let escalations = try await harness.allEmitted().payloads(CaseEscalated.V1.self)
            let ladder: [CaseLevel] = [.centreHead, .subbranchVIPGroup, .branchVIPService, .headOfficeService]
            var skipped: [String] = []
            for case_ in opened {
                let mine = escalations.filter { $0.caseId == case_.caseId }.map(\.toLevel)
                if mine != ladder { skipped.append("\(case_.externalRef): \(mine.map(\.rawValue))") }
            }
            #expect(skipped.isEmpty, "\(skipped.count) cases missed a level: \(skipped.prefix(5))")
            #expect(escalations.count == 4 * opened.count)
        }
    }

    // MARK: - 8. Warning

    @Test(
        "F-02 the pre-breach warning at 75% of the reply time, once per cycle, to the owner; configurable (COMPLAINTS_WARN_PERCENT=0 turns it off)"
    )
    func warning() async throws {
        // Received Monday 10:00, due Thursday 23:59:59.999: 75 % of the 86 h is 64.5 h → Thursday 02:30.
        try await Harness.run { harness in
            try await roster(harness)
            let case_ = try await open(harness, complaint("K-WARN", at: try ts("2026-11-02T10:00:00.000+08:00")))
            _ = try await act(harness, .acknowledge, case_)
            let start = try await harness.allEmitted().count
            #expect(try await harness.service.runTimers(at: try ts("2026-11-05T02:29:00.000+08:00")) == Round())
            #expect(
                try await harness.service.runTimers(at: try ts("2026-11-05T02:31:00.000+08:00")) == Round(warned: 1))
            #expect(try await harness.service.runTimers(at: try ts("2026-11-05T12:00:00.000+08:00")) == Round())
            #expect(try await harness.service.runTimers(at: try ts("2026-11-05T23:59:00.000+08:00")) == Round())
            let events = try await emitted(harness, after: start)
            #expect(events.types == [CaseDueSoon.V1.eventType])
            let warning = try #require(events.payloads(CaseDueSoon.V1.self).first)
            #expect(warning.caseId == case_.caseId)
            #expect(warning.ownerId == "LM1")
            #expect(warning.level == .frontLine)
            #expect(warning.sharePercent == 75)
            #expect(warning.replyDueAt == case_.replyDueAt)
            #expect(warning.at == (try ts("2026-11-05T02:31:00.000+08:00")))
            // Past the deadline: a breach, no late warning.
            #expect(
                try await harness.service.runTimers(at: try ts("2026-11-06T00:01:00.000+08:00")) == Round(breached: 1))
            // A replied case is never warned.
            let answered = try await open(harness, complaint("K-WARN-2", at: try ts("2026-11-02T10:00:00.000+08:00")))
            _ = try await act(harness, .reply, answered, text: "Answered")
            #expect(try await harness.service.runTimers(at: try ts("2026-11-05T12:00:00.000+08:00")) == Round())
        }

        // Another share: 50 % of the 86 h → Wednesday 05:00.
        try await Harness.run(environment: ["COMPLAINTS_WARN_PERCENT": "50"]) { harness in
            try await roster(harness)
            let case_ = try await open(harness, complaint("K-WARN-50", at: try ts("2026-11-02T10:00:00.000+08:00")))
            _ = try await act(harness, .acknowledge, case_)
            #expect(try await harness.service.runTimers(at: try ts("2026-11-04T04:59:00.000+08:00")) == Round())
            #expect(
                try await harness.service.runTimers(at: try ts("2026-11-04T05:01:00.000+08:00")) == Round(warned: 1))
            let warning = try #require(try await harness.allEmitted().payloads(CaseDueSoon.V1.self).first)
            #expect(warning.sharePercent == 50)
        }

        // Off: never a warning, the breach still comes.
        try await Harness.run(environment: ["COMPLAINTS_WARN_PERCENT": "0"]) { harness in
            try await roster(harness)
            let case_ = try await open(harness, complaint("K-WARN-0", at: try ts("2026-11-02T10:00:00.000+08:00")))
            _ = try await act(harness, .acknowledge, case_)
            for instant in ["2026-11-04T12:00:00.000+08:00", "2026-11-05T12:00:00.000+08:00", "2026-11-05T23:00:00.000+08:00"] {
                #expect(try await harness.service.runTimers(at: try ts(instant)) == Round(), "\(instant)")
            }
            #expect(
                try await harness.service.runTimers(at: try ts("2026-11-06T00:01:00.000+08:00")) == Round(breached: 1))
            #expect(try await harness.allEmitted().payloads(CaseDueSoon.V1.self).isEmpty)
        }
    }

    // MARK: - 9. Hotspots

    @Test(
        "A-13 five cases of one category at one branch within 7 days → one hotspot-detected; the sixth adds none; another branch or category none; after the window a new hotspot can be raised"
    )
    func hotspots() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            func lodge(_ id: String, _ instant: String, branch: String = "SH001", category: String = "waiting_time")
                async throws -> [IncomingEvent]
            {
                try await harness.deliver(complaint(id, at: try ts(instant), branch: branch, category: category))
            }
            var cases: [String] = []
            for (index, dayOfMonth) in ["02", "03", "04", "05"].enumerated() {
                let out = try await lodge("H\(index + 1)", "2026-11-\(dayOfMonth)T10:00:00.000+08:00")
                #expect(out.types == [CaseOpened.V1.eventType], "H\(index + 1)")
                cases.append(try opened(out).caseId)
                // Four of another category at the same branch, and four of the same category elsewhere.
                #expect(
                    try await lodge("O\(index + 1)", "2026-11-\(dayOfMonth)T11:00:00.000+08:00", category: "fees")
                        .types == [CaseOpened.V1.eventType])
                #expect(
                    try await lodge("S\(index + 1)", "2026-11-\(dayOfMonth)T11:00:00.000+08:00", branch: "SH002")
                        .types == [CaseOpened.V1.eventType])
            }
            // The fifth within 7 days.
            let fifth = try await lodge("H5", "2026-11-06T10:00:00.000+08:00")
            #expect(fifth.types == [CaseOpened.V1.eventType, HotspotDetected.V1.eventType])
            cases.append(try opened(fifth).caseId)
            let hotspot = try #require(fifth.payloads(HotspotDetected.V1.self).first)
            #expect(hotspot.branchId == "SH001")
            #expect(hotspot.category == "waiting_time")
            #expect(hotspot.caseCount == 5)
            #expect(hotspot.caseIds == cases)
            #expect(hotspot.windowStart == (try ts("2026-10-30T10:00:00.000+08:00")))
            #expect(hotspot.at == (try ts("2026-11-06T10:00:00.000+08:00")))
            #expect(fifth.last?.subject == "branch/SH001")

            // The sixth (and a seventh) inside the window: no new hotspot.
            #expect(try await lodge("H6", "2026-11-07T10:00:00.000+08:00").types == [CaseOpened.V1.eventType])
            #expect(try await lodge("H7", "2026-11-12T10:00:00.000+08:00").types == [CaseOpened.V1.eventType])

            // After the window: five more cases within 7 days of each other raise a new one. At H11 (18th 10:00)
            // the window is (11th 10:00, 18th 10:00]: H7…H11; the first hotspot (6th) is outside it.
            for (index, dayOfMonth) in ["14", "15", "16"].enumerated() {
                #expect(
                    try await lodge("H\(index + 8)", "2026-11-\(dayOfMonth)T10:00:00.000+08:00").types == [
                        CaseOpened.V1.eventType
                    ])
            }
            let again = try await lodge("H11", "2026-11-18T10:00:00.000+08:00")
            #expect(again.types == [CaseOpened.V1.eventType, HotspotDetected.V1.eventType])
            let second = try #require(again.payloads(HotspotDetected.V1.self).first)
            #expect(second.caseCount == 5)
            #expect(second.hotspotId != hotspot.hotspotId)
            #expect(second.windowStart == (try ts("2026-11-11T10:00:00.000+08:00")))

            let all = try await harness.allEmitted().payloads(HotspotDetected.V1.self)
            #expect(all.count == 2)
            #expect(all.allSatisfy { $0.branchId == "SH001" && $0.category == "waiting_time" })
            #expect(try await scalar(harness.client, "SELECT count(*) FROM hotspots") == 2)
        }

        // Configurable: 3 cases within 2 days.
        try await Harness.run(environment: ["COMPLAINTS_HOTSPOT_CASES": "3", "COMPLAINTS_HOTSPOT_DAYS": "2"]) { harness in
            #expect(try await harness.deliver(complaint("A1", at: try ts("2026-11-02T10:00:00.000+08:00"))).count == 1)
            #expect(try await harness.deliver(complaint("A2", at: try ts("2026-11-03T10:00:00.000+08:00"))).count == 1)
            // 4 November 12:00: the window (2 Nov 12:00, 4 Nov 12:00] holds only A2 and A3.
            #expect(try await harness.deliver(complaint("A3", at: try ts("2026-11-04T12:00:00.000+08:00"))).count == 1)
            let third = try await harness.deliver(complaint("A4", at: try ts("2026-11-04T13:00:00.000+08:00")))
            #expect(third.types == [CaseOpened.V1.eventType, HotspotDetected.V1.eventType])
            #expect(third.payloads(HotspotDetected.V1.self).first?.caseCount == 3)
        }
    }

    @Test(
        "A-13 a complaint recorded late (received before complaints already recorded) still completes a hotspot"
    )
    func lateHotspot() async throws {
        // `branch.complaints` is keyed by complaintId, so complaints arrive in no particular order across partitions,
        // and an opinion-book entry is recorded after business (F-03): the case received on Thursday may arrive last.
        try await Harness.run { harness in
            var cases: [String: String] = [:]
            for (id, instant) in [
                ("L1", "2026-11-02T10:00:00.000+08:00"), ("L2", "2026-11-03T10:00:00.000+08:00"),
                ("L3", "2026-11-04T10:00:00.000+08:00"), ("L5", "2026-11-06T10:00:00.000+08:00"),
            ] {
                let out = try await harness.deliver(complaint(id, at: try ts(instant)))
                #expect(out.types == [CaseOpened.V1.eventType], "\(id)")
                cases[id] = try opened(out).caseId
            }
            // Thursday's complaint, recorded last: now five cases of one category at one branch within 7 days.
            let late = try await harness.deliver(
                complaint("L4", at: try ts("2026-11-05T10:00:00.000+08:00"), channel: .opinionBook))
            cases["L4"] = try opened(late).caseId
            #expect(late.types == [CaseOpened.V1.eventType, HotspotDetected.V1.eventType])
            let hotspot = late.payloads(HotspotDetected.V1.self).first
            #expect(hotspot?.caseCount == 5)
            #expect(Set(hotspot?.caseIds ?? []) == Set(cases.values))
            #expect(try await harness.allEmitted().payloads(HotspotDetected.V1.self).count == 1)
        }
    }

    @Test(
        "A-13 after a hotspot, a complaint recorded late that completes a later, separate window raises the second hotspot, as it would have in order"
    )
    func lateHotspotAfterHotspot() async throws {
        // H1…H5 (2–6 November, 10:00) make the first hotspot, window (30 Oct 10:00, 6 Nov 10:00]. Then C6 (7th 10:00),
        // C7 (12th 10:00), C8 (13th 10:00), C9 (13th 12:00) and X (8th 10:00). The window ending at C9,
        // (6 Nov 12:00, 13 Nov 12:00], holds C6, X, C7, C8 and C9: five cases, and it starts after the first
        // hotspot's window ended, so it is a second hotspot (A-13: "after the window a new hotspot can be raised").
        let first: [(String, String)] = [
            ("H1", "2026-11-02T10:00:00.000+08:00"), ("H2", "2026-11-03T10:00:00.000+08:00"),
            ("H3", "2026-11-04T10:00:00.000+08:00"), ("H4", "2026-11-05T10:00:00.000+08:00"),
            ("H5", "2026-11-06T10:00:00.000+08:00"), ("C6", "2026-11-07T10:00:00.000+08:00"),
        ]
        let later: [(String, String)] = [
            ("C7", "2026-11-12T10:00:00.000+08:00"), ("C8", "2026-11-13T10:00:00.000+08:00"),
            ("C9", "2026-11-13T12:00:00.000+08:00"),
        ]
        let late = ("X", "2026-11-08T10:00:00.000+08:00")
        // In order of receipt: the second hotspot comes with C9.
        let inOrder = try await Harness.run { harness in
            for (id, instant) in first + [late] + later {
                try await harness.deliver(complaint(id, at: try ts(instant)))
            }
            return try await harness.allEmitted().payloads(HotspotDetected.V1.self).map(\.caseCount)
        }
        #expect(inOrder == [5, 5])
        // X recorded last (an opinion-book entry read days later): the same five cases, the same second hotspot.
        try await Harness.run { harness in
            for (id, instant) in first + later {
                try await harness.deliver(complaint(id, at: try ts(instant)))
            }
            #expect(try await harness.allEmitted().payloads(HotspotDetected.V1.self).count == 1)
            let out = try await harness.deliver(complaint(late.0, at: try ts(late.1), channel: .opinionBook))
            #expect(out.types == [CaseOpened.V1.eventType, HotspotDetected.V1.eventType])
            let second = out.payloads(HotspotDetected.V1.self).first
            #expect(second?.caseCount == 5)
            #expect(second?.windowStart == (try ts("2026-11-06T12:00:00.000+08:00")))
            #expect(second?.at == (try ts("2026-11-13T12:00:00.000+08:00")))
            #expect(try await harness.allEmitted().payloads(HotspotDetected.V1.self).count == 2)
        }
    }

    @Test("A-13 the fifth, sixth and seventh complaints handled at the same moment (other partitions) raise one hotspot")
    func concurrentHotspot() async throws {
        try await Harness.run { harness in
            for index in 1...4 {
                try await harness.deliver(complaint("P\(index)", at: try ts("2026-11-0\(index + 1)T10:00:00.000+08:00")))
            }
            let complaints = try (5...7).map { index in
                complaint("P\(index)", at: try ts("2026-11-06T1\(index):00:00.000+08:00"))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lodged in complaints { group.addTask { try await harness.deliver(lodged) } }
                try await group.waitForAll()
            }
            let hotspots = try await harness.allEmitted().payloads(HotspotDetected.V1.self)
            #expect(hotspots.count == 1)
            #expect((hotspots.first?.caseCount ?? 0) >= 5)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM cases") == 7)
            #expect(try await scalar(harness.client, "SELECT count(*) FROM hotspots") == 1)
        }
    }

    // MARK: - 10. Daily report and filters

    @Test(
        "C-10 G-07 F-07 the daily report: counts by channel, category and status, on-the-spot, breached, escalated, and the call centre's first-line resolution rate against the 95% target"
    )
    func dailyReportAndFilters() async throws {
        try await Harness.run { harness in
            try await roster(harness)
            try await harness.deliver(assigned("C-K", to: "WM1", at: try ts("2026-10-20T09:00:00.000+08:00")))
            let monday = try ts("2026-11-02T10:00:00.000+08:00")
            // SH001, Monday 2 November.
            let b1 = try await open(harness, complaint("B1", at: monday, channel: .lobby))
            let b2 = try await open(
                harness, complaint("B2", at: monday, channel: .counter, onSpot: true, resolution: "Explained"))
            let b3 = try await open(harness, complaint("B3", at: monday, channel: .opinionBook, category: "fees"))
            let c1 = try await open(
                harness, escalation("C1", at: monday, customer: "C-NEW", category: "mis_selling", severity: .critical))
            let c2 = try await open(harness, escalation("C2", at: monday, customer: "C-K"))
            let c4 = try await open(
                harness, escalation("C4", at: monday, customer: "C-NEW", category: "mis_selling", severity: .critical))
            // Elsewhere the same day.
            let c3 = try await open(harness, escalation("C3", at: monday, branch: "SH002"))
            let c5 = try await open(harness, escalation("C5", at: monday, customer: nil, branch: nil, category: "card"))
            let b5 = try await open(
                harness, complaint("B5", at: monday, branch: "SH002", onSpot: true, resolution: "Explained"))
            // 16:30 UTC on the 2nd is 00:30 on the 3rd in Shanghai: Tuesday's report.
            let b4 = try await open(harness, complaint("B4", at: try ts("2026-11-02T16:30:00.000Z")))

            _ = try await act(harness, .acknowledge, b3)
            _ = try await act(harness, .acknowledge, b4)
            for resolvedAtFrontLine in [c2, c3, c5, c4] {
                _ = try await act(harness, .reply, resolvedAtFrontLine, by: "AG-17", text: "Answered")
                _ = try await act(harness, .resolve, resolvedAtFrontLine, by: "AG-17", text: "Done")
            }
            // Friday 00:01: B1 goes to the centre head (not acknowledged); B1, B3 and C1 breach. B4 (received
            // Tuesday 00:30, due Friday 23:59:59.999) is neither due nor at 75 % of its reply time (Friday 00:07:30).
            #expect(
                try await harness.service.runTimers(at: try ts("2026-11-06T00:01:00.000+08:00"))
                    == Round(toCentreHead: 1, breached: 3))

            let report = try await harness.service.dailyReport(branchID: "SH001", date: try day("2026-11-02"))
            #expect(report.branchId == "SH001")
            #expect(report.date == (try day("2026-11-02")))
            #expect(report.total == 6)
            #expect(report.byChannel == ["lobby": 1, "counter": 1, "opinion_book": 1, "callcentre": 3])
            #expect(report.byCategory == ["waiting_time": 2, "fees": 2, "mis_selling": 2])
            #expect(report.byStatus == ["open": 2, "acknowledged": 1, "resolved": 3])
            #expect(report.resolvedOnSpot == 1)
            #expect(report.breached == 3)
            #expect(report.escalated == 4)
            // C1 and C4 went to the centre head; only C2 was resolved at the front line: 1 of 3.
            #expect(report.firstLine.cases == 3)
            #expect(report.firstLine.resolvedAtFrontLine == 1)
            #expect(report.firstLine.ratePercent == 33.3)
            #expect(report.firstLine.targetPercent == 95)

            let everywhere = try await harness.service.dailyReport(branchID: nil, date: try day("2026-11-02"))
            #expect(everywhere.total == 9)
            #expect(everywhere.byChannel == ["lobby": 2, "counter": 1, "opinion_book": 1, "callcentre": 5])
            #expect(everywhere.byCategory == ["waiting_time": 3, "fees": 3, "mis_selling": 2, "card": 1])
            #expect(everywhere.byStatus == ["open": 2, "acknowledged": 1, "resolved": 6])
            #expect(everywhere.resolvedOnSpot == 2)
            #expect(everywhere.breached == 3)
            #expect(everywhere.escalated == 4)
            #expect(everywhere.firstLine.cases == 5)
            #expect(everywhere.firstLine.resolvedAtFrontLine == 3)
            #expect(everywhere.firstLine.ratePercent == 60.0)

            let tuesday = try await harness.service.dailyReport(branchID: "SH001", date: try day("2026-11-03"))
            #expect(tuesday.total == 1)
            #expect(tuesday.byStatus == ["acknowledged": 1])
            #expect(tuesday.firstLine.cases == 0)
            #expect(tuesday.firstLine.ratePercent == nil)
            let empty = try await harness.service.dailyReport(branchID: "SH001", date: try day("2026-11-04"))
            #expect(empty.total == 0)
            #expect(empty.byChannel.isEmpty)

            // GET /cases filters.
            func ids(_ configure: (inout ComplaintsService.CaseFilter) -> Void) async throws -> Set<String> {
                var filter = ComplaintsService.CaseFilter()
                configure(&filter)
                return Set(try await harness.service.cases(filter).cases.map(\.externalRef))
            }
            #expect(try await ids { _ in } == ["B1", "B2", "B3", "B4", "B5", "C1", "C2", "C3", "C4", "C5"])
            #expect(try await ids { $0.level = "subbranch_vip_group" } == ["B1", "B3", "C1"])
            #expect(try await ids { $0.level = "centre_head" } == ["C4"])
            #expect(try await ids { $0.level = "front_line" } == ["B2", "B4", "B5", "C2", "C3", "C5"])
            #expect(try await ids { $0.level = "head_office_service" }.isEmpty)
            #expect(try await ids { $0.source = "callcentre" } == ["C1", "C2", "C3", "C4", "C5"])
            #expect(
                try await ids {
                    $0.source = "branch"
                    $0.branchID = "SH001"
                } == ["B1", "B2", "B3", "B4"])
            #expect(try await ids { $0.category = "fees" } == ["B3", "C2", "C3"])
            // B3 was acknowledged, but its breach took it past the centre head, who now owns it.
            #expect(try await ids { $0.ownerID = "CH1" } == ["B1", "B3", "C1", "C4"])
            #expect(try await ids { $0.ownerID = "LM1" } == ["B2", "B4"])
            #expect(try await ids { $0.ownerID = "WM1" } == ["C2"])
            #expect(try await ids { $0.customerID = "C-K" } == ["C2"])
            #expect(try await ids { $0.breached = true } == ["B1", "B3", "C1"])
            #expect(
                try await ids {
                    $0.breached = true
                    $0.source = "callcentre"
                } == ["C1"])
            #expect(
                try await ids {
                    $0.breached = true
                    $0.ownerID = "CH1"
                    $0.level = "subbranch_vip_group"
                    $0.source = "branch"
                } == ["B1", "B3"])
            #expect(try await ids { $0.status = "acknowledged" } == ["B3", "B4"])
            #expect(try await ids { $0.overdue = true } == ["B1", "B3", "B4", "C1"])
            let b1Summary = try #require(
                try await harness.service.cases(.init(branchID: "SH001", status: "open")).cases.first {
                    $0.caseId == b1.caseId
                })
            #expect(b1Summary.breached)
            #expect(b1Summary.overdue)
            #expect(b1Summary.ownerId == "CH1")
            #expect(b1Summary.informedId == "CH1")
            _ = (b2, b5, c1)
        }

        // The target is configurable.
        try await Harness.run(environment: ["COMPLAINTS_FIRST_LINE_TARGET_PERCENT": "90"]) { harness in
            let report = try await harness.service.dailyReport(branchID: nil, date: try day("2026-11-02"))
            #expect(report.firstLine.targetPercent == 90)
            #expect(report.firstLine.ratePercent == nil)
        }
    }

    // MARK: - Settings edge

    @Test(
        "F-04 with COMPLAINTS_ACK_WORKING_DAYS=0 a complaint not acknowledged by the end of its own working day goes to the centre head the next morning"
    )
    func sameDayAcknowledgement() async throws {
        try await Harness.run(environment: ["COMPLAINTS_ACK_WORKING_DAYS": "0"]) { harness in
            try await roster(harness)
            _ = try await open(harness, complaint("K-ACK0", at: try ts("2026-11-02T10:00:00.000+08:00")))
            // Monday 23:59: still its day.
            #expect(try await harness.service.runTimers(at: try ts("2026-11-02T23:59:00.000+08:00")) == Round())
            // Tuesday 00:01: Monday has ended without an acknowledgement.
            #expect(
                try await harness.service.runTimers(at: try ts("2026-11-03T00:01:00.000+08:00"))
                    == Round(toCentreHead: 1))
        }
    }
}
