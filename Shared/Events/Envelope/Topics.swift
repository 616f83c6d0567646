// MARK: - Topics

/// The Kafka topic names of the contract (§1.2 input topics, §1.3 output topics). Names are fixed.
public enum Topics {
    // MARK: - Input topics (published outside Concierge)

    /// Branch visits from the queue machine, lobby tablets and teller desktops. Key: `visitId`.
    public static let branchVisits = "branch.visits"
    /// Complaints lodged at branches. Key: `complaintId`.
    public static let branchComplaints = "branch.complaints"
    /// Call-centre escalations. Key: `caseRef`.
    public static let callcentreEscalations = "callcentre.escalations"
    /// Customer snapshots from core banking and CRM. Key: `customerId`.
    public static let customerProfiles = "customer.profiles"
    /// Staff changes from HR. Key: `staffId`.
    public static let staffDirectory = "staff.directory"
    /// Managers' contacts, appointments and sales. Key: `customerId`.
    public static let crmActivities = "crm.activities"

    // MARK: - Output topics (published by Concierge)

    /// Intake service events. Key: `customerId`, else `visitId`.
    public static let intakeEvents = "intake.events"
    /// Assignment service events. Key: `customerId`.
    public static let assignmentEvents = "assignment.events"
    /// Engagement service events. Key: `customerId`.
    public static let engagementEvents = "engagement.events"
    /// Complaints service events. Key: `caseId` (`hotspot-detected`: `branchId`).
    public static let complaintsEvents = "complaints.events"
    /// Scoring service events. Key: `customerId` or `staffId` (`branchId` for branch statistics).
    public static let scoringEvents = "scoring.events"
    /// Messages no service could process. Key: the original message's key.
    public static let deadLetter = "concierge.deadletter"

    // MARK: - Lists

    /// The six input topics, in contract order.
    public static let inputs: [String] = [
        branchVisits, branchComplaints, callcentreEscalations, customerProfiles, staffDirectory, crmActivities,
    ]

    /// The six output topics, in contract order.
    public static let outputs: [String] = [
        intakeEvents, assignmentEvents, engagementEvents, complaintsEvents, scoringEvents, deadLetter,
    ]

    /// Every topic of the contract, inputs first.
    public static let all: [String] = inputs + outputs
}
