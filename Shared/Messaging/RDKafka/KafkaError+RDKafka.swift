internal import CRdKafka

// MARK: - KafkaError + librdkafka error codes

extension KafkaError {
    /// Wraps a `rd_kafka_resp_err_t`.
    static func rdKafka(
        _ error: rd_kafka_resp_err_t,
        reason: String? = nil,
        isFatal: Bool? = nil,
        isRetriable: Bool? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        let description = String(cString: rd_kafka_err2str(error))
        let code = Code(mapping: error)
        var result = KafkaError(
            code: code,
            reason: reason.map { "\($0): \(description)" } ?? description,
            isRetriable: isRetriable ?? Self.isRetriable(error),
            isFatal: isFatal ?? (error == RD_KAFKA_RESP_ERR__FATAL),
            file: file,
            line: line
        )
        result.rdKafkaErrorName = String(cString: rd_kafka_err2name(error))
        result.rdKafkaErrorCode = Int(error.rawValue)
        return result
    }

    /// Wraps (and destroys) a `rd_kafka_error_t`, which knows itself whether it is fatal or retriable.
    static func consuming(
        _ error: OpaquePointer,
        reason: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        // We own `error` (librdkafka hands rd_kafka_error_t to the caller) and destroy it after copying it out.
        defer { rd_kafka_error_destroy(error) }
        let message = String(cString: rd_kafka_error_string(error))
        return .rdKafka(
            rd_kafka_error_code(error),
            reason: reason.map { "\($0): \(message)" } ?? message,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            file: file,
            line: line
        )
    }

    private static func isRetriable(_ error: rd_kafka_resp_err_t) -> Bool {
        switch error {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE,
            RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
            RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR__WAIT_COORD,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
            return true
        default:
            return false
        }
    }
}

extension KafkaError.Code {
    init(mapping error: rd_kafka_resp_err_t) {
        switch error {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            self = .queueFull
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
            self = .messageTimedOut
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            self = .purged
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            self = .timedOut
        case RD_KAFKA_RESP_ERR__TRANSPORT:
            self = .transport
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
            self = .allBrokersDown
        case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
            self = .unsupportedFeature
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            self = .unknownTopicOrPartition
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            self = .topicAlreadyExists
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
            self = .rebalanceInProgress
        case RD_KAFKA_RESP_ERR__FATAL:
            self = .fatal
        case RD_KAFKA_RESP_ERR__INVALID_ARG:
            self = .configuration
        default:
            self = .underlying
        }
    }
}
