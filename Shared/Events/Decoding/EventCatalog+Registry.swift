// MARK: - EventCatalog + registry

extension EventCatalog {
    /// How to decode one event type and which topic it belongs on.
    struct Registration: Sendable {
        /// The CloudEvents `type`.
        let eventType: String
        /// The topic it belongs on.
        let topic: String
        /// Decodes and validates `data`, then wraps it in its ``EventPayload`` case (upgrading old versions).
        let decode: @Sendable (JSONValue) throws(EventDecodingError) -> EventPayload

        /// A registration for `type`, whose payloads `wrap` turns into an ``EventPayload``.
        init<Data: EventData>(_ type: Data.Type, _ wrap: @escaping @Sendable (Data) -> EventPayload) {
            eventType = Data.eventType
            topic = Data.topic
            decode = { (value: JSONValue) throws(EventDecodingError) -> EventPayload in
                wrap(try EventCatalog.decodeData(Data.self, from: value))
            }
        }
    }

    /// Every known event type and version, in contract order. A new version `V2` adds a line here whose `wrap`
    /// upgrades `V1` values to `Latest`.
    static let registrations: [Registration] = [
        Registration(VisitArrived.V1.self) { .visitArrived($0) },
        Registration(VisitSignal.V1.self) { .visitSignal($0) },
        Registration(VisitServed.V1.self) { .visitServed($0) },
        Registration(VisitLeft.V1.self) { .visitLeft($0) },
        Registration(ComplaintLodged.V1.self) { .complaintLodged($0) },
        Registration(EscalationRaised.V1.self) { .escalationRaised($0) },
        Registration(CustomerProfile.V1.self) { .customerProfile($0) },
        Registration(StaffUpdated.V1.self) { .staffUpdated($0) },
        Registration(ContactLogged.V1.self) { .contactLogged($0) },
        Registration(AppointmentBooked.V1.self) { .appointmentBooked($0) },
        Registration(ProductSold.V1.self) { .productSold($0) },
        Registration(VisitRouted.V1.self) { .visitRouted($0) },
        Registration(CustomerIdentified.V1.self) { .customerIdentified($0) },
        Registration(ReferralRequested.V1.self) { .referralRequested($0) },
        Registration(QueueAlert.V1.self) { .queueAlert($0) },
        Registration(ManagerAssigned.V1.self) { .managerAssigned($0) },
        Registration(ReferralRouted.V1.self) { .referralRouted($0) },
        Registration(HandoverStarted.V1.self) { .handoverStarted($0) },
        Registration(HandoverCompleted.V1.self) { .handoverCompleted($0) },
        Registration(CapacityAlert.V1.self) { .capacityAlert($0) },
        Registration(ServiceTeamChanged.V1.self) { .serviceTeamChanged($0) },
        Registration(TaskScheduled.V1.self) { .taskScheduled($0) },
        Registration(TaskCompleted.V1.self) { .taskCompleted($0) },
        Registration(TaskOverdue.V1.self) { .taskOverdue($0) },
        Registration(TaskReassigned.V1.self) { .taskReassigned($0) },
        Registration(CaseOpened.V1.self) { .caseOpened($0) },
        Registration(CaseAcknowledged.V1.self) { .caseAcknowledged($0) },
        Registration(CaseEscalated.V1.self) { .caseEscalated($0) },
        Registration(CaseResolved.V1.self) { .caseResolved($0) },
        Registration(CaseReopened.V1.self) { .caseReopened($0) },
        Registration(CaseBreached.V1.self) { .caseBreached($0) },
        Registration(CaseReplied.V1.self) { .caseReplied($0) },
        Registration(CaseDueSoon.V1.self) { .caseDueSoon($0) },
        Registration(HotspotDetected.V1.self) { .hotspotDetected($0) },
        Registration(CustomerTierChanged.V1.self) { .customerTierChanged($0) },
        Registration(BranchDailyStats.V1.self) { .branchDailyStats($0) },
        Registration(ScorecardPublished.V1.self) { .scorecardPublished($0) },
        Registration(ComplianceBreach.V1.self) { .complianceBreach($0) },
        Registration(AssessmentRecorded.V1.self) { .assessmentRecorded($0) },
        Registration(DeadLetter.V1.self) { .deadLetter($0) },
    ]

    /// ``registrations`` by event type.
    static let registrationsByType: [String: Registration] = Dictionary(
        uniqueKeysWithValues: registrations.map { ($0.eventType, $0) })
}
