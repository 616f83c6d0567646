internal import CRdKafka

/// The single owner of a `rd_kafka_topic_partition_list_t` that we create.
final class RDKafkaTopicPartitionList {
    private let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        self.list = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(list)
    }

    /// Adds a partition. `offset` is stored as is.
    func add(_ topicPartition: KafkaTopicPartition, offset: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)) {
        let element = rd_kafka_topic_partition_list_add(list, topicPartition.topic, topicPartition.partition)
        element?.pointee.offset = offset
    }

    /// Lends the list to `body`. Do not let the pointer escape.
    func withListPointer<T, E: Error>(
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> T
    ) throws(E) -> T {
        try body(list)
    }

    /// The elements, copied out.
    var elements: [Element] {
        Self.elements(of: list)
    }

    struct Element {
        var topicPartition: KafkaTopicPartition
        var offset: Int64
        var error: rd_kafka_resp_err_t
    }

    /// Copies the elements of a list librdkafka lends us (for example in the rebalance callback).
    static func elements(of list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [Element] {
        guard let list, list.pointee.cnt > 0, let elements = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elements[index]
            return Element(
                topicPartition: KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset,
                error: element.err
            )
        }
    }

    static func elements(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [Element] {
        elements(of: list.map { UnsafePointer($0) })
    }
}
