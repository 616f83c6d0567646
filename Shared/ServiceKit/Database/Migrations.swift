import Foundation
import Logging
import PostgresNIO

/// One SQL migration: a name that sorts in order (`0001_init.sql`) and its statements.
public struct Migration: Sendable, Hashable {
    public var name: String
    public var sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }

    /// FNV-1a 64 of the SQL text: an applied migration must never change (add a new one instead).
    var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The `*.sql` files of a service's `Migrations` resource folder, in name order.
    public static func load(from bundle: Bundle, subdirectory: String = "Migrations") throws -> [Migration] {
        guard let root = bundle.resourceURL?.appendingPathComponent(subdirectory) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try names.map { name in
            Migration(name: name, sql: try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8))
        }
    }
}

/// Applies migrations to one service schema, once, even with several instances starting together.
///
/// Holds a session advisory lock keyed by the schema for the whole run, so a second instance waits and then finds
/// everything applied. Each migration runs in its own transaction together with its `schema_migrations` row.
public struct MigrationRunner: Sendable {
    public let client: PostgresClient
    public let schema: String
    public let logger: Logger

    public init(client: PostgresClient, schema: String, logger: Logger) {
        self.client = client
        self.schema = schema
        self.logger = logger
    }

    /// - Returns: the names applied by this call (empty when everything was already there).
    /// - Throws: ``MigrationError`` when an applied migration's text changed; database errors as they are.
    @discardableResult
    public func apply(_ migrations: [Migration]) async throws -> [String] {
        precondition(DatabaseSettings.isValidIdentifier(schema), "schema is validated by DatabaseSettings")
        return try await client.withConnection { connection in
            let lockKey = "concierge.migrations.\(schema)"
            try await connection.query("SELECT pg_advisory_lock(hashtext(\(lockKey)))", logger: logger)
            do {
                let applied = try await applyLocked(migrations, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                return applied
            } catch {
                // The lock is session-scoped; release it so another instance can try, then report.
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                throw error
            }
        }
    }

    /// Applies the kit's own tables (outbox, inbox) and then `migrations`.
    @discardableResult
    public func applyWithKit(_ migrations: [Migration]) async throws -> [String] {
        try await apply(KitMigrations.all + migrations)
    }

    private func applyLocked(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [String] {
        let exists = try await connection.query(
            "SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger
        ).collect()
        if exists.isEmpty {
            try await connection.query("CREATE SCHEMA \(unescaped: schema)", logger: logger)
        }
        try await connection.query("SET search_path TO \(unescaped: schema)", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name text PRIMARY KEY,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        var known: [String: String] = [:]
        for try await (name, checksum) in try await connection.query(
            "SELECT name, checksum FROM schema_migrations", logger: logger
        ).decode((String, String).self) {
            known[name] = checksum
        }
        var applied: [String] = []
        for migration in migrations {
            if let checksum = known[migration.name] {
                guard checksum == migration.checksum else {
                    throw MigrationError(
                        migration: migration.name,
                        reason: "was changed after it was applied; add a new migration instead of editing it")
                }
                continue
            }
            try await connection.withTransaction(logger: logger) { connection in
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (name, checksum) VALUES (\(migration.name), \(migration.checksum))",
                    logger: logger)
            }
            logger.info("migration applied", metadata: ["db.migration": "\(migration.name)", "db.schema": "\(schema)"])
            applied.append(migration.name)
        }
        return applied
    }
}

/// A migration that cannot be applied safely.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public var migration: String
    public var reason: String
    public var description: String { "migration \(migration) \(reason)" }
}
