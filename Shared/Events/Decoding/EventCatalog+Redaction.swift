// MARK: - EventCatalog + redaction

extension EventCatalog {
    /// The placeholder that replaces a credential's value in ``redactingCredentials(_:limits:)``.
    public static let redactedValue = "<redacted>"

    /// The message with the value of every credential field (``CredentialFields``) replaced by
    /// ``redactedValue``, as compact JSON with sorted keys; `nil` when the message is not parseable JSON.
    ///
    /// Dead-letter this instead of the original when ``EventDecodingError/containsCredentials`` is true, so that a
    /// PIN or password never reaches the dead-letter topic (rulebook D-10, H-07).
    ///
    /// - Parameters:
    ///   - bytes: The Kafka message value.
    ///   - limits: Size, depth and length limits, as for decoding.
    public static func redactingCredentials(
        _ bytes: [UInt8], limits: EventDecodingLimits = .default
    ) -> [UInt8]? {
        guard bytes.count <= limits.maximumMessageBytes, String(validating: bytes, as: UTF8.self) != nil,
            let document = try? JSONParser.parse(bytes, limits: limits)
        else { return nil }
        return redacted(document.value).serialized()
    }

    private static func redacted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                result[key] = CredentialFields.isForbidden(key) ? .string(redactedValue) : redacted(member)
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.map(redacted))
        default:
            return value
        }
    }
}
