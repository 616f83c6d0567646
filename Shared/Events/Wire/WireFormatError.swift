// MARK: - WireFormatError

/// A text value that does not have the wire format the contract prescribes: a timestamp that is not RFC 3339, a
/// date that is not `YYYY-MM-DD`, an amount that is not a decimal string with at most two decimals.
///
/// When such a value sits inside an event, ``EventCatalog`` reports it as an ``EventDecodingError`` with code
/// ``EventDecodingError/Code/invalidData`` and the field's JSON path in front of ``reason``.
public struct WireFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A sentence a person can act on, e.g. `"2026-02-30" is not a date: February 2026 has 28 days`.
    public var reason: String

    /// Creates an error with the given explanation.
    ///
    /// - Parameter reason: A sentence a person can act on.
    public init(reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}

// MARK: - Quoting untrusted text

extension String {
    /// This text quoted for an error message: escaped like a Swift literal and cut to `limit` characters, so a
    /// hostile value can neither forge log lines nor blow up a message.
    func quotedForMessage(limit: Int = 64) -> String {
        guard count > limit else { return debugDescription }
        return String(prefix(limit)).debugDescription + "…"
    }
}
