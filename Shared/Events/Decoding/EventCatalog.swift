// MARK: - EventCatalog

/// Turns Kafka message values into typed events, and knows which event types exist and on which topics.
///
/// ```swift
/// do {
///     let event = try EventCatalog.decode(record.value, onTopic: record.topic)
///     switch event.payload {
///     case .visitArrived(let arrived): try await handle(arrived, event: event)
///     default: break  // other events on this topic are not for this service
///     }
/// } catch {
///     try await deadLetter(record, error: error.reason)   // contract §1.4
/// }
/// ```
///
/// Decoding runs in this order, so the first problem found is reported: message size and UTF-8, JSON syntax and
/// limits (``EventDecodingLimits``), credential fields (``CredentialFields``), the CloudEvents envelope, the event
/// type (and topic), then `data`: its JSON shape and its rules (``EventData/validate()``).
public enum EventCatalog {
    // MARK: - Decoding

    /// Decodes one CloudEvents structured-mode JSON message.
    ///
    /// - Parameters:
    ///   - bytes: The Kafka message value.
    ///   - limits: Size, depth and length limits; the defaults suit every topic but the dead-letter topic.
    /// - Returns: The envelope's attributes and the typed payload.
    /// - Throws: ``EventDecodingError`` whose ``EventDecodingError/reason`` is fit for a dead letter.
    public static func decode(
        _ bytes: [UInt8], limits: EventDecodingLimits = .default
    ) throws(EventDecodingError) -> IncomingEvent {
        try decode(bytes, topic: nil, limits: limits)
    }

    /// Decodes one message read from `topic`; an event type that does not belong on that topic is an
    /// ``EventDecodingError/Code/unknownEventType`` error, like a type nobody knows.
    ///
    /// - Parameters:
    ///   - bytes: The Kafka message value.
    ///   - topic: The topic the message was read from.
    ///   - limits: Size, depth and length limits.
    /// - Returns: The envelope's attributes and the typed payload.
    /// - Throws: ``EventDecodingError`` whose ``EventDecodingError/reason`` is fit for a dead letter.
    public static func decode(
        _ bytes: [UInt8], onTopic topic: String, limits: EventDecodingLimits = .default
    ) throws(EventDecodingError) -> IncomingEvent {
        try decode(bytes, topic: topic, limits: limits)
    }

    private static func decode(
        _ bytes: [UInt8], topic: String?, limits: EventDecodingLimits
    ) throws(EventDecodingError) -> IncomingEvent {
        let root = try parse(bytes, limits: limits)
        let header = try EnvelopeHeader(root)
        let fail = { (code: EventDecodingError.Code, reason: String, path: String?) in
            EventDecodingError(code: code, reason: reason, path: path, eventID: header.id, eventType: header.type)
        }
        guard let registration = registrationsByType[header.type] else {
            throw fail(.unknownEventType, unknownTypeReason(header.type, topic: topic), "type")
        }
        if let topic, registration.topic != topic {
            throw fail(
                .unknownEventType,
                "type \(header.type.quotedForMessage()) belongs on topic \(registration.topic), not \(topic)", "type")
        }
        guard let data = root["data"], data != .null else {
            throw fail(.invalidData, "data: required object is missing", "data")
        }
        guard case .object = data else {
            throw fail(.invalidData, "data: expected an object, found \(data.kind)", "data")
        }
        let payload: EventPayload
        do {
            payload = try registration.decode(data)
        } catch {
            throw fail(error.code, error.reason, error.path)
        }
        return IncomingEvent(
            id: header.id, source: header.source, type: header.type, time: header.time, subject: header.subject,
            dataContentType: header.dataContentType, correlationID: header.correlationID,
            causationID: header.causationID, payload: payload)
    }

