import Testing
@testable import Messaging

@Suite(.serialized, .timeLimit(.minutes(3)))
struct RebalanceTests {
    let logger = makeTestLogger()

    private struct Processed: Hashable {
        var partition: Int32
        var offset: Int64
    }

    @Test func survivingConsumerTakesOverFromTheCommittedOffsetsWithoutLoss() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        var configuration = cluster.testConfiguration()
        // No automatic commits: the only commits for a revoked partition come from the rebalance callback.
        configuration.consumerProperties["enable.auto.commit"] = "false"
        let topic = uniqueName("rebalance")
        let group = uniqueName("rebalance-group")
        try cluster.createTopic(topic, partitions: 6, replicationFactor: 3)
        let allPartitions = Set((0..<6).map { KafkaTopicPartition(topic: topic, partition: $0) })

        func records(_ range: Range<Int>) -> [KafkaOutgoingRecord] {
            range.map { KafkaOutgoingRecord(topic: topic, key: bytes("key-\($0 % 60)"), value: bytes("v\($0)")) }
        }
        var produced = try await produce(records(0..<300), configuration: configuration, logger: logger)

        let consumerA = try KafkaConsumer(configuration: configuration, groupID: group, topics: [topic], clientID: "a", logger: logger)
        let consumerB = try KafkaConsumer(configuration: configuration, groupID: group, topics: [topic], clientID: "b", logger: logger)
        var processedA: [KafkaRecord] = []
        var processedB: [KafkaRecord] = []

        // Phase 1: both join; poll both until the assignments are disjoint and cover all six partitions.
        let deadline = ContinuousClock.now.advanced(by: .seconds(40))
        while ContinuousClock.now < deadline {
            async let batchA = consumerA.poll(maxRecords: 100, timeout: .milliseconds(200))
            async let batchB = consumerB.poll(maxRecords: 100, timeout: .milliseconds(200))
            let (a, b) = try await (batchA, batchB)
            processedA += a
            processedB += b
            try consumerA.storeOffsets(a)
            try consumerB.storeOffsets(b)
            let (assignedA, assignedB) = (consumerA.assignment, consumerB.assignment)
            if !assignedA.isEmpty, !assignedB.isEmpty, assignedA.isDisjoint(with: assignedB),
                assignedA.union(assignedB) == allPartitions
            {
                break
            }
        }
        let assignedA = consumerA.assignment
        #expect(assignedA.count == 3)
        #expect(consumerB.assignment.count == 3)
        #expect(assignedA.isDisjoint(with: consumerB.assignment))
        #expect(assignedA.union(consumerB.assignment) == allPartitions)

        // Phase 2: more records; A handles one small batch, stores it, and leaves. Its revocation commits.
        produced += try await produce(records(300..<900), configuration: configuration, logger: logger)
        let lastBatchA = try await pollUntil(consumerA, maxRecords: 20) { !$0.isEmpty }
        processedA += lastBatchA
        // What A stored in its current assignment. (Offsets stored in an earlier generation may be gone: on the
        // mock, a revoke commit while the group is already rebalancing is rejected, so those records come again.)
        let storedByA = consumerA.storedOffsets
        let ownedByA = consumerA.assignment
        #expect(!storedByA.isEmpty)
        #expect(Set(storedByA.keys).isSubset(of: ownedByA))
        await consumerA.close()
        let processedBBeforeClose = processedB.count

        // Phase 3: B gets all six partitions and consumes until every produced record was seen by the pair.
        let expected = Set(produced.map { Processed(partition: $0.partition, offset: $0.offset) })
        var seen = Set((processedA + processedB).map { Processed(partition: $0.partition, offset: $0.offset) })
        let takeoverDeadline = ContinuousClock.now.advanced(by: .seconds(40))
        while (seen != expected || consumerB.assignment != allPartitions), ContinuousClock.now < takeoverDeadline {
            let batch = try await consumerB.poll(maxRecords: 200, timeout: .milliseconds(200))
            processedB += batch
            try consumerB.storeOffsets(batch)
            seen.formUnion(batch.map { Processed(partition: $0.partition, offset: $0.offset) })
        }
        #expect(consumerB.assignment == allPartitions)
        #expect(seen == expected, "records lost: \(expected.subtracting(seen).count)")

        // A's revocation on close committed exactly what A had stored.
        let committedByA = try await consumerB.committedOffsets(for: ownedByA, timeout: .seconds(5))
        #expect(committedByA == storedByA)

        // Nothing B handled after the takeover on A's partitions had been committed by A before.
        let afterTakeover = processedB[processedBBeforeClose...].filter { ownedByA.contains($0.topicPartition) }
        #expect(!afterTakeover.isEmpty)
        for record in afterTakeover {
            #expect(record.offset >= committedByA[record.topicPartition] ?? 0)
        }
        await consumerB.close()
    }

    @Test func lostPartitionsAreNotCommitted() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        var configuration = cluster.testConfiguration()
        configuration.consumerProperties["enable.auto.commit"] = "false"
        let topic = uniqueName("lost")
        try cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        _ = try await produce(
            (0..<20).map { KafkaOutgoingRecord(topic: topic, value: bytes("v\($0)")) },
            configuration: configuration,
            logger: logger
        )
        let consumer = try KafkaConsumer(
            configuration: configuration,
            groupID: uniqueName("lost-group"),
            topics: [topic],
            clientID: "lost",
            logger: logger
        )
        let first = try await pollUntil(consumer) { $0.count >= 20 }  // stores all 20
        #expect(first.count == 20)

        // The coordinator answers the next heartbeat with ILLEGAL_GENERATION (22): librdkafka treats the
        // assignment as lost. The stored offsets must not be committed; after rejoining, the records come again.
        try cluster.pushRequestErrors(apiKey: 12, errorCodes: [22])
        let again = try await pollUntil(consumer, limit: .seconds(40), store: false) { !$0.isEmpty }
        #expect(again.first?.offset == 0)
        #expect(try await consumer.committedOffsets(for: [partition], timeout: .seconds(5)).isEmpty)
        await consumer.close()
    }
}
