// MARK: - EventPayload

/// The typed `data` of a decoded event: one case per event type of the contract, holding that event's ``Latest``
/// version, so services `switch` over it. Older versions are upgraded to `Latest` by ``EventCatalog`` before a
/// handler sees them.
public enum EventPayload: Sendable, Equatable {
    // MARK: - branch.visits

    /// `bank.branch.visit-arrived.v1`.
    case visitArrived(VisitArrived.Latest)
    /// `bank.branch.visit-signal.v1`.
    case visitSignal(VisitSignal.Latest)
    /// `bank.branch.visit-served.v1`.
    case visitServed(VisitServed.Latest)
    /// `bank.branch.visit-left.v1`.
    case visitLeft(VisitLeft.Latest)

    // MARK: - branch.complaints

    /// `bank.branch.complaint-lodged.v1`.
    case complaintLodged(ComplaintLodged.Latest)

    // MARK: - callcentre.escalations

    /// `bank.callcentre.escalation-raised.v1`.
    case escalationRaised(EscalationRaised.Latest)

    // MARK: - customer.profiles

    /// `bank.core.customer-profile.v1`.
    case customerProfile(CustomerProfile.Latest)

    // MARK: - staff.directory

    /// `bank.hr.staff-updated.v1`.
    case staffUpdated(StaffUpdated.Latest)

    // MARK: - crm.activities

    /// `bank.crm.contact-logged.v1`.
    case contactLogged(ContactLogged.Latest)
    /// `bank.crm.appointment-booked.v1`.
    case appointmentBooked(AppointmentBooked.Latest)
    /// `bank.crm.product-sold.v1`.
    case productSold(ProductSold.Latest)

    // MARK: - intake.events

    /// `concierge.intake.visit-routed.v1`.
    case visitRouted(VisitRouted.Latest)
    /// `concierge.intake.customer-identified.v1`.
    case customerIdentified(CustomerIdentified.Latest)
    /// `concierge.intake.referral-requested.v1`.
    case referralRequested(ReferralRequested.Latest)
    /// `concierge.intake.queue-alert.v1`.
    case queueAlert(QueueAlert.Latest)

    // MARK: - assignment.events

    /// `concierge.assignment.manager-assigned.v1`.
    case managerAssigned(ManagerAssigned.Latest)
    /// `concierge.assignment.referral-routed.v1`.
    case referralRouted(ReferralRouted.Latest)
    /// `concierge.assignment.handover-started.v1`.
    case handoverStarted(HandoverStarted.Latest)
    /// `concierge.assignment.handover-completed.v1`.
    case handoverCompleted(HandoverCompleted.Latest)
    /// `concierge.assignment.capacity-alert.v1`.
    case capacityAlert(CapacityAlert.Latest)
    case serviceTeamChanged(ServiceTeamChanged.Latest)

    // MARK: - engagement.events

    /// `concierge.engagement.task-scheduled.v1`.
    case taskScheduled(TaskScheduled.Latest)
    /// `concierge.engagement.task-completed.v1`.
    case taskCompleted(TaskCompleted.Latest)
    /// `concierge.engagement.task-overdue.v1`.
    case taskOverdue(TaskOverdue.Latest)
    /// `concierge.engagement.task-reassigned.v1`.
    case taskReassigned(TaskReassigned.Latest)

    // MARK: - complaints.events

    /// `concierge.complaints.case-opened.v1`.
    case caseOpened(CaseOpened.Latest)
    /// `concierge.complaints.case-acknowledged.v1`.
    case caseAcknowledged(CaseAcknowledged.Latest)
    /// `concierge.complaints.case-escalated.v1`.
    case caseEscalated(CaseEscalated.Latest)
    /// `concierge.complaints.case-resolved.v1`.
    case caseResolved(CaseResolved.Latest)
    /// `concierge.complaints.case-reopened.v1`.
    case caseReopened(CaseReopened.Latest)
    /// `concierge.complaints.case-breached.v1`.
    case caseBreached(CaseBreached.Latest)
    case caseReplied(CaseReplied.Latest)
    case caseDueSoon(CaseDueSoon.Latest)
    case hotspotDetected(HotspotDetected.Latest)

    // MARK: - scoring.events

    /// `concierge.scoring.customer-tier-changed.v1`.
    case customerTierChanged(CustomerTierChanged.Latest)
    /// `concierge.scoring.branch-daily-stats.v1`.
    case branchDailyStats(BranchDailyStats.Latest)
    /// `concierge.scoring.scorecard-published.v1`.
    case scorecardPublished(ScorecardPublished.Latest)
    /// `concierge.scoring.compliance-breach.v1`.
    case complianceBreach(ComplianceBreach.Latest)
    /// `concierge.scoring.assessment-recorded.v1`.
    case assessmentRecorded(AssessmentRecorded.Latest)

    // MARK: - concierge.deadletter

    /// `concierge.deadletter.v1`.
    case deadLetter(DeadLetter.Latest)
}

// MARK: - EventPayload + accessors

extension EventPayload {
    /// The payload as an ``EventData`` existential, for code that treats all events alike.
    public var data: any EventData {
        switch self {
        case .visitArrived(let data): data
        case .visitSignal(let data): data
        case .visitServed(let data): data
        case .visitLeft(let data): data
        case .complaintLodged(let data): data
        case .escalationRaised(let data): data
        case .customerProfile(let data): data
        case .staffUpdated(let data): data
        case .contactLogged(let data): data
        case .appointmentBooked(let data): data
        case .productSold(let data): data
        case .visitRouted(let data): data
        case .customerIdentified(let data): data
        case .referralRequested(let data): data
        case .queueAlert(let data): data
        case .managerAssigned(let data): data
        case .referralRouted(let data): data
        case .handoverStarted(let data): data
        case .handoverCompleted(let data): data
        case .capacityAlert(let data): data
        case .serviceTeamChanged(let data): data
        case .taskScheduled(let data): data
        case .taskCompleted(let data): data
        case .taskOverdue(let data): data
        case .taskReassigned(let data): data
        case .caseOpened(let data): data
        case .caseAcknowledged(let data): data
        case .caseEscalated(let data): data
        case .caseResolved(let data): data
        case .caseReopened(let data): data
        case .caseBreached(let data): data
        case .caseReplied(let data): data
        case .caseDueSoon(let data): data
        case .hotspotDetected(let data): data
        case .customerTierChanged(let data): data
        case .branchDailyStats(let data): data
        case .scorecardPublished(let data): data
        case .complianceBreach(let data): data
        case .assessmentRecorded(let data): data
        case .deadLetter(let data): data
        }
    }

    /// The CloudEvents `type` of the payload, e.g. `bank.branch.visit-arrived.v1`.
    public var eventType: String { type(of: data).eventType }

    /// The topic the payload belongs on.
    public var topic: String { type(of: data).topic }

    /// The Kafka key for the payload (see ``EventData/partitionKey``).
    public var partitionKey: String { data.partitionKey }
}