    /// Checks size and encoding, parses, and rejects credential fields; returns the top-level object.
    static func parse(
        _ bytes: [UInt8], limits: EventDecodingLimits
    ) throws(EventDecodingError) -> [String: JSONValue] {
        guard bytes.count <= limits.maximumMessageBytes else {
            throw EventDecodingError(
                code: .limitExceeded,
                reason: "the message is \(bytes.count) bytes; the limit is \(limits.maximumMessageBytes)")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw EventDecodingError(code: .malformedJSON, reason: "the message is not valid UTF-8")
        }
        let document: JSONParser.Document
        do {
            document = try JSONParser.parse(bytes, limits: limits)
        } catch {
            let reason = error.path.map { "\($0): \(error.reason)" } ?? error.reason
            throw EventDecodingError(code: error.code, reason: reason, path: error.path)
        }
        let root: [String: JSONValue]? = if case .object(let members) = document.value { members } else { nil }
        if let credentialPath = document.credentialPath {
            throw EventDecodingError(
                code: .forbiddenField,
                reason: "\(credentialPath): credential fields (passwords, PINs, CVVs, certificates, one-time codes)"
                    + " must never be sent (rulebook D-10, H-07); the value was not read",
                path: credentialPath, eventID: root.flatMap { EnvelopeHeader.peek("id", in: $0) },
                eventType: root.flatMap { EnvelopeHeader.peek("type", in: $0) })
        }
        guard let root else {
            throw EventDecodingError(
                code: .notACloudEvent,
                reason: "the message is \(document.value.kind), not a CloudEvents JSON object (structured mode)")
        }
        return root
    }

    /// Decodes and validates `data` as `Data`, turning every failure into an `invalidData` error with a path.
    static func decodeData<Data: EventData>(
        _ type: Data.Type, from value: JSONValue
    ) throws(EventDecodingError) -> Data {
        let data: Data
        do {
            data = try Data(from: JSONValueDecoder(value: value, codingPath: [EnvelopeHeader.Key.data]))
        } catch let error as DecodingError {
            let (path, detail) = describe(error)
            throw EventDecodingError(code: .invalidData, reason: "\(path): \(detail)", path: path)
        } catch {
            throw EventDecodingError(code: .invalidData, reason: "data: \(error)", path: "data")
        }
        do {
            try data.validate()
        } catch {
            let path = "data." + error.field
            throw EventDecodingError(code: .invalidData, reason: "\(path): \(error.reason)", path: path)
        }
        return data
    }

    /// The JSON path and explanation of a decoding error raised by ``JSONValueDecoder`` or a wire type.
    private static func describe(_ error: DecodingError) -> (path: String, detail: String) {
        switch error {
        case .keyNotFound(_, let context), .valueNotFound(_, let context), .typeMismatch(_, let context),
            .dataCorrupted(let context):
            return (JSONPath.render(context.codingPath), context.debugDescription)
        @unknown default:
            return ("data", "\(error)")
        }
    }

    private static func unknownTypeReason(_ type: String, topic: String?) -> String {
        let family = type.split(separator: ".").dropLast().joined(separator: ".")
        let versions = registrations.map(\.eventType).filter {
            $0.split(separator: ".").dropLast().joined(separator: ".") == family
        }
        if !versions.isEmpty {
            return "type \(type.quotedForMessage()) is a version this build does not understand"
                + " (known: \(versions.joined(separator: ", ")))"
        }
        guard let topic else { return "type \(type.quotedForMessage()) is not a known event type" }
        let expected = eventTypes(onTopic: topic)
        return "type \(type.quotedForMessage()) is not a known event type on topic \(topic)"
            + (expected.isEmpty ? "" : " (expected one of \(expected.joined(separator: ", ")))")
    }

    // MARK: - Catalogue

    /// Every known event type, in contract order (inputs, then outputs by topic).
    public static var allEventTypes: [String] { registrations.map(\.eventType) }

    /// The topic an event type belongs on, or `nil` for an unknown type.
    ///
    /// - Parameter eventType: A CloudEvents `type`, e.g. `bank.branch.visit-arrived.v1`.
    public static func topic(forEventType eventType: String) -> String? {
        registrationsByType[eventType]?.topic
    }

    /// The event types that belong on `topic`, in contract order; empty for a topic this build does not know.
    ///
    /// - Parameter topic: A topic name, e.g. `branch.visits`.
    public static func eventTypes(onTopic topic: String) -> [String] {
        registrations.filter { $0.topic == topic }.map(\.eventType)
    }
}
