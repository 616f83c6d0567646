import Events
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit
import Synchronization

/// The whole set as separate processes: the development broker (`concierge dev-broker`) and the five service
/// executables, each with its own schema in the test database (`e2e_<run>_<service>`) and its own HTTP port.
///
/// A service can run as several instances (processes of the same executable in the same consumer group, on the same
/// schema). Instances are named `<service>` (the first) and `<service>#2`, `<service>#3`…; `url(_:)`, `launch(_:)`,
/// `waitUntilReady(_:)`, `kill(_:)` and `process(_:)` take a service name (its first instance) or an instance name.
///
/// The broker is `concierge dev-broker` in a process of its own, or (``Broker/inProcess``) librdkafka's mock cluster
/// in the test process, whose fault injection (``cluster``) the reliability suite drives.
public final class ConciergeStack: Sendable {
    /// Where the development broker runs.
    public enum Broker: Sendable {
        /// `concierge dev-broker`, a separate process (the default).
        case process
        /// A ``KafkaMockCluster`` in this process with the contract topics (3 brokers, 6 partitions each), reachable
        /// through ``cluster`` for fault injection.
        case inProcess
    }

    public static let serviceNames = ["intake", "assignment", "engagement", "complaints", "scoring"]

    public let runID: String
    public let brokers: String
    /// HTTP ports by instance name.
    public let ports: [String: Int]
    /// How many instances each service runs (1 unless `start(…instances:)` said otherwise).
    let instanceCounts: [String: Int]
    public let logDirectory: URL
    /// The test database's admin URL (``withAdminClient(_:)``); services get their own roles (``databaseURL(for:)``).
    let databaseURL: String
    /// The password of the run's service roles: random per run, never written anywhere but the services' environment.
    let rolePassword = UUID().uuidString.replacingOccurrences(of: "-", with: "")
    /// The `concierge dev-broker` process (``Broker/process``).
    let broker: ServiceProcess?
    /// The mock cluster in this process (``Broker/inProcess``): set brokers down, move leaders and coordinators,
    /// inject request errors.
    public let cluster: KafkaMockCluster?
    let processes = Mutex<[String: ServiceProcess]>([:])
    /// Settings added to (or overriding) a service's environment, by service name.
    let extraEnvironment: [String: [String: String]]

    private init(
        runID: String, brokers: String, instanceCounts: [String: Int], logDirectory: URL, databaseURL: String,
        broker: ServiceProcess?, cluster: KafkaMockCluster?, extraEnvironment: [String: [String: String]]
    ) {
        self.runID = runID
        self.brokers = brokers
        self.instanceCounts = instanceCounts
        self.ports = Dictionary(
            uniqueKeysWithValues: Self.serviceNames.flatMap { Self.instanceNames($0, count: instanceCounts[$0]) }
                .map { ($0, freeTCPPort()) })
        self.logDirectory = logDirectory
        self.databaseURL = databaseURL
        self.broker = broker
        self.cluster = cluster
        self.extraEnvironment = extraEnvironment
    }

