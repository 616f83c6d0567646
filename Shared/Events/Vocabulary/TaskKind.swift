// MARK: - TaskKind

/// What a manager's task is (`concierge.engagement.task-scheduled.v1` `kind`).
public enum TaskKind: String, WireEnum {
    /// Receive a referred walk-in customer (rulebook C-06).
    case receiveWalkIn = "receive_walkin"
    /// Record a visit.
    case recordVisit = "record_visit"
    /// Follow up a contact.
    case followUp = "follow_up"
    /// Follow up a potential-VIP lead.
    case leadFollowUp = "lead_follow_up"
    /// Proactive maintenance contact (E-03).
    case maintenanceContact = "maintenance_contact"
    /// Maintenance meeting (E-03).
    case maintenanceMeeting = "maintenance_meeting"
    /// Portfolio review (E-05).
    case portfolioReview = "portfolio_review"
    /// Tell the customer of a handover orally (D-05).
    case handoverNoticeOral = "handover_notice_oral"
    /// Tell the customer of a handover in writing (D-05).
    case handoverNoticeWritten = "handover_notice_written"
    /// New manager's first contact after a handover, within a month (D-05).
    case handoverFirstContact = "handover_first_contact"
    /// Confirm an appointment.
    case appointmentConfirmation = "appointment_confirmation"
    /// Retention contact: a dormant customer or a large fall in assets (E-09, B-10).
    case retention
    /// Follow up a complaint.
    case complaintFollowUp = "complaint_follow_up"
}
