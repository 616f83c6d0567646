import struct Foundation.Data

// MARK: - DeadLetter.V1 + original value

extension DeadLetter.V1 {
    /// Creates a dead letter from the raw Kafka record, base64-encoding its value and reading its key as UTF-8.
    ///
    /// - Parameters:
    ///   - originalTopic: The topic the record was read from.
    ///   - partition: Its partition.
    ///   - offset: Its offset.
    ///   - key: Its key bytes, if any.
    ///   - value: Its value bytes.
    ///   - error: Why it could not be processed, as a sentence a person can act on.
    ///   - service: The service giving up on it.
    ///   - at: When.
    ///   - eventId: The CloudEvents `id`, when it could be read.
    ///   - eventType: The CloudEvents `type`, when it could be read.
    public init(
        originalTopic: String,
        partition: Int32,
        offset: Int64,
        keyBytes key: [UInt8]?,
        value: [UInt8],
        error: String,
        service: String,
        at: Timestamp,
        eventId: String? = nil,
        eventType: String? = nil
    ) {
        self.init(
            originalTopic: originalTopic, partition: partition, offset: offset,
            key: key.map { String(decoding: $0, as: UTF8.self) }, valueBase64: Data(value).base64EncodedString(),
            error: error, service: service, at: at, eventId: eventId, eventType: eventType)
    }

    /// The original value's bytes, or `nil` when `valueBase64` is not valid base64.
    public var originalValue: [UInt8]? {
        Data(base64Encoded: valueBase64).map { [UInt8]($0) }
    }
}
