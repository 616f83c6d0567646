import Events
import Foundation
import ServiceKit
import Testing

@testable import Engagement

/// Engagement's deadlines and plans without a database (rulebook C-05, C-06, E-03, E-05, E-07, D-05).
@Suite("Engagement plans and deadlines (pure)")
struct EngagementPlanTests {
    /// Shanghai with the 2026 National Day week (1–7 October off) and its make-up working days (20 September,
    /// 10 October), as in docs/calendar.example.json.
    let calendar = BusinessCalendar(
        timeZone: TimeZone(identifier: "Asia/Shanghai")!,
        holidays: Set(["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"].map { BusinessDate($0)! }),
        workdays: [BusinessDate("2026-09-20")!, BusinessDate("2026-10-10")!])

    func walkIn(_ at: String, settings: EngagementSettings = EngagementSettings()) throws -> [TaskKind: Timestamp] {
        let tasks = WalkInPlan.tasks(referredAt: try ts(at), settings: settings, calendar: shanghaiCalendar)
        #expect(tasks.map(\.kind) == [.receiveWalkIn, .recordVisit, .followUp])
        return Dictionary(uniqueKeysWithValues: tasks.map { ($0.kind, $0.dueAt) })
    }

    func day(_ timestamp: Timestamp) -> String { calendar.businessDate(of: timestamp).description }

    // MARK: - Walk-ins

    @Test("C-06 C-05 E-10 a walk-in: receive within 10 minutes, record by the end of the visit day, follow up by the end of the 2nd working day")
    func walkInTasks() throws {
        let friday = try walkIn("2026-11-27T02:00:00.000Z")
        #expect(friday[.receiveWalkIn] == (try ts("2026-11-27T10:10:00.000+08:00")))
        #expect(friday[.recordVisit] == (try ts("2026-11-27T23:59:59.999+08:00")))
        #expect(friday[.followUp] == (try ts("2026-12-01T23:59:59.999+08:00")))
        // The visit day is the Shanghai date: 23:30 Z on Thursday is Friday morning in Shanghai.
        #expect(try walkIn("2026-11-26T23:30:00.000Z")[.followUp] == (try ts("2026-12-01T23:59:59.999+08:00")))
        #expect(try walkIn("2026-11-25T16:00:00.000+08:00")[.followUp] == (try ts("2026-11-27T23:59:59.999+08:00")))
        var three = EngagementSettings()
        three.followUpWorkingDays = 3
        #expect(try walkIn("2026-11-27T10:00:00.000+08:00", settings: three)[.followUp] == (try ts("2026-12-02T23:59:59.999+08:00")))
    }

    // MARK: - Working days

    @Test("F-02 E-03 working days across a weekend, a holiday week and a make-up Saturday")
    func workingDays() throws {
        // Friday + 1 working day → Monday.
        #expect(day(TaskTimes.endOfWorkingDay(1, after: try ts("2026-11-27T15:00:00.000+08:00"), calendar: calendar)) == "2026-11-30")
        // Wednesday 30 September + 1 → Thursday 8 October, after the National Day week.
        #expect(day(TaskTimes.endOfWorkingDay(1, after: try ts("2026-09-30T15:00:00.000+08:00"), calendar: calendar)) == "2026-10-08")
        // Thursday 8 October + 2 → Saturday 10 October, a make-up working day.
        #expect(day(TaskTimes.endOfWorkingDay(2, after: try ts("2026-10-08T15:00:00.000+08:00"), calendar: calendar)) == "2026-10-10")
        // Saturday 19 September + 1 → Sunday 20 September, a make-up working day.
        #expect(day(TaskTimes.endOfWorkingDay(1, after: try ts("2026-09-19T15:00:00.000+08:00"), calendar: calendar)) == "2026-09-20")
        // A plan slot on a holiday moves to the next working day: tier A's first service, 61 days after
        // 3 August, falls on Saturday 3 October → Thursday 8 October.
        let plan = CadencePlan.tasks(
            tier: .a, from: try ts("2026-08-03T10:00:00.000+08:00"), settings: EngagementSettings(), calendar: calendar)
        #expect(day(plan[0].dueAt) == "2026-10-08")
        #expect(plan.allSatisfy { calendar.isWorkingDay(calendar.businessDate(of: $0.dueAt)) })
    }

