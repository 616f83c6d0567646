import Testing
@testable import Messaging

@Suite(.serialized, .timeLimit(.minutes(3)))
struct AdminTests {
    let logger = makeTestLogger()

    @Test func ensureTopicsFallsBackToMetadataOnTheMockCluster() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let names = [uniqueName("admin-a"), uniqueName("admin-b")]
        let outcomes = try await KafkaAdmin.ensureTopics(
            names,
            configuration: cluster.testConfiguration(),
            logger: logger,
            timeout: .seconds(10)
        )
        #expect(Set(outcomes.keys) == Set(names))
        for name in names {
            // The 2.0.2 mock has no CreateTopics; it auto-creates on Metadata with 4 partitions.
            #expect(outcomes[name] == KafkaAdmin.TopicOutcome(status: .verifiedByMetadata, partitionCount: 4))
        }

        // A second call finds them.
        let again = try await KafkaAdmin.ensureTopics(
            names,
            configuration: cluster.testConfiguration(),
            logger: logger,
            timeout: .seconds(10)
        )
        #expect(again[names[0]]?.status == .alreadyExisted)
    }

    @Test func topicsCreatedOnTheMockClusterHaveTheirPartitionCount() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let name = uniqueName("admin-created")
        try cluster.createTopic(name, partitions: 6, replicationFactor: 3)
        let outcomes = try await KafkaAdmin.ensureTopics(
            [name],
            configuration: cluster.testConfiguration(),
            logger: logger,
            timeout: .seconds(10)
        )
        #expect(outcomes[name] == KafkaAdmin.TopicOutcome(status: .alreadyExisted, partitionCount: 6))
    }

    @Test func missingTopicsAreAnErrorWhenCreationIsDisabled() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 1, logger: logger)
        var configuration = cluster.testConfiguration()
        configuration.createTopics = false
        await #expect(throws: KafkaError.self) {
            try await KafkaAdmin.ensureTopics(
                [uniqueName("admin-missing")],
                configuration: configuration,
                logger: logger,
                timeout: .seconds(10)
            )
        }
    }
}
