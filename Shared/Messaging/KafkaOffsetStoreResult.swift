/// What ``KafkaConsumer/storeOffsets(_:)`` did.
public struct KafkaOffsetStoreResult: Sendable {
    /// The offsets now stored (the next offset to consume, i.e. the highest given record's offset + 1), per
    /// partition. They are committed by the next automatic or explicit commit, or when the partition is revoked.
    public var storedOffsets: [KafkaTopicPartition: Int64] = [:]
    /// Partitions whose records were skipped because this consumer no longer owns them (revoked or lost). The
    /// new owner redelivers those records.
    public var skippedPartitions: Set<KafkaTopicPartition> = []
    /// How many of the given records belong to ``skippedPartitions``.
    public var skippedRecordCount: Int = 0

    /// Creates a result.
    public init() {}
}
