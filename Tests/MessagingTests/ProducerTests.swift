import Logging
import ServiceLifecycle
import Testing
@testable import Messaging

@Suite(.serialized, .timeLimit(.minutes(3)))
struct ProducerTests {
    let logger = makeTestLogger()

    @Test func deliveryFailureSurfacesAsAnErrorWhenAllBrokersAreDown() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let topic = uniqueName("down")
        try cluster.createTopic(topic, partitions: 3, replicationFactor: 3)
        for broker: Int32 in 1...3 {
            try cluster.setBrokerDown(broker)
        }
        var configuration = cluster.testConfiguration()
        configuration.producerProperties = ["message.timeout.ms": "1500"]
        let producer = try KafkaProducer(configuration: configuration, clientID: "down-producer", logger: logger)

        let outcome: Result<KafkaDeliveryReport, KafkaError>? = try await withRunningProducer(producer, logger: logger) {
            producer in
            // A hang guard, not a timing assertion: the send must finish long before this.
            await withTaskGroup(of: Result<KafkaDeliveryReport, KafkaError>?.self) { group in
                group.addTask {
                    do throws(KafkaError) {
                        return .success(try await producer.send(KafkaOutgoingRecord(topic: topic, value: bytes("v"))))
                    } catch {
                        return .failure(error)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
        let result = try #require(outcome, "send did not finish")
        #expect(throws: KafkaError.self) { try result.get() }
        if case .failure(let error) = result {
            #expect(error.code == .messageTimedOut)
            #expect(error.isRetriable)
        }
        #expect(await producer.isClusterReachable(timeout: .milliseconds(300)) == false)
    }

    @Test func gracefulShutdownFlushesQueuedRecordsBeforeReturning() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let topic = uniqueName("flush")
        try cluster.createTopic(topic, partitions: 3, replicationFactor: 3)
        var configuration = cluster.testConfiguration()
        // Records would wait 60 s in the queue: only the shutdown flush sends them in time.
        configuration.producerProperties = ["linger.ms": "60000"]
        let producer = try KafkaProducer(configuration: configuration, clientID: "flush-producer", logger: logger)
        #expect(await producer.isClusterReachable(timeout: .seconds(5)))

        let boxes = try (0..<50).map { index in
            try producer.enqueue(KafkaOutgoingRecord(topic: topic, key: bytes("k\(index % 5)"), value: bytes("v\(index)")))
        }
        #expect(boxes.allSatisfy { $0.completedOutcome == nil })

        let group = ServiceGroup(services: [producer], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }

        // run() returned: every report must already be there, and successful.
        for box in boxes {
            let outcome = try #require(box.completedOutcome)
            let report = try outcome.get()
            #expect(report.topic == topic)
            #expect(report.offset >= 0)
        }
        await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaOutgoingRecord(topic: topic, value: bytes("late")))
        }
    }

    @Test func queueFullWaitsForDeliveryReportsAndKeepsOrder() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 3, logger: logger)
        let topic = uniqueName("queue-full")
        try cluster.createTopic(topic, partitions: 2, replicationFactor: 3)
        var configuration = cluster.testConfiguration()
        configuration.producerProperties = ["queue.buffering.max.messages": "10"]
        let producer = try KafkaProducer(configuration: configuration, clientID: "queue-full", logger: logger)
        let records = (0..<300).map { KafkaOutgoingRecord(topic: topic, key: bytes("same-key"), value: bytes("v\($0)")) }
        let results = try await withRunningProducer(producer, logger: logger) { await $0.send(records) }
        let reports = try results.map { try $0.get() }
        #expect(reports.count == 300)
        // One key, one partition: offsets follow input order.
        #expect(Set(reports.map(\.partition)).count == 1)
        #expect(reports.map(\.offset) == reports.map(\.offset).sorted())
    }

    @Test func runTwiceIsRejectedAndCancellationStopsRun() async throws {
        let cluster = try KafkaMockCluster(brokerCount: 1, logger: logger)
        let producer = try KafkaProducer(configuration: cluster.testConfiguration(), clientID: "twice", logger: logger)
        await withTaskGroup(of: KafkaError?.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    do {
                        try await producer.run()
                        return nil
                    } catch {
                        return error as? KafkaError
                    }
                }
            }
            // Whichever call started second fails at once; the other runs until cancelled.
            let rejected = await group.next() ?? nil
            group.cancelAll()
            let stopped = await group.next() ?? nil
            #expect(rejected?.code == .invalidState)
            #expect(stopped == nil)
        }
    }
}
