import ArgumentParser
import Foundation
import Logging
import Messaging

/// `concierge consume`: print the messages of one or more topics, one JSON line each (like `kcat -C`).
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print messages of topics as JSON lines: topic, partition, offset, key, value (the event).",
        discussion: "Reads from the beginning with a throw-away consumer group; commits nothing."
    )

    @OptionGroup var kafka: KafkaOptions

    @Option(name: .shortAndLong, help: "Topic to read (repeatable).")
    var topic: [String]

    @Option(help: "Stop after this many messages.")
    var max: Int?

    @Option(help: "Stop after this many seconds without a new message (0 = keep following).")
    var idleTimeout: Double = 5

    func run() async throws {
        guard !topic.isEmpty else { throw ValidationError("give at least one --topic") }
        var logger = Logger(label: "concierge.consume")
        logger.logLevel = .warning
        var configuration = try kafka.configuration()
        configuration.consumerProperties["enable.auto.commit"] = "false"
        configuration.consumerProperties["auto.offset.reset"] = "earliest"
        configuration.consumerProperties["fetch.wait.max.ms"] = configuration.consumerProperties["fetch.wait.max.ms"] ?? "10"
        let consumer = try KafkaConsumer(
            configuration: configuration, groupID: "concierge-cli-\(UUID().uuidString.lowercased())", topics: topic,
            clientID: "concierge-cli", logger: logger)
        var printed = 0
        var lastMessage = ContinuousClock.now
        while max.map({ printed < $0 }) ?? true {
            let records = try await consumer.poll(maxRecords: 100, timeout: .milliseconds(200))
            for record in records {
                printLine(Self.line(record))
                printed += 1
                if let max, printed >= max { break }
            }
            if !records.isEmpty {
                lastMessage = .now
            } else if idleTimeout > 0, ContinuousClock.now - lastMessage > .milliseconds(Int(idleTimeout * 1000)) {
                break
            }
        }
        await consumer.close()
    }

    static func line(_ record: KafkaRecord) -> String {
        var object: [String: Any] = [
            "topic": record.topic, "partition": record.partition, "offset": record.offset,
        ]
        object["key"] = record.key.map { String(decoding: $0, as: UTF8.self) }
        if let value = try? JSONSerialization.jsonObject(with: Data(record.value)) {
            object["value"] = value
        } else {
            object["valueBase64"] = Data(record.value).base64EncodedString()
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
