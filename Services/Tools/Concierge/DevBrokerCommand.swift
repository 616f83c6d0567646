import ArgumentParser
import Events
import Foundation
import Logging
import Messaging

/// `concierge dev-broker`: a Kafka-protocol development broker on loopback (librdkafka's mock cluster).
struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run librdkafka's in-process mock cluster as a development broker and create the contract topics.",
        discussion: """
            For one machine only: data lives in memory and is gone when the broker stops, and each partition keeps
            at most about 100,000 messages / 5 MB. Real deployments set KAFKA_BROKERS to a real cluster.
            Stops on SIGINT or SIGTERM.
            """
    )

    @Option(help: "Number of brokers in the mock cluster.")
    var brokers = 3

    @Option(help: "Partitions per topic.")
    var partitions = 6

    @Option(help: "Write the bootstrap servers to this file once the topics exist.")
    var addressFile: String?

    func run() async throws {
        var logger = Logger(label: "concierge.dev-broker")
        logger.logLevel = .info
        let cluster = try KafkaMockCluster(brokerCount: brokers, logger: logger)
        for topic in Topics.all {
            try cluster.createTopic(topic, partitions: partitions, replicationFactor: min(3, brokers))
        }
        let servers = cluster.bootstrapServers
        if let addressFile {
            // Write then rename, so a reader never sees a half-written file.
            let temporary = addressFile + ".tmp"
            try Data((servers + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, addressFile) == 0 else {
                throw ValidationError("cannot write \(addressFile): errno \(errno)")
            }
        }
        printLine("development broker: \(brokers) brokers at \(servers); \(Topics.all.count) topics × \(partitions) partitions")
        await SignalWaiter.waitForTermination()
        printLine("development broker stopping")
        withExtendedLifetime(cluster) {}
    }
}
