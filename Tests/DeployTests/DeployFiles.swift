import Foundation
import Yams

// MARK: - Expected values (the Concierge contract)

/// One of the five Concierge services and its contract HTTP port.
struct ConciergeService: Sendable, CustomStringConvertible {
    /// SwiftPM product name, compose service name, Kubernetes name, PostgreSQL role and schema.
    let name: String
    let port: Int

    /// Prefix of the service's environment variables, e.g. `INTAKE` in `INTAKE_DB_PASSWORD`.
    var environmentPrefix: String { name.uppercased() }

    var description: String { name }

    /// The five services in contract order, with their default ports.
    static let all: [ConciergeService] = [
        ConciergeService(name: "intake", port: 8081),
        ConciergeService(name: "assignment", port: 8082),
        ConciergeService(name: "engagement", port: 8083),
        ConciergeService(name: "complaints", port: 8084),
        ConciergeService(name: "scoring", port: 8085),
    ]
}

/// Every Kafka topic of the contract: input topics (§1.2), output topics and dead letters (§1.3).
let conciergeTopics: Set<String> = [
    "branch.visits", "branch.complaints", "callcentre.escalations", "customer.profiles",
    "staff.directory", "crm.activities",
    "intake.events", "assignment.events", "engagement.events", "complaints.events", "scoring.events",
    "concierge.deadletter",
]

// MARK: - Locating and reading the repository's files

enum DeployFilesError: Error, CustomStringConvertible {
    case repositoryRootNotFound(startingAt: String)
    case yamlDocumentCount(path: String, expected: Int, found: Int)
    case yamlSyntax(path: String, underlying: any Error)

    var description: String {
        switch self {
        case .repositoryRootNotFound(let start):
            "No folder containing Package.swift above \(start); set CONCIERGE_ROOT to the repository root"
        case .yamlDocumentCount(let path, let expected, let found):
            "\(path): expected \(expected) YAML document(s), found \(found)"
        case .yamlSyntax(let path, let underlying):
            "\(path) is not valid YAML: \(underlying)"
        }
    }
}

/// Reads the deployment files relative to the repository root.
///
/// The root is `CONCIERGE_ROOT` when that is set; otherwise the first folder above this source file
/// that contains `Package.swift`. The source path is resolved through symbolic links first, so the
/// tests also find the real repository when `Tests/DeployTests` is symlinked into another package.
/// The working directory is never used.
enum DeployFiles {
    static func repositoryRoot(filePath: String = #filePath) throws -> URL {
        let fileManager = FileManager.default
        if let override = ProcessInfo.processInfo.environment["CONCIERGE_ROOT"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true).resolvingSymlinksInPath()
        }
        let source = URL(fileURLWithPath: filePath).resolvingSymlinksInPath()
        var folder = source.deletingLastPathComponent()
        while folder.path != "/" {
            if fileManager.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder
            }
            folder = folder.deletingLastPathComponent()
        }
        throw DeployFilesError.repositoryRootNotFound(startingAt: source.path)
    }

    static func url(_ relativePath: String) throws -> URL {
        try repositoryRoot().appendingPathComponent(relativePath)
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    static func exists(_ relativePath: String) throws -> Bool {
        FileManager.default.fileExists(atPath: try url(relativePath).path)
    }

    /// File names (not paths) in a folder of the repository, sorted.
    static func fileNames(in relativeFolder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(relativeFolder).path).sorted()
    }

    /// Every YAML document in the file; throws if any of them does not parse.
    static func yamlDocuments(_ relativePath: String) throws -> [YAMLValue] {
        let yaml = try text(relativePath)
        do {
            return try YAMLValue.documents(in: yaml)
        } catch {
            throw DeployFilesError.yamlSyntax(path: relativePath, underlying: error)
        }
    }

    /// The file's single YAML document.
    static func yamlDocument(_ relativePath: String) throws -> YAMLValue {
        let documents = try yamlDocuments(relativePath)
        guard documents.count == 1 else {
            throw DeployFilesError.yamlDocumentCount(path: relativePath, expected: 1, found: documents.count)
        }
        return documents[0]
    }
}

// MARK: - YAML as plain values

/// A parsed YAML value as plain, `Sendable` Swift data. Built from Yams' `load`/`load_all`, which
/// apply merge keys (`<<: *anchor`) the way Docker Compose does.
enum YAMLValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case list([YAMLValue])
    case map([String: YAMLValue])

    /// Parses every document of a YAML stream; throws on the first syntax error.
    static func documents(in yaml: String) throws -> [YAMLValue] {
        var sequence = try Yams.load_all(yaml: yaml)
        var documents: [YAMLValue] = []
        while let document = sequence.next() {
            documents.append(YAMLValue(document))
        }
        // `YamlSequence` ends early and keeps the error instead of throwing it.
        if let error = sequence.error {
            throw error
        }
        return documents
    }

    init(_ value: Any?) {
        switch value {
        case nil, is NSNull:
            self = .null
        case let value as String:
            self = .string(value)
        case let value as Bool:
            self = .bool(value)
        case let value as Int:
            self = .int(value)
        case let value as Double:
            self = .double(value)
        case let value as [Any]:
            self = .list(value.map { YAMLValue($0) })
        case let value as [AnyHashable: Any]:
            var map: [String: YAMLValue] = [:]
            for (key, element) in value {
                map[String(describing: key.base)] = YAMLValue(element)
            }
            self = .map(map)
        case let value?:
            // Timestamps and other typed scalars: keep their text.
            self = .string(String(describing: value))
        }
    }

    subscript(key: String) -> YAMLValue? {
        if case .map(let map) = self { map[key] } else { nil }
    }

    var map: [String: YAMLValue]? {
        if case .map(let map) = self { map } else { nil }
    }

    var list: [YAMLValue]? {
        if case .list(let list) = self { list } else { nil }
    }

    /// The scalar's text (`8081` and `"8081"` both give "8081"); nil for lists and maps.
    var string: String? {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        case .null, .list, .map: nil
        }
    }

    /// The scalar as an integer, whether written as `8081` or `"8081"`.
    var int: Int? {
        switch self {
        case .int(let value): value
        case .string(let value): Int(value)
        default: nil
        }
    }

    /// A list of scalars as strings; a lone scalar as a one-element list.
    var strings: [String] {
        if let list { return list.compactMap(\.string) }
        return string.map { [$0] } ?? []
    }

    /// A Compose-style `environment`/`args` value as a dictionary: accepts both the mapping form
    /// and the list form (`- KEY=value`).
    var keyValues: [String: String] {
        if let map {
            return map.compactMapValues(\.string)
        }
        var result: [String: String] = [:]
        for entry in strings {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }
}