    @Test("E-04 a task is escalated once it is 2 working days overdue: due Monday → from Wednesday; due Thursday → from Monday")
    func escalationDay() {
        func latest(_ today: String, _ days: Int = 2) -> String {
            calendar.latestDay(days, workingDaysBefore: BusinessDate(today)!).description
        }
        #expect(latest("2026-12-02") == "2026-11-30")
        #expect(latest("2026-11-30") == "2026-11-26")
        // Due up to Sunday (Friday and the weekend) → from Tuesday.
        #expect(latest("2026-12-01") == "2026-11-29")
        // After the National Day week: due 30 September (or in the holidays) is 2 working days overdue on 9 October.
        #expect(latest("2026-10-09") == "2026-10-07")
        #expect(latest("2026-10-08") == "2026-09-29")
        #expect(latest("2026-12-02", 1) == "2026-12-01")
    }

    // MARK: - Year plans

    func check(_ plan: [PlannedTask], start: Timestamp, services: Int) {
        let startDay = calendar.businessDate(of: start)
        let services = plan.filter { $0.cadenceRole != .review }
        let days = services.map { calendar.businessDate(of: $0.dueAt).dayNumber - startDay.dayNumber }
        #expect(days == days.sorted())
        #expect(days.allSatisfy { $0 > 0 && $0 <= 365 + 10 }, "within the year: \(days)")
        // Even spread: consecutive services about 365/n days apart (a holiday week can push one by a week).
        let gaps = zip(days.dropFirst(), days).map { $0 - $1 }
        let ideal = 365 / Double(services.count)
        #expect(gaps.allSatisfy { abs(Double($0) - ideal) <= 8 }, "gaps \(gaps)")
        #expect(plan.allSatisfy { calendar.isWorkingDay(calendar.businessDate(of: $0.dueAt)) })
        #expect(plan.allSatisfy { $0.dueAt.rfc3339.hasSuffix("T23:59:59.999+08:00") })
    }

    @Test("E-03 E-05 tier A over a full year: 6 services (4 proactive contacts, 2 meetings) on working days, evenly, plus 2 reviews")
    func tierA() throws {
        let start = try ts("2026-11-23T10:00:00.000+08:00")
        let plan = CadencePlan.tasks(tier: .a, from: start, settings: EngagementSettings(), calendar: calendar)
        #expect(plan.count { $0.cadenceRole == .proactiveContact } == 4)
        #expect(plan.count { $0.cadenceRole == .meeting } == 2)
        #expect(plan.count { $0.cadenceRole == .maintenance } == 0)
        #expect(plan.count { $0.kind == .maintenanceContact } == 4)
        #expect(plan.count { $0.kind == .maintenanceMeeting } == 2)
        #expect(plan.filter { $0.kind == .portfolioReview }.map { day($0.dueAt) } == ["2027-05-24", "2027-11-23"])
        check(plan, start: start, services: 6)
        // Meetings are not bunched: one in each half of the year.
        let meetings = plan.filter { $0.kind == .maintenanceMeeting }.map { day($0.dueAt) }
        #expect(meetings.count == 2 && meetings[0] < "2027-05-23" && meetings[1] > "2027-05-23")
        // Distinct (kind, seq) pairs: the database keeps one task per event, kind and seq.
        #expect(Set(plan.map { "\($0.kind.rawValue)#\($0.seq)" }).count == plan.count)
        #expect(plan.filter { $0.cadenceRole != .review }.allSatisfy { $0.ruleID == "E-03" })
    }

    @Test("E-03 E-05 tiers B and C over a full year: 12 services (4 proactive, 2 meetings, 6 further maintenance), plus 2 reviews")
    func tiersBC() throws {
        let start = try ts("2026-11-23T10:00:00.000+08:00")
        for tier in [Tier.b, .c] {
            let plan = CadencePlan.tasks(tier: tier, from: start, settings: EngagementSettings(), calendar: calendar)
            #expect(plan.count { $0.cadenceRole == .proactiveContact } == 4)
            #expect(plan.count { $0.cadenceRole == .meeting } == 2)
            #expect(plan.count { $0.cadenceRole == .maintenance } == 6)
            #expect(plan.count { $0.kind == .portfolioReview } == 2)
            #expect(plan.count == 14)
            #expect(plan.filter { $0.cadenceRole == .maintenance }.allSatisfy { $0.title.contains("not stated") })
            check(plan, start: start, services: 12)
            #expect(Set(plan.map { "\($0.kind.rawValue)#\($0.seq)" }).count == plan.count)
        }
    }

    @Test("E-03 E-05 the cadences and the review interval are configuration: a yearly review, 8 contacts for tier A")
    func configuredCadence() throws {
        let settings = try EngagementSettings(
            environment: EnvironmentReader(["ENGAGEMENT_REVIEW_MONTHS": "12", "ENGAGEMENT_CADENCE_TIER_A": "8,4,0"]))
        let plan = CadencePlan.tasks(
            tier: .a, from: try ts("2026-11-23T10:00:00.000+08:00"), settings: settings, calendar: calendar)
        #expect(plan.count { $0.kind == .portfolioReview } == 1)
        #expect(plan.count { $0.kind == .maintenanceContact } == 8)
        #expect(plan.count { $0.kind == .maintenanceMeeting } == 4)
    }

