/// An error from `Messaging`: a librdkafka error, a configuration problem or a lifecycle misuse.
///
/// Compare errors by ``code``; ``reason`` is for humans and logs. ``isRetriable`` and ``isFatal`` come from
/// librdkafka where it says so, otherwise from the error code.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// What went wrong. A struct over a private enum, so new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case configuration
            case clientCreation
            case queueFull
            case messageTimedOut
            case purged
            case shutdown
            case consumerClosed
            case invalidState
            case timedOut
            case transport
            case allBrokersDown
            case unsupportedFeature
            case unknownTopicOrPartition
            case topicAlreadyExists
            case rebalanceInProgress
            case fatal
            case mockCluster
            case underlying
        }

        fileprivate let base: Base

        fileprivate init(_ base: Base) {
            self.base = base
        }

        /// A librdkafka property name or value was rejected, or an environment variable could not be parsed.
        public static let configuration = Code(.configuration)
        /// `rd_kafka_new` failed (for example an inconsistent combination of properties).
        public static let clientCreation = Code(.clientCreation)
        /// The producer's local queue is full (`queue.buffering.max.messages`/`.kbytes`).
        public static let queueFull = Code(.queueFull)
        /// The record was not acknowledged within `message.timeout.ms`. It may or may not have been written.
        public static let messageTimedOut = Code(.messageTimedOut)
        /// The record was purged at producer shutdown before it was acknowledged. It may or may not have been
        /// written (if it was in flight).
        public static let purged = Code(.purged)
        /// The producer is shutting down or has shut down and accepts no more records.
        public static let shutdown = Code(.shutdown)
        /// The consumer was closed.
        public static let consumerClosed = Code(.consumerClosed)
        /// The call is not allowed in the client's current state (for example `run()` called twice).
        public static let invalidState = Code(.invalidState)
        /// A blocking operation (metadata, commit, admin request) timed out.
        public static let timedOut = Code(.timedOut)
        /// A broker connection failed.
        public static let transport = Code(.transport)
        /// No broker is reachable.
        public static let allBrokersDown = Code(.allBrokersDown)
        /// The broker does not support the request (for example CreateTopics on the librdkafka mock cluster).
        public static let unsupportedFeature = Code(.unsupportedFeature)
        /// The topic or partition does not exist.
        public static let unknownTopicOrPartition = Code(.unknownTopicOrPartition)
        /// The topic already exists.
        public static let topicAlreadyExists = Code(.topicAlreadyExists)
        /// The consumer group is rebalancing.
        public static let rebalanceInProgress = Code(.rebalanceInProgress)
        /// The client hit a fatal error (for example the idempotent producer lost its guarantees) and must be
        /// recreated.
        public static let fatal = Code(.fatal)
        /// A mock-cluster fault-injection call failed.
        public static let mockCluster = Code(.mockCluster)
        /// Any other librdkafka error; see ``KafkaError/rdKafkaErrorName``.
        public static let underlying = Code(.underlying)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation. Never contains property values of secrets or record payloads.
    public var reason: String
    /// librdkafka's name for the underlying error code (`rd_kafka_err2name`), e.g. `_MSG_TIMED_OUT`.
    public var rdKafkaErrorName: String?
    /// The raw `rd_kafka_resp_err_t` value: negative for client-side errors, positive for Kafka protocol errors.
    public var rdKafkaErrorCode: Int?
    /// Whether repeating the operation later may succeed.
    public var isRetriable: Bool
    /// Whether the client is unusable and must be recreated.
    public var isFatal: Bool
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int

    /// Creates an error. `Messaging` creates these; the initializer is public for fakes in tests.
    public init(
        code: Code,
        reason: String,
        isRetriable: Bool = false,
        isFatal: Bool = false,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "KafkaError.\(code): \(reason)"
        if let rdKafkaErrorName {
            text += " [\(rdKafkaErrorName)]"
        }
        if isFatal {
            text += " (fatal)"
        } else if isRetriable {
            text += " (retriable)"
        }
        return text + " (\(file):\(line))"
    }
}
