import ArgumentParser
import Events
import Foundation
import Logging
import Messaging

/// `concierge publish`: validate contract events and publish each on its topic with its key.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Validate CloudEvents (JSON) and publish them to their contract topics with the right key.",
        discussion: """
            Input: one JSON object, a JSON array of objects, or one object per line (NDJSON), from FILE or stdin.
            Missing envelope attributes are filled in unless --strict: specversion "1.0", a new UUID id, time = now,
            source "concierge-cli". Every event is validated against the contract first; nothing is published if
            one is invalid (see --raw to publish bytes as they are, for example to try the dead-letter path).
            """
    )

    @OptionGroup var kafka: KafkaOptions

    @Argument(help: "A file of events; '-' or nothing reads standard input.")
    var file: String?

    @Flag(help: "Do not fill in missing envelope attributes.")
    var strict = false

    @Flag(help: "Validate and print what would be published, but publish nothing.")
    var dryRun = false

    @Option(help: "Publish the input bytes unvalidated to this topic (one message per line).")
    var raw: String?

    @Option(help: "Message key for --raw.")
    var key: String?

    func run() async throws {
        let input = try readInput()
        var logger = Logger(label: "concierge.publish")
        logger.logLevel = .warning
        if let topic = raw {
            let records = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map {
                KafkaOutgoingRecord(topic: topic, key: key.map { Array($0.utf8) }, value: Array($0), headers: [])
            }
            try await publishRecords(records, descriptions: records.map { _ in "raw message" }, kafka: kafka.configuration(), logger: logger)
            return
        }

        let documents = try EventInput.split(input)
        let (records, descriptions, failures) = EventInput.records(for: documents, fill: !strict)
        guard failures.isEmpty else {
            failures.forEach { printError("invalid: \($0)") }
            throw ExitCode(1)
        }
        if dryRun {
            descriptions.forEach { print("would publish \($0)") }
            return
        }
        try await publishRecords(records, descriptions: descriptions, kafka: kafka.configuration(), logger: logger)
    }

    private func readInput() throws -> [UInt8] {
        if let file, file != "-" {
            return Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        }
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
}

/// Splitting and completing hand-written event input.
enum EventInput {
    struct InputError: Error, CustomStringConvertible {
        var description: String
    }

    /// One object, an array of objects, or NDJSON.
    static func split(_ bytes: [UInt8]) throws -> [[String: Any]] {
        let data = Data(bytes)
        if let whole = try? JSONSerialization.jsonObject(with: data) {
            if let object = whole as? [String: Any] { return [object] }
            if let array = whole as? [Any] {
                return try array.enumerated().map { index, element in
                    guard let object = element as? [String: Any] else {
                        throw InputError(description: "element \(index + 1) of the array is not a JSON object")
                    }
                    return object
                }
            }
        }
        var objects: [[String: Any]] = []
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw InputError(description: "line \(number + 1) is not a JSON object")
            }
            objects.append(object)
        }
        guard !objects.isEmpty else { throw InputError(description: "no events in the input") }
        return objects
    }

    static func fill(_ object: [String: Any], now: Date = Date()) -> [String: Any] {
        var object = object
        if object["specversion"] == nil { object["specversion"] = "1.0" }
        if object["id"] == nil { object["id"] = UUID().uuidString.lowercased() }
        if object["source"] == nil { object["source"] = "concierge-cli" }
        if object["datacontenttype"] == nil { object["datacontenttype"] = "application/json" }
        if object["time"] == nil {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            object["time"] = formatter.string(from: now)
        }
        return object
    }

    /// Validates each document against the contract and makes the Kafka record (topic, key, CloudEvents headers).
    static func records(for documents: [[String: Any]], fill: Bool) -> (
        records: [KafkaOutgoingRecord], descriptions: [String], failures: [String]
    ) {
        var records: [KafkaOutgoingRecord] = []
        var descriptions: [String] = []
        var failures: [String] = []
        for (index, document) in documents.enumerated() {
            do {
                let bytes = try serialize(fill ? EventInput.fill(document) : document)
                let event = try EventCatalog.decode(bytes)
                guard let topic = EventCatalog.topic(forEventType: event.type) else { continue }
                let key = event.payload.data.partitionKey
                records.append(
                    KafkaOutgoingRecord(
                        topic: topic, key: Array(key.utf8), value: bytes,
                        headers: [
                            KafkaHeader(key: "ce_specversion", value: Array("1.0".utf8)),
                            KafkaHeader(key: "ce_id", value: Array(event.id.utf8)),
                            KafkaHeader(key: "ce_type", value: Array(event.type.utf8)),
                            KafkaHeader(key: "ce_source", value: Array(event.source.utf8)),
                            KafkaHeader(key: "content-type", value: Array("application/cloudevents+json".utf8)),
                        ]))
                descriptions.append("\(event.type) id=\(event.id) → \(topic) key=\(key)")
            } catch let error as EventDecodingError {
                failures.append("event \(index + 1): \(error.reason)")
            } catch {
                failures.append("event \(index + 1): \(error)")
            }
        }
        return (records, descriptions, failures)
    }

    static func serialize(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}

/// Publishes and prints one line per record; exits 1 if any delivery failed.
func publishRecords(
    _ records: [KafkaOutgoingRecord], descriptions: [String], kafka: KafkaConfiguration, logger: Logger,
    verbose: Bool = true
) async throws {
    let results = try await withRunningProducer(kafka, logger: logger) { producer in
        await producer.send(records)
    }
    var failed = false
    for (description, result) in zip(descriptions, results) {
        switch result {
        case .success(let report):
            if verbose { print("published \(description) [partition \(report.partition), offset \(report.offset)]") }
        case .failure(let error):
            failed = true
            printError("failed \(description): \(error)")
        }
    }
    if failed { throw ExitCode(1) }
}
