import Foundation
import Logging

/// One JSON object per line on standard output (`LOG_FORMAT=json`), for log shippers.
///
/// Fields: `time` (UTC, ms), `level`, `service`, `logger`, `message`, then the metadata. Services log ids, types,
/// topics and offsets, never payloads or customer data.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let service: String

    public init(label: String, service: String, level: Logger.Level) {
        self.label = label
        self.service = service
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        if let error = event.error { fields["error"] = "\(error)" }
        var line = "{\"time\":\"\(Self.timestamp())\",\"level\":\"\(event.level)\",\"service\":"
        line += Self.quoted(service) + ",\"logger\":" + Self.quoted(label) + ",\"message\":"
        line += Self.quoted(event.message.description)
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line += "," + Self.quoted(key) + ":" + Self.quoted("\(value)")
        }
        line += "}\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    static func timestamp() -> String {
        let milliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        return Self.formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    nonisolated(unsafe) private static let formatter: ISO8601DateFormatter = {
        // ISO8601DateFormatter is thread-safe for formatting once configured (Foundation documents it as such).
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
