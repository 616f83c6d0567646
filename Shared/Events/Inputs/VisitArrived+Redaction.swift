// MARK: - VisitArrived.V1 + redaction

extension VisitArrived.V1: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The fields with `contactPhone` redacted, so that logging the event never writes the phone number.
    public var description: String {
        let fields = customMirror.children.map { "\($0.label ?? "?"): \(String(describing: $0.value))" }
        return "VisitArrived.V1(" + fields.joined(separator: ", ") + ")"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror that shows `contactPhone` as `<redacted>`, for `dump` and debuggers.
    ///
    /// - Important: List every new field here too.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "visitId": visitId, "branchId": branchId, "arrivedAt": arrivedAt, "customerId": customerId as Any,
                "cardTier": cardTier as Any, "purpose": purpose, "amount": amount as Any, "ticket": ticket as Any,
                "recordedBy": recordedBy, "recordedByRole": recordedByRole as Any, "signals": signals as Any,
                "contactPhone": contactPhone == nil ? "nil" : "<redacted>",
            ],
            displayStyle: .struct)
    }
}
