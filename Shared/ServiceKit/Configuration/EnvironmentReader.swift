import Foundation

/// Typed access to environment variables, with errors that name the variable.
///
/// Every setting of every service comes from the environment (12-factor); `docs/configuration.md`
/// lists them all. Empty values count as unset.
public struct EnvironmentReader: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The trimmed value, or `nil` when the variable is unset or blank.
    public func string(_ key: String) -> String? {
        guard let raw = values[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
            return nil
        }
        return raw
    }

    public func string(_ key: String, default defaultValue: String) -> String {
        string(key) ?? defaultValue
    }

    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>? = nil) throws(ConfigurationError)
        -> Int
    {
        guard let raw = string(key) else { return defaultValue }
        guard let value = Int(raw) else {
            throw ConfigurationError(key: key, reason: "expected a whole number, got \"\(raw)\"")
        }
        if let range, !range.contains(value) {
            throw ConfigurationError(key: key, reason: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = string(key)?.lowercased() else { return defaultValue }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(key: key, reason: "expected true or false, got \"\(raw)\"")
        }
    }

    /// A duration given in milliseconds (`…_MS` variables).
    public func milliseconds(_ key: String, default defaultValue: Duration) throws(ConfigurationError) -> Duration {
        guard string(key) != nil else { return defaultValue }
        return .milliseconds(try int(key, default: 0, in: 0...Int(Int32.max)))
    }
}

/// A configuration value that cannot be used. The service refuses to start and prints the reason.
public struct ConfigurationError: Error, CustomStringConvertible, Hashable, Sendable {
    public var key: String
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(key): \(reason)" }
}