    /// Starts the broker and the services and waits until every instance reports ready.
    /// - Parameters:
    ///   - environment: settings added to a service's environment, by service name (all its instances get them).
    ///   - instances: how many processes to run, by service name (default 1).
    ///   - broker: where the development broker runs (default: its own process).
    public static func start(
        services: [String] = serviceNames, environment: [String: [String: String]] = [:],
        instances: [String: Int] = [:], broker kind: Broker = .process
    ) async throws -> ConciergeStack {
        guard let databaseURL = TestEnvironment.databaseURL else { throw TestDatabase.Unavailable() }
        let runID = String(UUID().uuidString.prefix(8)).lowercased()
        let logDirectory = TestEnvironment.repositoryRoot.appendingPathComponent(".concierge/test-logs/e2e-\(runID)")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let broker: ServiceProcess?
        let cluster: KafkaMockCluster?
        let brokers: String
        switch kind {
        case .process:
            let addressFile = logDirectory.appendingPathComponent("broker.addr")
            let process = try ServiceProcess(
                executable: "concierge", arguments: ["dev-broker", "--address-file", addressFile.path],
                environment: [:], logDirectory: logDirectory, name: "broker")
            let address = await TestHTTP.eventually(timeout: .seconds(20)) { () -> String? in
                (try? String(contentsOf: addressFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let address, !address.isEmpty else {
                await process.terminate(timeout: .seconds(5))
                throw StackError(description: "the development broker did not start:\n\(process.logTail())")
            }
            (broker, cluster, brokers) = (process, nil, address)
        case .inProcess:
            // What `concierge dev-broker` does: the 2.0.2 mock has no CreateTopics, so the topics are made here.
            let mock = try TestKafka.makeCluster(topics: Topics.all)
            (broker, cluster, brokers) = (nil, mock, mock.bootstrapServers)
        }
        let stack = ConciergeStack(
            runID: runID, brokers: brokers, instanceCounts: instances, logDirectory: logDirectory,
            databaseURL: databaseURL, broker: broker, cluster: cluster, extraEnvironment: environment)
        let started = services.flatMap(stack.instances(of:))
        do {
            try await stack.createRoles()
            for instance in started { try stack.launch(instance) }
            for instance in started { try await stack.waitUntilReady(instance) }
        } catch {
            await stack.stop()
            throw error
        }
        return stack
    }

    /// The instance names of `service`: `service` itself, then `service#2`, `service#3`…
    public func instances(of service: String) -> [String] {
        Self.instanceNames(service, count: instanceCounts[service])
    }

    static func instanceNames(_ service: String, count: Int?) -> [String] {
        [service] + (1..<max(1, count ?? 1)).map { "\(service)#\($0 + 1)" }
    }

    /// The service of an instance name (`assignment#2` → `assignment`) and the instance's number (from 1).
    static func parse(_ instance: String) -> (service: String, number: Int) {
        let parts = instance.split(separator: "#", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }

    public func url(_ instance: String) -> String { "http://127.0.0.1:\(ports[instance]!)" }

    /// The schema of a service, shared by all its instances.
    public func schema(_ service: String) -> String { "e2e_\(runID)_\(Self.parse(service).service)" }

    /// The database role of a service, shared by all its instances: named like its schema, which it owns.
    public func role(_ service: String) -> String { schema(service) }

    /// A service's database URL: its own role, with the password ``createRoles()`` gave it.
    public func databaseURL(for service: String) -> String {
        guard var components = URLComponents(string: databaseURL) else { return databaseURL }
        components.user = role(service)
        components.password = rolePassword
        return components.string ?? databaseURL
    }

    /// One least-privilege login role per service, owning its schema, as `deploy/local/postgres.sh` sets up for
    /// `make run` and a bank's database administrators do for a deployment: no service runs as a superuser, and
    /// what depends on the role (the outbox relay counts only its own role's transactions) is tested as deployed.
    func createRoles() async throws {
        do {
            try await withAdminClient { client in
                try await TestDatabase.changingRoles(on: client) { connection in
                    let log = TestDatabase.roleLogger
                    for service in Self.serviceNames {
                        let (role, schema) = (self.role(service), self.schema(service))
                        try await connection.query(
                            """
                            CREATE ROLE \(unescaped: role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
                                PASSWORD '\(unescaped: self.rolePassword)'
                            """, logger: log)
                        try await connection.query(
                            "GRANT CONNECT ON DATABASE \(unescaped: self.databaseName) TO \(unescaped: role)", logger: log)
                        try await connection.query(
                            "CREATE SCHEMA \(unescaped: schema) AUTHORIZATION \(unescaped: role)", logger: log)
                    }
                }
            }
        } catch {
            throw StackError(description: "could not create the run's service roles: \(String(reflecting: error))")
        }
    }

    /// The database the stack's URL names.
    var databaseName: String {
        let path = URLComponents(string: databaseURL)?.path ?? ""
        return path.hasPrefix("/") ? String(path.dropFirst()) : path
    }

    public var kafkaConfiguration: KafkaConfiguration { TestKafka.configuration(bootstrapServers: brokers) }

    func environment(for instance: String) -> [String: String] {
        let (service, number) = Self.parse(instance)
        return [
            "KAFKA_BROKERS": brokers,
            "KAFKA_CONSUMER_FETCH_WAIT_MAX_MS": "10",
            "KAFKA_CONSUMER_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS": "500",
            "DATABASE_URL": databaseURL(for: service),
            // Wins over DATABASE_URL; set explicitly so a value inherited from .concierge/postgres.env cannot.
            "\(service.uppercased())_DATABASE_URL": databaseURL(for: service),
            "DATABASE_SCHEMA": schema(service),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "\(ports[instance]!)",
            "SERVICE_INSTANCE_ID": number == 1 ? "\(service)-e2e" : "\(service)-e2e-\(number)",
            "LOG_LEVEL": "info",
            "PII_ENCRYPTION_KEYS": TestEnvironment.piiKeys,
            "AUTH_JWT_KEYS": TestEnvironment.authKeys,
        ].merging(extraEnvironment[service] ?? [:]) { $1 }
    }

    /// Starts (or starts again) an instance of a service's executable; its log is `<service>[-<n>]-….log`.
    /// - Parameter overrides: settings for this start only, over the stack's (e.g. `CONCIERGE_FAULT` to arm a fault
    ///   point, and `""` to start it disarmed again).
    public func launch(_ instance: String, overriding overrides: [String: String] = [:]) throws {
        let (service, number) = Self.parse(instance)
        let process = try ServiceProcess(
            executable: service, environment: environment(for: instance).merging(overrides) { $1 },
            logDirectory: logDirectory, name: number == 1 ? service : "\(service)-\(number)")
        processes.withLock { $0[instance] = process }
    }

    /// SIGTERM and wait for the graceful shutdown (SIGKILL after `timeout`).
    public func terminate(_ instance: String, timeout: Duration = .seconds(20)) async {
        await process(instance)?.terminate(timeout: timeout)
    }

    /// Terminates these instances all at once (SIGTERM; SIGKILL after `timeout`).
    public func terminate(_ instances: [String], timeout: Duration = .seconds(20)) async {
        await withTaskGroup(of: Void.self) { group in
            for instance in instances { group.addTask { await self.terminate(instance, timeout: timeout) } }
        }
    }

    /// Every instance name of the services this stack knows, started or not.
    public var allInstances: [String] {
        Self.serviceNames.flatMap(instances(of:))
    }

    public func waitUntilReady(_ instance: String, timeout: Duration = .seconds(60)) async throws {
        let url = self.url(instance)
        let ready = await TestHTTP.eventually(timeout: timeout, interval: .milliseconds(200)) { () -> Bool? in
            // A process that died (say, its port was taken) must not pass because something else answers there.
            // Read each time: a supervisor may have started the instance again meanwhile.
            if self.process(instance)?.isRunning == false { return false }
            return await TestHTTP.get("\(url)/health/ready")?.status == 200 ? true : nil
        }
        if ready == false {
            let tail = process(instance)?.logTail() ?? ""
            throw StackError(description: "\(instance) exited before it became ready:\n\(tail)")
        }
        guard ready == true else {
            let tail = process(instance)?.logTail() ?? ""
            throw StackError(description: "\(instance) did not become ready within \(timeout):\n\(tail)")
        }
    }

    /// SIGKILL: the process gets no chance to commit offsets or flush.
    public func kill(_ instance: String) {
        process(instance)?.kill()
    }

    public func process(_ instance: String) -> ServiceProcess? {
        processes.withLock { $0[instance] }
    }

    /// Stops the services (SIGTERM, all at once; SIGKILL after 20 s), the broker, and drops the run's schemas.
    public func stop() async {
        await terminate(processes.withLock { Array($0.keys) })
        await broker?.terminate(timeout: .seconds(5))
        try? await withAdminClient { client in
            try await TestDatabase.changingRoles(on: client) { connection in
                let log = TestDatabase.roleLogger
                for service in Self.serviceNames {
                    let (role, schema) = (self.role(service), self.schema(service))
                    try await connection.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: log)
                    try await connection.query(
                        "REVOKE CONNECT ON DATABASE \(unescaped: self.databaseName) FROM \(unescaped: role)", logger: log)
                    try await connection.query("DROP ROLE IF EXISTS \(unescaped: role)", logger: log)
                }
            }
        }
    }

    /// Waits until the staff tables of the services that keep a copy of `staff.directory` (assignment, complaints,
    /// engagement, scoring) hold every one of `staff`: staff records are keyed by staff id, so they arrive on
    /// different partitions, and one service having one of them says nothing of the others.
    /// - Parameter services: the services to wait for (those of the four that this stack runs).
    public func waitForDirectoryCopies(
        holding staff: [String], in services: [String] = ["assignment", "complaints", "engagement", "scoring"],
        timeout: Duration = .seconds(30)
    ) async throws {
        let ids = staff.map { "'\($0)'" }.joined(separator: ", ")
        let sql =
            "SELECT " + services.map { "(SELECT count(*) FROM \(schema($0)).staff WHERE staff_id IN (\(ids)))" }
                .joined(separator: " + ")
        let expected = staff.count * services.count
        let found = try await withAdminClient { client in
            await TestHTTP.eventually(timeout: timeout, interval: .milliseconds(100)) { () -> Int? in
                let rows = try? await client.query(PostgresQuery(unsafeSQL: sql)).collect()
                let count = (try? rows?.first?.decode(Int.self)) ?? 0
                return count == expected ? count : nil
            }
        }
        guard found == expected else {
            throw StackError(description: "the services' directory copies did not get \(staff) within \(timeout)")
        }
    }

    /// Runs `body` with a client for the test database's admin role (which can read every schema).
    ///
    /// The client's run loop is cancelled afterwards but not waited for: after a PostgreSQL crash, PostgresNIO 1.33
    /// can keep a connection leased forever (docs/reliability.md), and the test must still end.
    public func withAdminClient<Result: Sendable>(_ body: @Sendable (PostgresClient) async throws -> Result)
        async throws -> Result
    {
        var settings = try DatabaseSettings(url: databaseURL, schema: "public")
        settings.maximumConnections = 4
        let client = PostgresClient(
            configuration: try settings.makeClientConfiguration(), backgroundLogger: Logger(label: "test.admin"))
        let running = Task { await client.run() }
        defer { running.cancel() }
        return try await body(client)
    }
}

struct StackError: Error, CustomStringConvertible {
    var description: String
}
