import Foundation

/// Where the test infrastructure is: the repository, the built executables, the test database.
///
/// `make test` starts the private PostgreSQL cluster and exports `CONCIERGE_TEST_DATABASE_URL` (a role that may
/// create schemas) and `CONCIERGE_BIN_DIR` (the built executables).
public enum TestEnvironment {
    public static var repositoryRoot: URL {
        if let root = ProcessInfo.processInfo.environment["CONCIERGE_ROOT"] {
            return URL(fileURLWithPath: root)
        }
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// The admin URL of the test database, or the one `make test` / `make run` wrote to `.concierge/postgres.env`.
    public static var databaseURL: String? {
        ProcessInfo.processInfo.environment["CONCIERGE_TEST_DATABASE_URL"] ?? postgresFileSetting("DATABASE_URL")
    }

    /// A setting of the private PostgreSQL cluster: from the environment (`make test` exports
    /// `.concierge/postgres.env`), else from that file. For example `INTAKE_DATABASE_URL` (the intake role's URL) or
    /// `CONCIERGE_PG_SSL_ROOT_CERT` (the CA that issued the server's TLS certificate).
    public static func postgresSetting(_ key: String) -> String? {
        if let value = ProcessInfo.processInfo.environment[key], !value.isEmpty { return value }
        return postgresFileSetting(key)
    }

    /// A line `KEY=value` of `.concierge/postgres.env`.
    static func postgresFileSetting(_ key: String) -> String? {
        let file = repositoryRoot.appendingPathComponent(".concierge/postgres.env")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("\(key)=") {
            return String(line.dropFirst(key.count + 1))
        }
        return nil
    }

    public static var binDirectory: URL {
        if let directory = ProcessInfo.processInfo.environment["CONCIERGE_BIN_DIR"] {
            return URL(fileURLWithPath: directory)
        }
        return repositoryRoot.appendingPathComponent(".build/debug")
    }

    /// A short random suffix for schema, topic and group names.
    /// A personal-data key ring for tests (`PII_ENCRYPTION_KEYS`): a fixed, public key, never used outside tests.
    public static let piiKeys = "test-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    /// The access-token signing key ring for tests (`AUTH_JWT_KEYS`): a fixed, public key, never used outside tests.
    public static let authKeys = "test-jwt-1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}
