import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit
import Synchronization

/// The whole set as separate processes: the development broker (`concierge dev-broker`) and the five service
/// executables, each with its own schema in the test database (`e2e_<run>_<service>`) and its own HTTP port.
public final class ConciergeStack: Sendable {
    public static let serviceNames = ["intake", "assignment", "engagement", "complaints", "scoring"]

    public let runID: String
    public let brokers: String
    public let ports: [String: Int]
    public let logDirectory: URL
    let databaseURL: String
    let broker: ServiceProcess
    let processes = Mutex<[String: ServiceProcess]>([:])
    /// Settings added to (or overriding) a service's environment, by service name.
    let extraEnvironment: [String: [String: String]]

    private init(
        runID: String, brokers: String, ports: [String: Int], logDirectory: URL, databaseURL: String,
        broker: ServiceProcess, extraEnvironment: [String: [String: String]]
    ) {
        self.runID = runID
        self.brokers = brokers
        self.ports = ports
        self.logDirectory = logDirectory
        self.databaseURL = databaseURL
        self.broker = broker
        self.extraEnvironment = extraEnvironment
    }

    /// Starts the broker and the services and waits until every service reports ready.
    /// - Parameter environment: settings added to a service's environment, by service name.
    public static func start(
        services: [String] = serviceNames, environment: [String: [String: String]] = [:]
    ) async throws -> ConciergeStack {
        guard let databaseURL = TestEnvironment.databaseURL else { throw TestDatabase.Unavailable() }
        let runID = String(UUID().uuidString.prefix(8)).lowercased()
        let logDirectory = TestEnvironment.repositoryRoot.appendingPathComponent(".concierge/test-logs/e2e-\(runID)")
        let addressFile = logDirectory.appendingPathComponent("broker.addr")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let broker = try ServiceProcess(
            executable: "concierge", arguments: ["dev-broker", "--address-file", addressFile.path], environment: [:],
            logDirectory: logDirectory, name: "broker")
        let address = await TestHTTP.eventually(timeout: .seconds(20)) { () -> String? in
            (try? String(contentsOf: addressFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let brokers = address, !brokers.isEmpty else {
            await broker.terminate(timeout: .seconds(5))
            throw StackError(description: "the development broker did not start:\n\(broker.logTail())")
        }
        let ports = Dictionary(uniqueKeysWithValues: serviceNames.map { ($0, freeTCPPort()) })
        let stack = ConciergeStack(
            runID: runID, brokers: brokers, ports: ports, logDirectory: logDirectory, databaseURL: databaseURL,
            broker: broker, extraEnvironment: environment)
        do {
            for service in services { try stack.launch(service) }
            for service in services { try await stack.waitUntilReady(service) }
        } catch {
            await stack.stop()
            throw error
        }
        return stack
    }

    public func url(_ service: String) -> String { "http://127.0.0.1:\(ports[service]!)" }

    public func schema(_ service: String) -> String { "e2e_\(runID)_\(service)" }

    public var kafkaConfiguration: KafkaConfiguration { TestKafka.configuration(bootstrapServers: brokers) }

    func environment(for service: String) -> [String: String] {
        [
            "KAFKA_BROKERS": brokers,
            "KAFKA_CONSUMER_FETCH_WAIT_MAX_MS": "10",
            "KAFKA_CONSUMER_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS": "500",
            "DATABASE_URL": databaseURL,
            // Wins over DATABASE_URL; set explicitly so a value inherited from .concierge/postgres.env cannot.
            "\(service.uppercased())_DATABASE_URL": databaseURL,
            "DATABASE_SCHEMA": schema(service),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "\(ports[service]!)",
            "SERVICE_INSTANCE_ID": "\(service)-e2e",
            "LOG_LEVEL": "info",
            "PII_ENCRYPTION_KEYS": TestEnvironment.piiKeys,
        ].merging(extraEnvironment[service] ?? [:]) { $1 }
    }

    /// Starts (or starts again) `service`'s executable.
    public func launch(_ service: String) throws {
        let process = try ServiceProcess(
            executable: service, environment: environment(for: service), logDirectory: logDirectory)
        processes.withLock { $0[service] = process }
    }

    public func waitUntilReady(_ service: String, timeout: Duration = .seconds(60)) async throws {
        let url = self.url(service)
        let ready = await TestHTTP.eventually(timeout: timeout, interval: .milliseconds(200)) { () -> Bool? in
            await TestHTTP.get("\(url)/health/ready")?.status == 200 ? true : nil
        }
        guard ready == true else {
            let tail = processes.withLock { $0[service] }?.logTail() ?? ""
            throw StackError(description: "\(service) did not become ready within \(timeout):\n\(tail)")
        }
    }

    /// SIGKILL: the process gets no chance to commit offsets or flush.
    public func kill(_ service: String) {
        processes.withLock { $0[service] }?.kill()
    }

    public func process(_ service: String) -> ServiceProcess? {
        processes.withLock { $0[service] }
    }

    /// Stops the services (SIGTERM), the broker, and drops the run's schemas.
    public func stop() async {
        let all = processes.withLock { Array($0.values) }
        for process in all { await process.terminate(timeout: .seconds(20)) }
        await broker.terminate(timeout: .seconds(5))
        try? await withAdminClient { client in
            for service in Self.serviceNames {
                try await client.query("DROP SCHEMA IF EXISTS \(unescaped: self.schema(service)) CASCADE")
            }
        }
    }

    /// Runs `body` with a client for the test database's admin role (which can read every schema).
    public func withAdminClient<Result: Sendable>(_ body: @Sendable (PostgresClient) async throws -> Result)
        async throws -> Result
    {
        var settings = try DatabaseSettings(url: databaseURL, schema: "public")
        settings.maximumConnections = 4
        let client = PostgresClient(
            configuration: try settings.makeClientConfiguration(), backgroundLogger: Logger(label: "test.admin"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

struct StackError: Error, CustomStringConvertible {
    var description: String
}
