import Testing
@testable import Messaging

@Suite(.serialized, .timeLimit(.minutes(3)))
struct OffsetTests {
    let logger = makeTestLogger()

    /// One partition, 40 records: offsets 0…39.
    private func prepare(_ cluster: KafkaMockCluster, prefix: String) async throws -> String {
        let topic = uniqueName(prefix)
        try cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        let records = (0..<40).map { KafkaOutgoingRecord(topic: topic, key: bytes("k"), value: bytes("v\($0)")) }
        _ = try await produce(records, configuration: cluster.testConfiguration(), logger: logger)
        return topic
    }

    private func makeConsumer(_ cluster: KafkaMockCluster, group: String, topic: String) throws -> KafkaConsumer {
        try KafkaConsumer(
            configuration: cluster.testConfiguration(),
            groupID: group,
            topics: [topic],
            clientID: uniqueName("consumer"),
            logger: logger
        )
    }

    @Test func onlyStoredOffsetsAreCommitted() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let topic = try await prepare(cluster, prefix: "stored-half")
        let group = uniqueName("stored-half-group")

        let first = try makeConsumer(cluster, group: group, topic: topic)
        let polled = try await pollUntil(first, store: false, maxRecords: 20) { $0.count >= 20 }
        #expect(polled.map(\.offset) == Array(0..<Int64(polled.count)))
        // The "database transaction" committed only the first half.
        let half = polled.filter { $0.offset < 10 }
        let result = try first.storeOffsets(half)
        #expect(result.storedOffsets == [KafkaTopicPartition(topic: topic, partition: 0): 10])
        #expect(result.skippedRecordCount == 0)
        try await first.commit()
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        #expect(try await first.committedOffsets(for: [partition], timeout: .seconds(5)) == [partition: 10])
        await first.close()
        await first.close()  // idempotent

        let second = try makeConsumer(cluster, group: group, topic: topic)
        let resumed = try await pollUntil(second) { !$0.isEmpty }
        await second.close()
        // Resumes exactly after the stored half: the unstored records are delivered again.
        #expect(resumed.first?.offset == 10)
    }

    @Test("lag() is the high watermark minus the position, per assigned partition, and reaches 0 once everything is handed out")
    func lagFollowsThePosition() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let topic = try await prepare(cluster, prefix: "lag")
        let consumer = try makeConsumer(cluster, group: uniqueName("lag-group"), topic: topic)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let first = try await pollUntil(consumer, maxRecords: 5) { $0.count >= 15 }
        #expect(consumer.lag() == [partition: Int64(40 - first.count)])
        let rest = try await pollUntil(consumer) { $0.count >= 40 - first.count }
        #expect(first.count + rest.count == 40)
        #expect(consumer.lag() == [partition: 0])
        await consumer.close()
        #expect(consumer.lag().isEmpty)
    }

    @Test func nothingStoredMeansEverythingIsRedelivered() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let topic = try await prepare(cluster, prefix: "stored-none")
        let group = uniqueName("stored-none-group")

        let first = try makeConsumer(cluster, group: group, topic: topic)
        let polled = try await pollUntil(first, store: false) { $0.count >= 40 }
        #expect(polled.count == 40)
        try await first.commit()  // nothing stored: not an error, commits nothing
        await first.close()

        let second = try makeConsumer(cluster, group: group, topic: topic)
        let redelivered = try await pollUntil(second) { $0.count >= 40 }
        await second.close()
        #expect(redelivered.first?.offset == 0)
        #expect(redelivered.count == 40)
    }

    @Test func storingOffsetsOfUnassignedPartitionsIsSkippedAndReported() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let topic = uniqueName("unassigned")
        try cluster.createTopic(topic, partitions: 2, replicationFactor: 3)
        let consumer = try makeConsumer(cluster, group: uniqueName("unassigned-group"), topic: topic)

        // Before the group assigned anything, nothing is owned.
        let early = try consumer.storeOffsets([KafkaRecord(topic: topic, partition: 0, offset: 5, value: [])])
        #expect(early.storedOffsets.isEmpty)
        #expect(early.skippedPartitions == [KafkaTopicPartition(topic: topic, partition: 0)])
        #expect(early.skippedRecordCount == 1)

        _ = try await pollUntil(consumer) { _ in consumer.assignment.count == 2 }
        #expect(consumer.assignment == [KafkaTopicPartition(topic: topic, partition: 0), KafkaTopicPartition(topic: topic, partition: 1)])

        let mixed = try consumer.storeOffsets([
            KafkaRecord(topic: topic, partition: 1, offset: 0, value: []),
            KafkaRecord(topic: topic, partition: 7, offset: 3, value: []),
            KafkaRecord(topic: "someone-elses-topic", partition: 0, offset: 3, value: []),
            KafkaRecord(topic: "someone-elses-topic", partition: 0, offset: 4, value: []),
        ])
        #expect(mixed.storedOffsets == [KafkaTopicPartition(topic: topic, partition: 1): 1])
        #expect(
            mixed.skippedPartitions == [
                KafkaTopicPartition(topic: topic, partition: 7), KafkaTopicPartition(topic: "someone-elses-topic", partition: 0),
            ]
        )
        #expect(mixed.skippedRecordCount == 3)

        await consumer.close()
        #expect(consumer.assignment.isEmpty)
        #expect(throws: KafkaError.self) { try consumer.storeOffsets([KafkaRecord(topic: topic, partition: 1, offset: 1, value: [])]) }
        await #expect(throws: KafkaError.self) { try await consumer.poll(maxRecords: 1, timeout: .milliseconds(10)) }
    }
}
