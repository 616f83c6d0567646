internal import CRdKafka
import Logging
import Synchronization

/// The single owner of one `rd_kafka_t`.
///
/// `@unchecked Sendable`: librdkafka documents `rd_kafka_t` as thread-safe: "all librdkafka API functions are
/// thread-safe" on a client handle (INTRODUCTION.md, "Threads and callbacks"), and the handle pointer itself
/// never changes. Calls that must not run concurrently (the consumer poll, close and commit) are serialised by
/// the owning ``KafkaConsumer`` on its own queue, not here.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind: String {
        case producer
        case consumer
        case admin
        case mock
    }

    let kind: Kind
    private let handle: OpaquePointer
    /// The `opaque` of every callback. Must outlive `handle`: librdkafka may call `log_cb` from its internal
    /// threads until `rd_kafka_destroy` returns. `deinit` destroys the handle before stored properties are
    /// released, which guarantees this.
    let context: RDKafkaCallbackContext

    private init(kind: Kind, handle: OpaquePointer, context: RDKafkaCallbackContext) {
        self.kind = kind
        self.handle = handle
        self.context = context
    }

    deinit {
        // A consumer that was not closed skips the blocking leave-group round trip here: deinit may run on the
        // cooperative pool. The group notices after session.timeout.ms. `KafkaConsumer.close()` is the
        // graceful path and makes this flag a no-op.
        let flags: Int32 = kind == .consumer ? RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE : 0
        rd_kafka_destroy_flags(handle, flags)
    }

    /// Lends the handle to `body`. Do not let the pointer escape.
    func withHandle<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        try body(handle)
    }

    /// Creates a client from `properties`, installing `Messaging`'s callbacks.
    static func make(
        kind: Kind,
        properties: RDKafkaConfig.Properties,
        context: RDKafkaCallbackContext
    ) throws(KafkaError) -> RDKafkaClient {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .clientCreation, reason: "rd_kafka_conf_new failed")
        }
        do {
            try RDKafkaConfig.apply(properties, to: conf)
        } catch {
            rd_kafka_conf_destroy(conf)
            throw error
        }

        // Unretained: the client keeps `context` alive for as long as librdkafka may call back (see `context`).
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        if kind == .producer || kind == .consumer {
            // Served by rd_kafka_poll / rd_kafka_consumer_poll on the client's own thread. Admin and mock
            // handles are never polled, so their errors reach the logger through log_cb instead.
            rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        }
        switch kind {
        case .producer:
            rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryReportCallback)
        case .consumer:
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
        case .admin, .mock:
            break
        }

        var errorBuffer = [CChar](repeating: 0, count: 512)
        let type = kind == .consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER
        guard let handle = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
            // rd_kafka_new takes ownership of the conf only on success.
            rd_kafka_conf_destroy(conf)
            let message = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(code: .clientCreation, reason: "rd_kafka_new failed: \(message)")
        }
        return RDKafkaClient(kind: kind, handle: handle, context: context)
    }

    /// The effective value of a property (after defaults and aliases), or nil if unknown.
    func configurationValue(_ key: String) -> String? {
        withHandle { handle in
            guard let conf = rd_kafka_conf(handle) else { return nil }
            var size = 0
            guard rd_kafka_conf_get(conf, key, nil, &size) == RD_KAFKA_CONF_OK, size > 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: size)
            guard rd_kafka_conf_get(conf, key, &buffer, &size) == RD_KAFKA_CONF_OK else { return nil }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The client's fatal error (idempotent producer or static-membership fencing), if any.
    func fatalError() -> KafkaError? {
        withHandle { handle in
            var buffer = [CChar](repeating: 0, count: 512)
            let code = rd_kafka_fatal_error(handle, &buffer, buffer.count)
            guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .rdKafka(code, reason: message, isFatal: true, isRetriable: false)
        }
    }
}

/// What librdkafka's callbacks need, reachable through the `opaque` pointer.
final class RDKafkaCallbackContext: Sendable {
    let logger: Logger
    /// Producer only: resolves delivery boxes.
    let delivery: RDKafkaDeliveryTracker?
    /// Consumer only: performs assignments and revocations.
    let rebalance: RDKafkaRebalanceHandler?

    init(logger: Logger, delivery: RDKafkaDeliveryTracker? = nil, rebalance: RDKafkaRebalanceHandler? = nil) {
        self.logger = logger
        self.delivery = delivery
        self.rebalance = rebalance
    }
}

// MARK: - C callbacks

/// `log_cb`. May run on any librdkafka thread (broker threads, the main thread, the mock cluster thread), so it
/// only touches the immutable logger. librdkafka's levels are syslog levels; as a library we log at info or
/// below: errors and warnings at info, notice and info at debug, debug at trace.
private func rdKafkaLogCallback(
    _ handle: OpaquePointer?,
    _ level: Int32,
    _ facility: UnsafePointer<CChar>?,
    _ message: UnsafePointer<CChar>?
) {
    guard let handle, let opaque = rd_kafka_opaque(handle), let message else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let loggerLevel: Logger.Level
    switch level {
    case ...4: loggerLevel = .info
    case 5, 6: loggerLevel = .debug
    default: loggerLevel = .trace
    }
    guard context.logger.logLevel <= loggerLevel else { return }
    context.logger.log(
        level: loggerLevel,
        "librdkafka: \(String(cString: message))",
        metadata: [KafkaLoggingKeys.facility: .string(facility.map { String(cString: $0) } ?? "")]
    )
}

/// `error_cb`, served on the client's poll thread. Errors are mostly transient (librdkafka retries); fatal ones
/// are also surfaced by the failing calls themselves.
private func rdKafkaErrorCallback(
    _ handle: OpaquePointer?,
    _ error: Int32,
    _ reason: UnsafePointer<CChar>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let opaque else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let code = rd_kafka_resp_err_t(rawValue: error)
    context.logger.info(
        "Kafka client error",
        metadata: [
            KafkaLoggingKeys.errorName: .string(String(cString: rd_kafka_err2name(code))),
            "reason": .string(reason.map { String(cString: $0) } ?? ""),
            "fatal": .stringConvertible(code == RD_KAFKA_RESP_ERR__FATAL),
        ]
    )
}
