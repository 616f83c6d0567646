internal import CRdKafka
import Logging
import Synchronization

/// Consumer-side state shared by ``KafkaConsumer`` and the rebalance callback: what this consumer owns and
/// which offsets the caller stored.
///
/// The callback runs only on the consumer's own queue, inside `rd_kafka_consumer_poll` or
/// `rd_kafka_consumer_close`; `storeOffsets` may run on any thread, hence the lock.
final class RDKafkaRebalanceHandler: Sendable {
    struct State {
        /// The partitions this consumer owns. `storeOffsets` refuses any other partition.
        var assignment: Set<KafkaTopicPartition> = []
        /// The next offset to consume (last processed + 1) that the caller stored, per owned partition.
        var storedOffsets: [KafkaTopicPartition: Int64] = [:]
        /// Partitions revoked or lost since the current poll began: their records are dropped from its batch.
        var revokedDuringPoll: Set<KafkaTopicPartition> = []
        var isClosed = false
    }

    let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Handles one rebalance event. `partitions` is lent by librdkafka for the duration of the callback.
    func handle(
        _ handle: OpaquePointer,
        event: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let changed = RDKafkaTopicPartitionList.elements(of: partitions).map(\.topicPartition)

        switch event {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            assign(handle, partitions: partitions, changed: changed, cooperative: cooperative)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            revoke(handle, partitions: partitions, changed: changed, cooperative: cooperative)
        default:
            // librdkafka's contract for any other event: drop the whole assignment.
            logger.info(
                "Kafka rebalance error, dropping the assignment",
                metadata: [KafkaLoggingKeys.errorName: .string(String(cString: rd_kafka_err2name(event)))]
            )
            forget(Set(state.withLock { $0.assignment }))
            rd_kafka_assign(handle, nil)
        }
    }

    private func assign(
        _ handle: OpaquePointer,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        changed: [KafkaTopicPartition],
        cooperative: Bool
    ) {
        if cooperative {
            if let error = rd_kafka_incremental_assign(handle, partitions) {
                logger.info("Kafka incremental assign failed", error: KafkaError.consuming(error))
                return
            }
        } else {
            let error = rd_kafka_assign(handle, partitions)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                logger.info("Kafka assign failed", error: KafkaError.rdKafka(error))
                return
            }
        }
        // Recorded after librdkafka accepted the assignment (it also resets any stored offset on assign).
        state.withLock { state in
            if !cooperative {
                state.assignment = []
                state.storedOffsets = [:]
            }
            state.assignment.formUnion(changed)
        }
        logger.info(
            "Kafka partitions assigned",
            metadata: [
                "partitions": .string(changed.map(\.description).sorted().joined(separator: ", ")),
                "protocol": .string(cooperative ? "cooperative" : "eager"),
            ]
        )
    }

    /// Revocation: the partitions are no longer ours once this returns.
    ///
    /// 1. Under the lock, remove them from the assignment (so `storeOffsets` refuses them from now on) and take
    ///    their stored offsets. Every stored offset belongs to a record whose database transaction committed:
    ///    the caller stores after committing and polls only between batches, and this callback runs only
    ///    inside a poll (or close).
    /// 2. Unless the partitions were *lost* (session timeout, fencing: another member may own them already),
    ///    commit those offsets synchronously, so the next owner starts right after the last processed record.
    ///    A lost assignment is never committed: this consumer no longer owns it.
    /// 3. Unassign.
    private func revoke(
        _ handle: OpaquePointer,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        changed: [KafkaTopicPartition],
        cooperative: Bool
    ) {
        let lost = rd_kafka_assignment_lost(handle) != 0
        let offsets = forget(Set(changed))

        if lost {
            logger.info(
                "Kafka partitions lost, not committing their offsets",
                metadata: ["partitions": .string(changed.map(\.description).sorted().joined(separator: ", "))]
            )
        } else if !offsets.isEmpty {
            commit(handle, offsets)
        }

        if cooperative {
            if let error = rd_kafka_incremental_unassign(handle, partitions) {
                logger.info("Kafka incremental unassign failed", error: KafkaError.consuming(error))
            }
        } else {
            rd_kafka_assign(handle, nil)
        }
        logger.info(
            "Kafka partitions revoked",
            metadata: [
                "partitions": .string(changed.map(\.description).sorted().joined(separator: ", ")),
                "lost": .stringConvertible(lost),
            ]
        )
    }

    /// Removes partitions from the assignment and returns their stored offsets.
    @discardableResult
    private func forget(_ partitions: Set<KafkaTopicPartition>) -> [KafkaTopicPartition: Int64] {
        state.withLock { state in
            state.assignment.subtract(partitions)
            state.revokedDuringPoll.formUnion(partitions)
            var offsets: [KafkaTopicPartition: Int64] = [:]
            for partition in partitions {
                if let offset = state.storedOffsets.removeValue(forKey: partition) {
                    offsets[partition] = offset
                }
            }
            return offsets
        }
    }

    private func commit(_ handle: OpaquePointer, _ offsets: [KafkaTopicPartition: Int64]) {
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for (partition, offset) in offsets {
            list.add(partition, offset: offset)
        }
        let error = list.withListPointer { rd_kafka_commit(handle, $0, 0) }
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.debug(
                "Committed stored offsets of revoked partitions",
                metadata: [KafkaLoggingKeys.count: .stringConvertible(offsets.count)]
            )
        } else {
            // The records after the last committed offset will be redelivered to the next owner (at least
            // once); their processing is idempotent through the inbox.
            // On the 2.0.2 mock cluster this happens whenever the group is already rebalancing (it answers
            // REBALANCE_IN_PROGRESS; a real broker accepts commits of the current generation then).
            logger.info(
                "Committing offsets of revoked partitions failed; their records will be redelivered",
                error: KafkaError.rdKafka(error),
                metadata: [
                    KafkaLoggingKeys.errorName: .string(String(cString: rd_kafka_err2name(error))),
                    KafkaLoggingKeys.count: .stringConvertible(offsets.count),
                ]
            )
        }
    }
}

// MARK: - rebalance_cb

/// `rebalance_cb`: served on the consumer's queue inside `rd_kafka_consumer_poll`/`rd_kafka_consumer_close`.
func rdKafkaRebalanceCallback(
    _ handle: OpaquePointer?,
    _ event: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let handle else { return }
    guard let opaque, let handler = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue().rebalance
    else {
        // Cannot happen (every consumer has a handler); keep librdkafka's default behaviour.
        rd_kafka_assign(handle, event == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? partitions : nil)
        return
    }
    handler.handle(handle, event: event, partitions: partitions)
}
