// MARK: - ComplaintChannel

/// Where a branch complaint came in (`bank.branch.complaint-lodged.v1` `channel`, rulebook F-01).
public enum ComplaintChannel: String, WireEnum {
    /// At a counter.
    case counter
    /// In the lobby.
    case lobby
    /// Written in the opinion book (意见簿).
    case opinionBook = "opinion_book"
    /// By letter.
    case letter
    /// Online.
    case online
    /// From the mobile app.
    case mobile
}
