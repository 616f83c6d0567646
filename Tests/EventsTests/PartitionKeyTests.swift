import Events
import Testing

// MARK: - PartitionKeyTests

@Suite("Kafka keys per the contract's topic tables")
struct PartitionKeyTests {
    @Test(
        "contract §1.2/§1.3: each fixture's key",
        arguments: [
            ("bank.branch.visit-arrived.v1", "V20261123-SH001-0042"),
            ("bank.branch.visit-signal.v1", "V20261123-SH001-0042"),
            ("bank.branch.visit-served.v1", "V20261123-SH001-0042"),
            ("bank.branch.visit-left.v1", "V20261123-SH001-0042"),
            ("bank.branch.complaint-lodged.v1", "CMP-SH001-20261123-007"),
            ("bank.callcentre.escalation-raised.v1", "CC-2026-1123-55810"),
            ("bank.core.customer-profile.v1", "C000123"),
            ("bank.hr.staff-updated.v1", "S0042"),
            ("bank.crm.contact-logged.v1", "C000123"),
            ("bank.crm.appointment-booked.v1", "C000123"),
            ("bank.crm.product-sold.v1", "C000123"),
            ("concierge.intake.visit-routed.v1", "C000123"),
            ("concierge.intake.customer-identified.v1", "C000123"),
            ("concierge.intake.referral-requested.v1", "C000123"),
            ("concierge.intake.queue-alert.v1", "C000123"),
            ("concierge.assignment.manager-assigned.v1", "C000123"),
            ("concierge.assignment.referral-routed.v1", "C000123"),
            ("concierge.assignment.handover-started.v1", "C000123"),
            ("concierge.assignment.handover-completed.v1", "C000123"),
            ("concierge.assignment.capacity-alert.v1", "C000456"),
            ("concierge.engagement.task-scheduled.v1", "C000123"),
            ("concierge.engagement.task-completed.v1", "C000123"),
            ("concierge.engagement.task-overdue.v1", "C000123"),
            ("concierge.engagement.task-reassigned.v1", "C000123"),
            ("concierge.complaints.case-opened.v1", "CASE-2026-004211"),
            ("concierge.complaints.case-acknowledged.v1", "CASE-2026-004211"),
            ("concierge.complaints.case-escalated.v1", "CASE-2026-004211"),
            ("concierge.complaints.case-resolved.v1", "CASE-2026-004211"),
            ("concierge.complaints.case-reopened.v1", "CASE-2026-004211"),
            ("concierge.complaints.case-breached.v1", "CASE-2026-004211"),
            ("concierge.complaints.case-replied.v1", "CASE-2026-004211"),
            ("concierge.complaints.case-due-soon.v1", "CASE-2026-004211"),
            ("concierge.complaints.hotspot-detected.v1", "SH001"),
            ("concierge.assignment.service-team-changed.v1", "C000123"),
            ("concierge.scoring.customer-tier-changed.v1", "C000123"),
            ("concierge.scoring.branch-daily-stats.v1", "SH001"),
            ("concierge.scoring.scorecard-published.v1", "S0042"),
            ("concierge.scoring.compliance-breach.v1", "C000123"),
            ("concierge.scoring.assessment-recorded.v1", "S0042"),
            ("concierge.deadletter.v1", "V20261123-SH001-0051"),
        ])
    func fixtureKeys(eventType: String, key: String) throws {
        #expect(try Fixtures.event(eventType).partitionKey == key)
    }

    @Test("intake: customerId when known, else visitId")
    func intakeFallsBackToVisit() throws {
        let at = try Timestamp(rfc3339: "2026-11-23T09:15:02.410+08:00")
        var routed = VisitRouted.V1(
            visitId: "V20261123-SH001-0043", branchId: "SH001", customerId: "C000123", zone: .nonCash,
            priority: false, reason: "non-cash business (C-01)", purpose: .nonCash, at: at)
        #expect(routed.partitionKey == "C000123")
        routed.customerId = nil
        #expect(routed.partitionKey == "V20261123-SH001-0043")
        let referral = ReferralRequested.V1(
            referralId: "R-1", visitId: "V20261123-SH001-0043", branchId: "SH001", classification: .potential,
            requestedAt: at)
        #expect(referral.partitionKey == "V20261123-SH001-0043")
        let alert = QueueAlert.V1(
            alertId: "QA-1", branchId: "SH001", kind: "queue_length", detail: "12 waiting", at: at)
        #expect(alert.partitionKey == "SH001")
    }

    @Test("assignment: an unknown walk-in's referral is keyed by visit, a capacity alert by referral or branch")
    func assignmentFallbacks() throws {
        let at = try Timestamp(rfc3339: "2026-11-23T09:15:03.120+08:00")
        let routed = ReferralRouted.V1(referralId: "R-2", visitId: "V-9", managerId: "S0042", at: at)
        #expect(routed.partitionKey == "V-9")
        var alert = CapacityAlert.V1(alertId: "CAP-1", branchId: "SH001", referralId: "R-2", reason: "full", at: at)
        #expect(alert.partitionKey == "R-2")
        alert.referralId = nil
        #expect(alert.partitionKey == "SH001")
    }

    @Test("dead letters keep the original key, else the event id, else the record's coordinates")
    func deadLetterFallbacks() throws {
        var letter = DeadLetter.V1(
            originalTopic: "branch.visits", partition: 3, offset: 17, keyBytes: nil, value: Array("{".utf8),
            error: "malformed JSON at byte 1: unexpected end of input", service: "intake",
            at: try Timestamp(rfc3339: "2026-11-23T09:40:12.345+08:00"))
        #expect(letter.partitionKey == "branch.visits/3/17")
        #expect(letter.valueBase64 == "ew==")
        letter.eventId = "e-1"
        #expect(letter.partitionKey == "e-1")
        letter.key = "V-1"
        #expect(letter.partitionKey == "V-1")
    }
}
