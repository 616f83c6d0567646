import Events
import ServiceKit
import Testing

@testable import Complaints
@testable import Scoring

// MARK: - Complaint deadline

@Suite("Complaints reply deadline (pure)")
struct ReplyDeadlineLogicTests {
    func due(_ receivedAt: String, days: Int = 3) throws -> Timestamp {
        ComplaintsService.replyDue(
            receivedAt: try ts(receivedAt), workingDays: days,
            calendar: shanghaiCalendar)
    }

    @Test("F-02 end of the 3rd working day after receipt: Thu → Tue, Fri/Sat/Sun → Wed, Mon → Thu")
    func thirdWorkingDay() throws {
        #expect(try due("2026-11-26T10:00:00.000+08:00") == (try ts("2026-12-01T23:59:59.999+08:00")))
        #expect(try due("2026-11-27T10:00:00.000+08:00") == (try ts("2026-12-02T23:59:59.999+08:00")))
        #expect(try due("2026-11-28T10:00:00.000+08:00") == (try ts("2026-12-02T23:59:59.999+08:00")))
        #expect(try due("2026-11-29T10:00:00.000+08:00") == (try ts("2026-12-02T23:59:59.999+08:00")))
        #expect(try due("2026-11-30T00:00:00.000+08:00") == (try ts("2026-12-03T23:59:59.999+08:00")))
    }

    @Test("F-02 counted from the Shanghai date: Thursday 23:30 UTC is Friday in Shanghai → Wednesday, not Tuesday")
    func shanghaiDate() throws {
        #expect(try due("2026-11-26T23:30:00.000Z") == (try ts("2026-12-02T23:59:59.999+08:00")))
        // One minute before Shanghai midnight is still Thursday.
        #expect(try due("2026-11-26T15:59:00.000Z") == (try ts("2026-12-01T23:59:59.999+08:00")))
    }
}

// MARK: - Scoring columns

@Suite("Scoring C-10 counters (pure)")
struct ScoringColumnLogicTests {
    @Test(
        "C-10 lobby = lobby manager + assistant; tellers split cash / non-cash / business officer; potential apart",
        arguments: [
            (StaffRole?.some(.lobbyManager), "vips_identified_lobby"),
            (.lobbyAssistant, "vips_identified_lobby"),
            (.tellerCash, "vips_identified_cash"),
            (.tellerNonCash, "vips_identified_noncash"),
            (.businessOfficer, "vips_identified_officer"),
            (.wealthManager, "vips_identified_other"),
            (nil, "vips_identified_other"),
        ])
    func column(role: StaffRole?, column: String) {
        #expect(ScoringService.identificationColumn(classification: .vip, role: role) == column)
        #expect(ScoringService.identificationColumn(classification: .potential, role: role) == "potential_identified")
    }
}
