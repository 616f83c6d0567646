import Testing
@testable import Messaging

@Suite(.serialized, .timeLimit(.minutes(3)))
struct ProduceConsumeTests {
    let logger = makeTestLogger()

    @Test func thousandRecordsWithKeysAndHeadersRoundTripInKeyOrder() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let configuration = cluster.testConfiguration()
        let topic = uniqueName("roundtrip")
        try cluster.createTopic(topic, partitions: 6, replicationFactor: 3)

        let keyCount = 37
        let records = (0..<1000).map { index in
            KafkaOutgoingRecord(
                topic: topic,
                key: bytes("customer-\(index % keyCount)"),
                value: bytes("event-\(index)"),
                headers: [
                    KafkaHeader(key: "event-type", value: bytes("walk-in.flagged")),
                    KafkaHeader(key: "sequence", value: bytes(String(index))),
                    KafkaHeader(key: "empty", value: []),
                ]
            )
        }
        let reports = try await produce(records, configuration: configuration, logger: logger)
        #expect(reports.count == 1000)
        #expect(Set(reports.map { "\($0.partition)/\($0.offset)" }).count == 1000)

        let consumer = try KafkaConsumer(
            configuration: configuration,
            groupID: uniqueName("roundtrip-group"),
            topics: [topic],
            clientID: "roundtrip-consumer",
            logger: logger
        )
        let consumed = try await pollUntil(consumer) { $0.count >= 1000 }
        await consumer.close()

        #expect(consumed.count == 1000)
        var lastIndexPerKey: [String: Int] = [:]
        for record in consumed {
            let index = try #require(Int(text(record.value).dropFirst("event-".count)))
            let key = text(record.key)
            #expect(key == "customer-\(index % keyCount)")
            #expect(
                record.headers == [
                    KafkaHeader(key: "event-type", value: bytes("walk-in.flagged")),
                    KafkaHeader(key: "sequence", value: bytes(String(index))),
                    KafkaHeader(key: "empty", value: []),
                ]
            )
            #expect(record.topic == topic)
            #expect(record.timestampMilliseconds != nil)
            // Per-key order: every key's events arrive in the order they were produced.
            #expect((lastIndexPerKey[key] ?? -1) < index)
            lastIndexPerKey[key] = index
            #expect(reports[index].partition == record.partition && reports[index].offset == record.offset)
        }
        #expect(Set(consumed.map { text($0.value) }).count == 1000)
    }
}
