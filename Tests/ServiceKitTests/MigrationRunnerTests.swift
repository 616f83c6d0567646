import Logging
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@Suite("Migrations, applied once under an advisory lock", .serialized, .timeLimit(.minutes(2)))
struct MigrationRunnerTests {
    let migrations = [
        Migration(name: "0001_init.sql", sql: "CREATE TABLE widgets (id int PRIMARY KEY); INSERT INTO widgets VALUES (1);"),
        Migration(name: "0002_more.sql", sql: "ALTER TABLE widgets ADD COLUMN name text;"),
    ]

    @Test("several instances starting together apply each migration exactly once")
    func concurrentStart() async throws {
        let migrations = self.migrations
        try await TestDatabase.withSchema(prefix: "mig") { client, settings in
            let logger = Logger(label: "test")
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await MigrationRunner(client: client, schema: settings.schema, logger: logger)
                            .applyWithKit(migrations)
                    }
                }
                var all: [String] = []
                for try await names in group { all += names }
                return all
            }
            #expect(applied.sorted() == ["0001_init.sql", "0002_more.sql", "kit/0001_outbox_inbox"])
            let rows = try await client.query("SELECT count(*) FROM widgets").collect()
            #expect(try rows.first?.decode(Int.self) == 1)
            // Applying again changes nothing.
            let again = try await MigrationRunner(client: client, schema: settings.schema, logger: logger)
                .applyWithKit(migrations)
            #expect(again.isEmpty)
        }
    }

    @Test("an applied migration that was edited stops the start with a clear error")
    func editedMigration() async throws {
        let migrations = self.migrations
        try await TestDatabase.withSchema(prefix: "mig") { client, settings in
            let runner = MigrationRunner(client: client, schema: settings.schema, logger: Logger(label: "test"))
            try await runner.applyWithKit(migrations)
            var edited = migrations
            edited[0].sql += " -- edited"
            let error = await #expect(throws: MigrationError.self) { try await runner.applyWithKit(edited) }
            #expect(error?.migration == "0001_init.sql")
        }
    }

    @Test("a failing migration leaves nothing half-applied")
    func failingMigration() async throws {
        try await TestDatabase.withSchema(prefix: "mig") { client, settings in
            let runner = MigrationRunner(client: client, schema: settings.schema, logger: Logger(label: "test"))
            let broken = [Migration(name: "0001_bad.sql", sql: "CREATE TABLE ok (id int); CREATE TABLE broken (id nosuchtype);")]
            await #expect(throws: (any Error).self) { try await runner.applyWithKit(broken) }
            let tables = try await client.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = \(settings.schema) AND table_name = 'ok'"
            ).collect()
            #expect(try tables.first?.decode(Int.self) == 0)
        }
    }
}
