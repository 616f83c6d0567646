import ArgumentParser
import Foundation
import Messaging

/// `--brokers`, else `KAFKA_BROKERS` and the other `KAFKA_*` variables.
struct KafkaOptions: ParsableArguments {
    @Option(name: .long, help: "Bootstrap servers (default: $KAFKA_BROKERS, else 127.0.0.1:9092).")
    var brokers: String?

    func configuration() throws -> KafkaConfiguration {
        var configuration = try KafkaConfiguration(environment: ProcessInfo.processInfo.environment)
        if let brokers { configuration.bootstrapServers = brokers }
        return configuration
    }
}

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Writes a line to standard output at once (no buffering), so piped readers see it immediately.
func printLine(_ message: String) {
    FileHandle.standardOutput.write(Data((message + "\n").utf8))
}
