import Testing
@testable import Messaging

@Suite(.serialized, .timeLimit(.minutes(3)))
struct ConfigurationTests {
    @Test func environmentVariablesMapToProperties() throws {
        let configuration = try KafkaConfiguration(environment: [
            "KAFKA_BROKERS": "broker-1:9092,broker-2:9092",
            "KAFKA_TOPIC_PARTITIONS": "12",
            "KAFKA_TOPIC_REPLICATION_FACTOR": "3",
            "KAFKA_CREATE_TOPICS": "false",
            "KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "KAFKA_SASL_MECHANISMS": "SCRAM-SHA-512",
            "KAFKA_SASL_PASSWORD": "hunter2",
            "KAFKA_PRODUCER_LINGER_MS": "20",
            "KAFKA_CONSUMER_FETCH_WAIT_MAX_MS": "10",
            "KAFKA_CONSUMER_SESSION_TIMEOUT_MS": "10000",
            "PATH": "/usr/bin",
            "KAFKAESQUE": "ignored: no KAFKA_ prefix",
        ])
        #expect(configuration.bootstrapServers == "broker-1:9092,broker-2:9092")
        #expect(configuration.topicPartitions == 12)
        #expect(configuration.topicReplicationFactor == 3)
        #expect(configuration.createTopics == false)
        #expect(
            configuration.properties == [
                "security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.password": "hunter2",
            ]
        )
        #expect(configuration.producerProperties == ["linger.ms": "20"])
        #expect(configuration.consumerProperties == ["fetch.wait.max.ms": "10", "session.timeout.ms": "10000"])
    }

    @Test func environmentDefaults() throws {
        let configuration = try KafkaConfiguration(environment: [:])
        #expect(configuration.bootstrapServers == "127.0.0.1:9092")
        #expect(configuration.topicPartitions == 6)
        #expect(configuration.topicReplicationFactor == -1)
        #expect(configuration.createTopics)
        #expect(configuration.properties.isEmpty)
        #expect(try KafkaConfiguration(environment: ["KAFKA_BOOTSTRAP_SERVERS": "a:1"]).bootstrapServers == "a:1")
    }

    @Test(arguments: [
        ["KAFKA_TOPIC_PARTITIONS": "six"],
        ["KAFKA_TOPIC_PARTITIONS": "0"],
        ["KAFKA_TOPIC_REPLICATION_FACTOR": "x"],
        ["KAFKA_TOPIC_REPLICATION_FACTOR": "0"],
        ["KAFKA_CREATE_TOPICS": "maybe"],
        ["KAFKA_CONSUMER_FETCH_WAIT_MAX_MS": "soon"],
        ["KAFKA_NO_SUCH_PROPERTY": "1"],
        ["KAFKA_PRODUCER_": "1"],
        ["KAFKA_BROKERS": "a:1", "KAFKA_BOOTSTRAP_SERVERS": "b:1"],
    ])
    func badValuesAreRejected(_ environment: [String: String]) {
        #expect(throws: KafkaError.self) { try KafkaConfiguration(environment: environment) }
        do {
            _ = try KafkaConfiguration(environment: environment)
        } catch {
            #expect(error.code == .configuration)
        }
    }

    @Test func errorsNameTheVariableAndRedactSecrets() {
        do {
            _ = try KafkaConfiguration(environment: ["KAFKA_CONSUMER_FETCH_WAIT_MAX_MS": "soon"])
            Issue.record("expected an error")
        } catch {
            #expect(error.reason.contains("fetch.wait.max.ms"))
            #expect(error.reason.contains("KAFKA_CONSUMER_FETCH_WAIT_MAX_MS"))
        }
        #expect(RDKafkaConfig.displayValue(of: "sasl.password", "hunter2") == "<redacted>")
        #expect(RDKafkaConfig.displayValue(of: "ssl.key.pem", "-----BEGIN") == "<redacted>")
        #expect(RDKafkaConfig.displayValue(of: "sasl.oauthbearer.client.secret", "s") == "<redacted>")
        #expect(RDKafkaConfig.displayValue(of: "linger.ms", "5") == "\"5\"")
    }

    @Test("Kafka tool and Kubernetes service-link variables are not librdkafka settings; a typo still fails")
    func unrelatedKafkaVariablesAreSkipped() throws {
        let configuration = try KafkaConfiguration(environment: [
            "KAFKA_HOME": "/opt/kafka", "KAFKA_HEAP_OPTS": "-Xmx1G", "KAFKA_PORT": "tcp://10.0.0.7:9092",
            "KAFKA_PORT_9092_TCP_ADDR": "10.0.0.7", "KAFKA_SERVICE_HOST": "10.0.0.7", "KAFKA_SERVICE_PORT": "9092",
            "KAFKA_SECURITY_PROTOCOL": "plaintext",
        ])
        #expect(configuration.properties == ["security.protocol": "plaintext"])
        #expect(throws: KafkaError.self) { try KafkaConfiguration(environment: ["KAFKA_SECURTY_PROTOCOL": "ssl"]) }
    }

    @Test func idempotenceCannotBeTurnedOff() throws {
        var configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.properties = ["acks": "1"]
        configuration.producerProperties = ["enable.idempotence": "false", "request.required.acks": "0", "linger.ms": "7"]
        let producer = try KafkaProducer(configuration: configuration, clientID: "idempotence", logger: makeTestLogger())
        #expect(producer.client.configurationValue("enable.idempotence") == "true")
        #expect(producer.client.configurationValue("acks") == "-1")
        // Other producer properties still apply after the defaults.
        #expect(producer.client.configurationValue("linger.ms") == "7")
        #expect(producer.client.configurationValue("client.id") == "idempotence")
    }

    @Test func consumerForcesManualOffsetStore() async throws {
        var configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.consumerProperties = ["enable.auto.offset.store": "true", "auto.offset.reset": "latest"]
        let consumer = try KafkaConsumer(
            configuration: configuration,
            groupID: "g",
            topics: ["t"],
            clientID: "c",
            logger: makeTestLogger()
        )
        #expect(consumer.client.configurationValue("enable.auto.offset.store") == "false")
        #expect(consumer.client.configurationValue("enable.auto.commit") == "true")
        #expect(consumer.client.configurationValue("auto.commit.interval.ms") == "1000")
        #expect(consumer.client.configurationValue("auto.offset.reset") == "largest")  // librdkafka's spelling of latest
        #expect(consumer.client.configurationValue("group.id") == "g")
        await consumer.close()
    }

    @Test("a consumer prefetches at most 16 MB by default; KAFKA_CONSUMER_QUEUED_MAX_MESSAGES_KBYTES changes it")
    func consumerPrefetchBound() async throws {
        let defaults = try KafkaConsumer(
            configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"), groupID: "g", topics: ["t"],
            clientID: "c", logger: makeTestLogger())
        #expect(defaults.client.configurationValue("queued.max.messages.kbytes") == "16384")
        await defaults.close()

        let configured = try KafkaConfiguration(
            environment: ["KAFKA_BROKERS": "127.0.0.1:1", "KAFKA_CONSUMER_QUEUED_MAX_MESSAGES_KBYTES": "4096"])
        let consumer = try KafkaConsumer(
            configuration: configured, groupID: "g", topics: ["t"], clientID: "c", logger: makeTestLogger())
        #expect(consumer.client.configurationValue("queued.max.messages.kbytes") == "4096")
        await consumer.close()
    }
}
