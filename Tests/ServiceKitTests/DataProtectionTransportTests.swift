import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit
import Synchronization
import TestSupport
import Testing

/// TLS and SASL settings reach the clients, secrets never reach a description or a log (rulebook H-01), and TLS to
/// PostgreSQL works for real against the private cluster, whose certificate `deploy/local/postgres.sh` issues.
@Suite("Transport security: Kafka TLS/SASL and PostgreSQL TLS", .serialized, .timeLimit(.minutes(2)))
struct DataProtectionTransportTests {
    static let saslPassword = "s3cr3t-Sasl-Pa55word"
    static let databasePassword = "db-Pa55word-never-shown"
    static let piiKey = "pii-1:" + Data(repeating: 0x5a, count: 32).base64EncodedString()

    static let kafkaEnvironment = [
        "KAFKA_BROKERS": "kafka-1.bank.internal:9093,kafka-2.bank.internal:9093",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISMS": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "concierge-intake",
        "KAFKA_SASL_PASSWORD": saslPassword,
        "KAFKA_SSL_CA_LOCATION": "/etc/ssl/certs/bank-ca.pem",
        "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "https",
        "KAFKA_SSL_KEY_PASSWORD": "key-Pa55word",
    ]

    /// Everything a configuration can be turned into text by: print, string interpolation, debug print, dump.
    static func renderings<T>(_ value: T) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    @Test("H-01 KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_* and KAFKA_SSL_* reach librdkafka; the password is never shown")
    func kafkaSASLPassThrough() throws {
        let configuration = try KafkaConfiguration(environment: Self.kafkaEnvironment)
        #expect(configuration.bootstrapServers == "kafka-1.bank.internal:9093,kafka-2.bank.internal:9093")
        #expect(
            configuration.properties == [
                "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "concierge-intake",
                "sasl.password": Self.saslPassword, "ssl.ca.location": "/etc/ssl/certs/bank-ca.pem",
                "ssl.endpoint.identification.algorithm": "https", "ssl.key.password": "key-Pa55word",
            ])
        for text in Self.renderings(configuration) {
            #expect(!text.contains(Self.saslPassword))
            #expect(!text.contains("key-Pa55word"))
            #expect(text.contains("<redacted>"))
            // What is not secret stays visible, so a misconfiguration can be diagnosed from a log.
            #expect(text.contains("SCRAM-SHA-512") && text.contains("concierge-intake") && text.contains("bank-ca.pem"))
        }
        // A value librdkafka refuses is reported by variable, without the secret.
        do {
            _ = try KafkaConfiguration(
                environment: ["KAFKA_SASL_PASSWORD": Self.saslPassword, "KAFKA_SECURITY_PROTOCOL": "SASL_TLS"])
            Issue.record("an unknown security protocol was accepted")
        } catch {
            #expect("\(error)".contains("KAFKA_SECURITY_PROTOCOL"))
            #expect(!"\(error)".contains(Self.saslPassword))
        }
    }

    @Test("H-01 a whole service configuration prints without the database password, the SASL password or any key")
    func serviceConfigurationRedacted() throws {
        var values = Self.kafkaEnvironment
        values["DATABASE_URL"] =
            "postgres://intake:\(Self.databasePassword)@db.bank.internal:5432/concierge?sslmode=verify-full&sslrootcert=/etc/ssl/certs/bank-ca.pem"
        values["PII_ENCRYPTION_KEYS"] = Self.piiKey
        values["AUTH_JWT_KEYS"] = TestEnvironment.authKeys
        let configuration = try ServiceConfiguration(
            serviceName: "intake", defaultHTTPPort: 8081, environment: EnvironmentReader(values))
        let cipher = try FieldCipher(environment: configuration.environment)
        let secrets = [
            Self.saslPassword, Self.databasePassword, String(Self.piiKey.dropFirst("pii-1:".count)),
            String(TestEnvironment.authKeys.split(separator: ":")[1]),
        ]
        for text in Self.renderings(configuration) + Self.renderings(configuration.database) + Self.renderings(cipher) {
            for secret in secrets { #expect(!text.contains(secret), "a secret in: \(text.prefix(200))…") }
        }
        #expect(configuration.database.description.contains("verify-full"))
        #expect(String(describing: configuration.database).contains("postgres://intake:***@db.bank.internal:5432"))
    }

    @Test("H-01 sslmode and sslrootcert in a DATABASE_URL choose the TLS behaviour; sslmode=disable stays possible")
    func sslModes() throws {
        let base = "postgres://intake:pw@db.bank.internal:5432/concierge"
        let verified = try DatabaseSettings(url: "\(base)?sslmode=verify-full&sslrootcert=/etc/ca.pem", schema: "intake")
        #expect(verified.sslMode == .verifyFull)
        #expect(verified.sslRootCertificatePath == "/etc/ca.pem")
        #expect(try DatabaseSettings(url: "\(base)?sslmode=require", schema: "intake").sslMode == .require)
        #expect(try DatabaseSettings(url: "\(base)?sslmode=verify-ca", schema: "intake").sslMode == .verifyCA)
        #expect(try DatabaseSettings(url: "\(base)?sslmode=disable", schema: "intake").sslMode == .disable)
        // libpq's default when sslmode is absent.
        #expect(try DatabaseSettings(url: base, schema: "intake").sslMode == .prefer)
        for mode in ["verify-full", "verify-ca", "require", "disable"] {
            _ = try DatabaseSettings(url: "\(base)?sslmode=\(mode)", schema: "intake").makeClientConfiguration()
        }
    }

    // MARK: - A real TLS connection

    /// The admin URL of the private cluster with its query replaced by `query`, and the host by `host`.
    static func databaseURL(host: String = "127.0.0.1", query: String) throws -> String {
        let url = try #require(TestEnvironment.databaseURL, "no test database: run the tests with make test")
        var components = try #require(URLComponents(string: url))
        components.host = host
        components.percentEncodedQuery = query
        return try #require(components.string)
    }

    /// The CA that issued the private cluster's server certificate.
    static func rootCertificate() throws -> String {
        let path =
            TestEnvironment.postgresSetting("CONCIERGE_PG_SSL_ROOT_CERT")
            ?? TestEnvironment.repositoryRoot.appendingPathComponent(".concierge/pg/tls/ca.crt").path
        try #require(
            FileManager.default.fileExists(atPath: path),
            "no CA certificate at \(path): start the cluster with deploy/local/postgres.sh (make test does)")
        return path
    }

    /// Whether the session of a client made from `url` is encrypted, per the server (`pg_stat_ssl`).
    static func sessionIsEncrypted(_ url: String) async throws -> Bool {
        try await TestDatabase.withClient(url: url, schema: "public") { client in
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").collect()
            return try #require(rows.first).decode(Bool.self)
        }
    }

    @Test(
        "H-01 PostgreSQL over TLS with sslmode=verify-full and the cluster's CA: the server reports the session encrypted",
        arguments: ["127.0.0.1", "localhost"])
    func verifiedTLS(host: String) async throws {
        let root = try Self.rootCertificate()
        let url = try Self.databaseURL(host: host, query: "sslmode=verify-full&sslrootcert=\(root)")
        #expect(try await Self.sessionIsEncrypted(url))
    }

    @Test("H-01 PostgreSQL: sslmode=require encrypts, sslmode=disable still connects in clear (existing URLs keep working)")
    func requireAndDisable() async throws {
        #expect(try await Self.sessionIsEncrypted(try Self.databaseURL(query: "sslmode=require")))
        #expect(try await Self.sessionIsEncrypted(try Self.databaseURL(query: "sslmode=disable")) == false)
    }

    @Test("H-01 PostgreSQL: sslmode=verify-full with a CA that did not issue the server's certificate fails to connect")
    func wrongCARefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concierge-wrong-ca-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let wrongCA = directory.appendingPathComponent("ca.pem")
        try Self.unrelatedCA.write(to: wrongCA, atomically: true, encoding: .utf8)
        let url = try Self.databaseURL(query: "sslmode=verify-full&sslrootcert=\(wrongCA.path)")
        var settings = try DatabaseSettings(url: url, schema: "public")
        settings.maximumConnections = 2
        // The pool retries a failed connection instead of failing the query, so watch what it reports.
        let log = CapturedLog()
        let client = PostgresClient(
            configuration: try settings.makeClientConfiguration(),
            backgroundLogger: Logger(label: "test.tls") { _ in CapturedLog.Handler(log: log) })
        let outcome = await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask {
                if (try? await client.query("SELECT 1").collect()) != nil {
                    log.lines.withLock { $0.append("query answered") }
                }
            }
            defer { group.cancelAll() }
            let failure = await TestHTTP.eventually(timeout: .seconds(10), interval: .milliseconds(50)) {
                log.lines.withLock { lines in lines.first { $0.contains("Connection creation failed") } }
            }
            return (failure: failure, connected: log.lines.withLock { $0.contains("query answered") })
        }
        let failure = try #require(outcome.failure, "no connection attempt was reported within 10 s")
        #expect(failure.contains("CERTIFICATE_VERIFY_FAILED"), "\(failure.prefix(300))")
        #expect(!outcome.connected)
    }

    /// Keeps what a logger writes, for a test to inspect.
    final class CapturedLog: Sendable {
        let lines = Mutex<[String]>([])

        struct Handler: LogHandler {
            let log: CapturedLog
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace

            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            func log(event: LogEvent) {
                let all = metadata.merging(event.metadata ?? [:]) { $1 }
                log.lines.withLock { $0.append("\(event.message) \(all) \(event.error.map { "\($0)" } ?? "")") }
            }
        }
    }

    /// A self-signed CA that has nothing to do with the cluster (public, generated once for this test; no key kept).
    static let unrelatedCA = """
        -----BEGIN CERTIFICATE-----
        MIIBqzCCAVGgAwIBAgIULbb/g5DWk6r70Axse2e53eVXKCUwCgYIKoZIzj0EAwIw
        KjEoMCYGA1UEAwwfQ29uY2llcmdlIHRlc3Q6IGFuIHVucmVsYXRlZCBDQTAgFw0y
        NjExMjMyMDI5MzJaGA8yMTI2MTAzMDIwMjkzMlowKjEoMCYGA1UEAwwfQ29uY2ll
        cmdlIHRlc3Q6IGFuIHVucmVsYXRlZCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH
        A0IABMrfDPi/2Hwiib7p2NLSyKTUzw80pfSi+JJ03Mf443Sr7m7hUYh5Q5zRmXOr
        E+4e/L8TisoxmlTgxiqkp8ubLfCjUzBRMB0GA1UdDgQWBBSoPr3vTzKDemljl8Ta
        fc/j/dWvIzAfBgNVHSMEGDAWgBSoPr3vTzKDemljl8Tafc/j/dWvIzAPBgNVHRMB
        Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCSYT6eWht2503cH5L7U4XhpOzu
        pAz2sJ5Nb8mM8syU3gIgFAG0zFKxvYJVyxsBS/uKHXmZhQcXfhrwOLeQFphSF+A=
        -----END CERTIFICATE-----

        """
}
