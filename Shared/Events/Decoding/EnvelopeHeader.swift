// MARK: - EnvelopeHeader

/// The CloudEvents attributes of a parsed message, checked against contract §1.1.
struct EnvelopeHeader {
    /// The JSON member names of the envelope.
    enum Key: String, CodingKey {
        case specversion, id, source, type, time, subject, datacontenttype, correlationid, causationid, data
    }

    /// The longest `id` accepted.
    static let maximumIDLength = 200

    let id: String
    let source: String
    let type: String
    let time: Timestamp
    let subject: String?
    let dataContentType: String?
    let correlationID: String?
    let causationID: String?

    /// Reads and checks the attributes.
    ///
    /// - Throws: ``EventDecodingError`` with code `notACloudEvent`, carrying `id` and `type` when they are readable.
    init(_ root: [String: JSONValue]) throws(EventDecodingError) {
        let eventID = Self.peek("id", in: root)
        let eventType = Self.peek("type", in: root)
        func fail(_ key: Key, _ detail: String) -> EventDecodingError {
            EventDecodingError(
                code: .notACloudEvent, reason: "\(key.rawValue): \(detail)", path: key.rawValue, eventID: eventID,
                eventType: eventType)
        }
        func required(_ key: Key) throws(EventDecodingError) -> String {
            guard let value = root[key.rawValue], value != .null else {
                throw fail(key, "required CloudEvents attribute is missing")
            }
            guard case .string(let text) = value else { throw fail(key, "expected a string, found \(value.kind)") }
            guard !text.isEmpty else { throw fail(key, "must not be empty") }
            return text
        }
        func optional(_ key: Key) throws(EventDecodingError) -> String? {
            guard let value = root[key.rawValue], value != .null else { return nil }
            guard case .string(let text) = value else { throw fail(key, "expected a string, found \(value.kind)") }
            return text
        }

        let specVersion = try required(.specversion)
        guard specVersion == "1.0" else {
            throw fail(.specversion, "\(specVersion.quotedForMessage()) is not supported; only \"1.0\" is")
        }
        id = try required(.id)
        guard id.count <= Self.maximumIDLength else {
            throw fail(.id, "is longer than \(Self.maximumIDLength) characters")
        }
        source = try required(.source)
        type = try required(.type)
        let timeText = try required(.time)
        do {
            time = try Timestamp(rfc3339: timeText)
        } catch {
            throw fail(.time, error.reason)
        }
        if let problem = time.supportProblem {
            throw fail(.time, "\(timeText.quotedForMessage()) is not accepted: \(problem)")
        }
        subject = try optional(.subject)
        dataContentType = try optional(.datacontenttype)
        if let dataContentType, !Self.isJSON(dataContentType) {
            throw fail(.datacontenttype, "\(dataContentType.quotedForMessage()) is not application/json")
        }
        correlationID = try optional(.correlationid)
        causationID = try optional(.causationid)
    }

    /// A top-level string attribute, cut to ``maximumIDLength`` characters, for error context.
    static func peek(_ name: String, in root: [String: JSONValue]) -> String? {
        guard case .string(let text) = root[name], !text.isEmpty else { return nil }
        return String(text.prefix(maximumIDLength))
    }

    /// `application/json`, optionally with parameters such as `; charset=utf-8`; the media type is case-insensitive.
    private static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingWhitespace().lowercased() == "application/json"
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
