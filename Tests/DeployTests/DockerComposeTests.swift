import Foundation
import Testing

/// Structure of `docker-compose.yml` (the file is never run here: no container engine).
@Suite("docker-compose.yml")
struct DockerComposeTests {
    let services: [String: YAMLValue]

    init() throws {
        let compose = try DeployFiles.yamlDocument("docker-compose.yml")
        services = try #require(compose["services"]?.map, "docker-compose.yml has no services mapping")
    }

    private func service(_ name: String) throws -> YAMLValue {
        try #require(services[name], "docker-compose.yml has no service \(name)")
    }

    @Test("defines the five services, Kafka, the topic job and PostgreSQL")
    func definesAllServices() {
        let expected = Set(ConciergeService.all.map(\.name) + ["kafka", "kafka-init", "postgres"])
        #expect(Set(services.keys) == expected)
    }

    // MARK: - Concierge services

    @Test("each service is built from deploy/Dockerfile with its EXEC_NAME", arguments: ConciergeService.all)
    func buildsFromSharedDockerfile(_ concierge: ConciergeService) throws {
        let build = try #require(try service(concierge.name)["build"], "\(concierge.name) has no build section")
        #expect(build["context"]?.string == ".", "the build context must be the repository root")
        #expect(build["dockerfile"]?.string == "deploy/Dockerfile")
        let args = try #require(build["args"], "\(concierge.name) passes no build args").keyValues
        #expect(args["EXEC_NAME"] == concierge.name)
        #expect(args["HTTP_PORT"] == String(concierge.port))
    }

    @Test("each service gets Kafka, its own database URL and the common settings", arguments: ConciergeService.all)
    func environment(_ concierge: ConciergeService) throws {
        let environment = try #require(try service(concierge.name)["environment"]).keyValues
        #expect(environment["KAFKA_BROKERS"] == "kafka:9092")
        #expect(environment["KAFKA_TOPIC_REPLICATION_FACTOR"] == "1")
        #expect(environment["HTTP_HOST"] == "0.0.0.0")
        #expect(environment["HTTP_PORT"] == String(concierge.port))
        #expect(environment["LOG_FORMAT"] == "json")
        #expect(environment["BUSINESS_TIME_ZONE"] == "Asia/Shanghai")

        // Its own role, password from a variable with a development default, the compose database.
        let databaseURL = try #require(environment["DATABASE_URL"], "\(concierge.name) has no DATABASE_URL")
        #expect(databaseURL.hasPrefix("postgres://\(concierge.name):${\(concierge.environmentPrefix)_DB_PASSWORD:-"))
        #expect(databaseURL.hasSuffix("}@postgres:5432/concierge?sslmode=disable"))
    }

    @Test(
        "H-03 intake and assignment get a PII_ENCRYPTION_KEYS key ring from the environment, with a 32-byte development default",
        arguments: ["intake", "assignment"])
    func personalDataKeys(name: String) throws {
        let environment = try #require(try service(name)["environment"]).keyValues
        let value = try #require(environment["PII_ENCRYPTION_KEYS"])
        #expect(value.hasPrefix("${PII_ENCRYPTION_KEYS:-"))
        let entry = String(value.dropFirst("${PII_ENCRYPTION_KEYS:-".count).dropLast())
        let parts = entry.split(separator: ":", maxSplits: 1)
        #expect(parts.count == 2)
        #expect(parts.count == 2 && Data(base64Encoded: String(parts[1]))?.count == 32)
    }

    @Test(
        "H-09 every service gets an AUTH_JWT_KEYS key ring for bearer tokens, with a development default of at least 32 bytes",
        arguments: ConciergeService.all)
    func accessTokenKeys(_ concierge: ConciergeService) throws {
        let environment = try #require(try service(concierge.name)["environment"]).keyValues
        let value = try #require(environment["AUTH_JWT_KEYS"], "\(concierge.name) has no AUTH_JWT_KEYS")
        #expect(value.hasPrefix("${AUTH_JWT_KEYS:-"))
        let entry = String(value.dropFirst("${AUTH_JWT_KEYS:-".count).dropLast())
        let parts = entry.split(separator: ":", maxSplits: 1)
        #expect(parts.count == 2 && (Data(base64Encoded: String(parts[1]))?.count ?? 0) >= 32)
    }

    @Test("each service publishes its port and checks /health/ready on it", arguments: ConciergeService.all)
    func portAndHealthcheck(_ concierge: ConciergeService) throws {
        let definition = try service(concierge.name)
        let ports = try #require(definition["ports"]).strings
        // "8081:8081" or "127.0.0.1:8081:8081"
        #expect(ports.contains { $0.hasSuffix("\(concierge.port):\(concierge.port)") })

        let test = try #require(definition["healthcheck"]?["test"], "\(concierge.name) has no healthcheck").strings
        let command = test.joined(separator: " ")
        #expect(command.contains("curl"))
        #expect(command.contains("http://localhost:\(concierge.port)/health/ready"))
        #expect(definition["healthcheck"]?["interval"] != nil)
    }