    @Test("E-03 slots: meetings spread evenly, then proactive contacts among the rest")
    func roles() {
        #expect(
            CadencePlan.roles(.init(proactiveContacts: 4, meetings: 2, maintenance: 0))
                == [.proactiveContact, .meeting, .proactiveContact, .proactiveContact, .meeting, .proactiveContact])
        let bc = CadencePlan.roles(.init(proactiveContacts: 4, meetings: 2, maintenance: 6))
        #expect(bc.indices.filter { bc[$0] == .meeting } == [3, 9])
        #expect(bc.indices.filter { bc[$0] == .proactiveContact } == [1, 4, 7, 10])
    }

    // MARK: - Appointments

    @Test("E-07 E-08 appointment confirmations: the working day before (a Monday's → Friday), and 09:00 on the day")
    func appointmentConfirmations() throws {
        let settings = EngagementSettings()
        let monday = TaskTimes.appointmentConfirmations(
            at: try ts("2026-11-30T14:00:00.000+08:00"), settings: settings, calendar: calendar)
        #expect(monday.dayBefore == (try ts("2026-11-27T23:59:59.999+08:00")))
        #expect(monday.morning == (try ts("2026-11-30T09:00:00.000+08:00")))
        // An 08:30 appointment is confirmed by its own time, not after it.
        let early = TaskTimes.appointmentConfirmations(
            at: try ts("2026-12-02T00:30:00.000Z"), settings: settings, calendar: calendar)
        #expect(early.morning == (try ts("2026-12-02T08:30:00.000+08:00")))
        #expect(early.dayBefore == (try ts("2026-12-01T23:59:59.999+08:00")))
        // After the National Day week: the day before 8 October is 30 September.
        let afterHoliday = TaskTimes.appointmentConfirmations(
            at: try ts("2026-10-08T10:00:00.000+08:00"), settings: settings, calendar: calendar)
        #expect(afterHoliday.dayBefore == (try ts("2026-09-30T23:59:59.999+08:00")))
    }

    // MARK: - Settings

    @Test("E-03 E-04 E-06 E-09 settings: defaults, environment, bad values refused")
    func settings() throws {
        let defaults = try EngagementSettings(environment: EnvironmentReader([:]))
        #expect(defaults.cadenceA == .init(proactiveContacts: 4, meetings: 2, maintenance: 0))
        #expect(defaults.cadenceBC == .init(proactiveContacts: 4, meetings: 2, maintenance: 6))
        #expect(defaults.reviewMonths == 6)
        #expect(defaults.maxMeetingsPerDay == 8 && defaults.maxCallsPerDay == 20)
        #expect(defaults.dormancyDays == 90 && defaults.aumDropPercent == 30)
        #expect(defaults.escalateAfterWorkingDays == 2)
        #expect(defaults.handoverOralWorkingDays == 1 && defaults.handoverWrittenWorkingDays == 5)
        #expect(defaults.complaintFollowUpWorkingDays == 3)
        #expect(defaults.morningConfirmationMinutes == 540)
        let custom = try EngagementSettings(
            environment: EnvironmentReader([
                "ENGAGEMENT_APPOINTMENT_MORNING_CONFIRM": "08:15", "ENGAGEMENT_MAX_CALLS_PER_DAY": "15",
                "ENGAGEMENT_SCHEDULER_INTERVAL_MS": "200",
            ]))
        #expect(custom.morningConfirmationMinutes == 495)
        #expect(custom.maxCallsPerDay == 15)
        #expect(custom.schedulerInterval == .milliseconds(200))
        for (key, value) in [
            ("ENGAGEMENT_CADENCE_TIER_A", "4,2"), ("ENGAGEMENT_CADENCE_TIER_BC", "0,0,0"),
            ("ENGAGEMENT_APPOINTMENT_MORNING_CONFIRM", "25:00"), ("ENGAGEMENT_REVIEW_MONTHS", "0"),
            ("ENGAGEMENT_SCHEDULER_INTERVAL_MS", "10"), ("ENGAGEMENT_AUM_DROP_PERCENT", "0"),
        ] {
            #expect(throws: ConfigurationError.self, "\(key)=\(value)") {
                try EngagementSettings(environment: EnvironmentReader([key: value]))
            }
        }
    }
}
