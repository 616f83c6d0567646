import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// A throw-away schema in the test PostgreSQL, with a running client whose `search_path` is that schema.
public enum TestDatabase {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String {
            "no test database: run the tests with `make test` (it starts PostgreSQL and sets CONCIERGE_TEST_DATABASE_URL)"
        }
    }

    /// Settings for a fresh schema named `<prefix>_<random>`.
    public static func settings(prefix: String) throws -> DatabaseSettings {
        guard let url = TestEnvironment.databaseURL else { throw Unavailable() }
        var settings = try DatabaseSettings(url: url, schema: TestEnvironment.uniqueName(prefix))
        settings.maximumConnections = 8
        return settings
    }

    /// Runs `body` with a client for `url` (any role) whose `search_path` is `schema`, which must exist; nothing is
    /// created or dropped.
    public static func withClient<Result: Sendable>(
        url: String, schema: String, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        var settings = try DatabaseSettings(url: url, schema: schema)
        settings.maximumConnections = 4
        let client = PostgresClient(
            configuration: try settings.makeClientConfiguration(), backgroundLogger: Logger(label: "test.database"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// The logger of role changes (``changingRoles(on:_:)``).
    public static let roleLogger = Logger(label: "test.roles")

    /// Runs `body` in a transaction that holds the test roles' advisory lock: roles are cluster-wide, and two
    /// concurrent GRANTs or REVOKEs on one database fail ("tuple concurrently updated"), so tests that create or
    /// drop roles take turns.
    public static func changingRoles(
        on client: PostgresClient, _ body: @Sendable (PostgresConnection) async throws -> Void
    ) async throws {
        try await client.withTransaction(logger: roleLogger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('concierge.test.roles'))", logger: roleLogger)
            try await body(connection)
        }
    }

    /// Runs `body` with a client on a new schema (migrated with `migrations` when given), then drops the schema.
    public static func withSchema<Result: Sendable>(
        prefix: String, migrations: [Migration]? = nil,
        _ body: @Sendable (PostgresClient, DatabaseSettings) async throws -> Result
    ) async throws -> Result {
        let settings = try settings(prefix: prefix)
        let logger = Logger(label: "test.database")
        let client = PostgresClient(configuration: try settings.makeClientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                if let migrations {
                    try await MigrationRunner(client: client, schema: settings.schema, logger: logger)
                        .applyWithKit(migrations)
                }
                let result = try await body(client, settings)
                _ = try? await client.query("DROP SCHEMA IF EXISTS \(unescaped: settings.schema) CASCADE")
                return result
            } catch {
                _ = try? await client.query("DROP SCHEMA IF EXISTS \(unescaped: settings.schema) CASCADE")
                throw error
            }
        }
    }
}
