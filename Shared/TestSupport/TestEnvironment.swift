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
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["CONCIERGE_TEST_DATABASE_URL"] { return url }
        let file = repositoryRoot.appendingPathComponent(".concierge/postgres.env")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("DATABASE_URL=") {
            return String(line.dropFirst("DATABASE_URL=".count))
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

    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}