    @Test("each service waits for healthy PostgreSQL and Kafka and for the topics", arguments: ConciergeService.all)
    func dependencies(_ concierge: ConciergeService) throws {
        let definition = try service(concierge.name)
        let dependsOn = try #require(definition["depends_on"], "\(concierge.name) has no depends_on")
        #expect(dependsOn["postgres"]?["condition"]?.string == "service_healthy")
        #expect(dependsOn["kafka"]?["condition"]?.string == "service_healthy")
        #expect(dependsOn["kafka-init"]?["condition"]?.string == "service_completed_successfully")
        #expect(definition["restart"]?.string == "unless-stopped")
    }

    // MARK: - Infrastructure

    @Test("Kafka runs in KRaft mode with listeners for containers and for the host")
    func kafka() throws {
        let kafka = try service("kafka")
        #expect(kafka["image"]?.string == "apache/kafka:3.9.1")
        let environment = try #require(kafka["environment"]).keyValues
        let roles = try #require(environment["KAFKA_PROCESS_ROLES"]).split(separator: ",").map(String.init)
        #expect(Set(roles) == ["broker", "controller"])
        #expect(environment["KAFKA_CONTROLLER_QUORUM_VOTERS"] != nil)
        let advertised = try #require(environment["KAFKA_ADVERTISED_LISTENERS"])
        #expect(advertised.contains("//kafka:9092"))
        #expect(advertised.contains("//localhost:29092"))
        #expect(try #require(kafka["ports"]).strings.contains { $0.hasSuffix("29092:29092") })

        let healthcheck = try #require(kafka["healthcheck"]?["test"]).strings.joined(separator: " ")
        #expect(healthcheck.contains("kafka-broker-api-versions.sh") || healthcheck.contains("kafka-topics.sh"))
    }

    @Test("kafka-init creates every contract topic, and only those, with 6 partitions")
    func kafkaInit() throws {
        let job = try service("kafka-init")
        #expect(job["image"]?.string?.hasPrefix("apache/kafka:") == true)
        #expect(job["depends_on"]?["kafka"]?["condition"]?.string == "service_healthy")
        #expect(job["restart"] == nil || job["restart"]?.string == "no", "a one-shot job must not restart")

        let script = ((job["entrypoint"]?.strings ?? []) + (job["command"]?.strings ?? [])).joined(separator: "\n")
        #expect(script.contains("/opt/kafka/bin/kafka-topics.sh"))
        #expect(script.contains("--create"))
        #expect(script.contains("--if-not-exists"))

        // Words shaped like topic names (`a.b`), leaving out script file names.
        let words = script.split(whereSeparator: { $0.isWhitespace || "\\\"';".contains($0) }).map(String.init)
        let topicNames = words.filter { word in
            word.contains(".") && !word.hasSuffix(".sh")
                && word.allSatisfy { $0.isLowercase || $0 == "." }
                && !word.hasPrefix(".") && !word.hasSuffix(".")
        }
        #expect(Set(topicNames) == conciergeTopics)

        // Either literally or through the job's TOPIC_PARTITIONS variable.
        #expect(script.contains("--partitions"))
        let partitions = job["environment"]?.keyValues["TOPIC_PARTITIONS"]
        #expect(partitions == "6" || script.contains("--partitions 6"))
    }

    @Test("PostgreSQL 15 runs deploy/postgres/init.sql and reports health with pg_isready")
    func postgres() throws {
        let postgres = try service("postgres")
        #expect(postgres["image"]?.string == "postgres:15")
        let volumes = try #require(postgres["volumes"]).strings
        #expect(volumes.contains { $0.hasPrefix("./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/") })
        let healthcheck = try #require(postgres["healthcheck"]?["test"]).strings.joined(separator: " ")
        #expect(healthcheck.contains("pg_isready"))
    }

    @Test("PostgreSQL receives the same role passwords the services connect with", arguments: ConciergeService.all)
    func passwordsMatch(_ concierge: ConciergeService) throws {
        let postgresEnvironment = try #require(try service("postgres")["environment"]).keyValues
        let serviceEnvironment = try #require(try service(concierge.name)["environment"]).keyValues
        let variable = "\(concierge.environmentPrefix)_DB_PASSWORD"
        // e.g. "${INTAKE_DB_PASSWORD:-intake-dev}" in both places
        let passwordExpression = try #require(postgresEnvironment[variable], "postgres lacks \(variable)")
        #expect(passwordExpression.hasPrefix("${\(variable):-"))
        #expect(serviceEnvironment["DATABASE_URL"]?.contains(":\(passwordExpression)@") == true)
    }
}
