/// How personal data is shown to staff (rulebook H-01, H-03): never in full once stored.
public enum PersonalData {
    /// Keeps the first three and last four characters of a number of eight or more, masks the rest; shorter
    /// values keep only their last two. Whitespace is dropped first.
    public static func masked(_ value: String) -> String {
        let characters = Array(value.filter { !$0.isWhitespace })
        guard characters.count >= 8 else {
            return String(repeating: "*", count: max(0, characters.count - 2)) + String(characters.suffix(2))
        }
        return String(characters.prefix(3)) + String(repeating: "*", count: characters.count - 7)
            + String(characters.suffix(4))
    }
}
