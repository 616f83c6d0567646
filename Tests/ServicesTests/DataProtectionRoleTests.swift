import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Assignment
@testable import Intake

/// Each service's database role can read and write only its own schema (rulebook H-01, H-09), with the real roles of
/// the private cluster (`deploy/local/postgres.sh`; `deploy/postgres/init.sql` grants the same way).
@Suite("Database roles: each service reaches only its own schema", .serialized, .timeLimit(.minutes(2)))
struct DataProtectionRoleTests {
    static let services = ["intake", "assignment", "engagement", "complaints", "scoring"]
    static let permissionDenied = "42501"

    /// The URL of `service`'s own role (`<SERVICE>_DATABASE_URL` of `.concierge/postgres.env`).
    static func roleURL(_ service: String) throws -> String {
        try #require(
            TestEnvironment.postgresSetting("\(service.uppercased())_DATABASE_URL"),
            "no URL for the \(service) role: run the tests with make test (deploy/local/postgres.sh writes it)")
    }

    /// Runs `body` logged in as `service`'s role, `search_path` its own schema.
    static func asRole<Result: Sendable>(
        _ service: String, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withClient(url: try roleURL(service), schema: service, body)
    }

    /// The SQLSTATE `sql` fails with, or `nil` when it succeeds.
    static func sqlState(_ sql: String, on client: PostgresClient) async -> String? {
        do {
            _ = try await client.query(PostgresQuery(unsafeSQL: sql)).collect()
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState] ?? "\(error.code)"
        } catch {
            return "\(error)"
        }
    }

    @Test("H-01 H-09 intake's database role cannot read assignment's tables")
    func intakeCannotReadAssignment() async throws {
        let probe = "C-ROLE-\(UUID().uuidString.prefix(8))"
        // Assignment applies its own migrations into schema `assignment` as its own role, and uses its tables.
        try await Self.asRole("assignment") { client in
            try await MigrationRunner(client: client, schema: "assignment", logger: Logger(label: "test.roles"))
                .applyWithKit(try AssignmentService.migrations())
            try await client.query(
                """
                INSERT INTO relationships (customer_id, manager_id, branch_id, service_team, reason, assigned_at)
                VALUES (\(probe), 'WM-ROLE', 'SH-ROLE', '{}', 'test', now())
                """)
        }
        // Intake reaches none of it — not by reading, writing or creating — and uses its own schema as usual.
        let refused = try await Self.asRole("intake") { client in
            let statements = [
                "SELECT * FROM assignment.relationships",
                "SELECT count(*) FROM assignment.transfers",
                "INSERT INTO assignment.relationships (customer_id, manager_id, branch_id, service_team, reason, "
                    + "assigned_at) VALUES ('X', 'X', 'X', '{}', 'x', now())",
                "UPDATE assignment.relationships SET manager_id = 'WM-INTAKE'",
                "DELETE FROM assignment.relationships",
                "CREATE TABLE assignment.intake_was_here (x int)",
                "CREATE TABLE public.intake_was_here (x int)",
                "CREATE SCHEMA intake_extra",
                "CREATE TEMPORARY TABLE intake_scratch (x int)",
                "SET ROLE assignment",
            ]
            var states: [String: String?] = [:]
            for sql in statements { states[sql] = await Self.sqlState(sql, on: client) }
            try await MigrationRunner(client: client, schema: "intake", logger: Logger(label: "test.roles"))
                .applyWithKit(try IntakeService.migrations())
            _ = try await client.query("SELECT count(*) FROM visits").collect()
            return states
        }
        for (sql, state) in refused {
            #expect(state == Self.permissionDenied, "as intake: \(sql)")
        }
        // What intake tried left assignment's rows as they were.
        let owner = try await Self.asRole("assignment") { client in
            let rows = try await client.query("SELECT manager_id FROM relationships WHERE customer_id = \(probe)").collect()
            try await client.query("DELETE FROM relationships WHERE customer_id = \(probe)")
            return try rows.first?.decode(String.self)
        }
        #expect(owner == "WM-ROLE")
    }

    @Test("H-01 H-09 every service role reads and writes its own schema and is refused every other (5 × 5)")
    func matrix() async throws {
        let table = "role_probe_\(UUID().uuidString.prefix(8).lowercased())"
        for service in Self.services {
            try await Self.asRole(service) { client in
                try await client.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(table) (x int)"))
                try await client.query(PostgresQuery(unsafeSQL: "INSERT INTO \(table) VALUES (1)"))
            }
        }
        var outcomes: [String] = []
        for role in Self.services {
            let results = try await Self.asRole(role) { client in
                var results: [String] = []
                for schema in Self.services {
                    let read = await Self.sqlState("SELECT x FROM \(schema).\(table)", on: client)
                    let write = await Self.sqlState("INSERT INTO \(schema).\(table) VALUES (2)", on: client)
                    let create = await Self.sqlState("CREATE TABLE \(schema).\(table)_more (x int)", on: client)
                    if schema == role {
                        results.append(read == nil && write == nil && create == nil ? "ok" : "own \(schema) refused")
                        _ = await Self.sqlState("DROP TABLE \(schema).\(table)_more", on: client)
                    } else {
                        let denied = [read, write, create].allSatisfy { $0 == Self.permissionDenied }
                        results.append(denied ? "denied" : "\(role) reached \(schema): \(read ?? "read") \(write ?? "write")")
                    }
                }
                return results
            }
            outcomes += results
        }
        for service in Self.services {
            try await Self.asRole(service) { client in
                _ = try await client.query(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"))
            }
        }
        #expect(outcomes.filter { $0 == "ok" }.count == Self.services.count, "\(outcomes)")
        #expect(outcomes.filter { $0 == "denied" }.count == Self.services.count * (Self.services.count - 1), "\(outcomes)")
    }

    @Test("H-01 H-09 the service roles are plain logins, separate from the admin; no grant or default privilege leaks")
    func leastPrivilege() async throws {
        let adminURL = try #require(TestEnvironment.databaseURL, "no test database: run the tests with make test")
        for service in Self.services { _ = try Self.roleURL(service) }
        let names = Self.services.map { "'\($0)'" }.joined(separator: ",")
        let findings = try await TestDatabase.withClient(url: adminURL, schema: "public") { client in
            var findings: [String] = []
            // Attributes: no superuser, role or database creation, replication or RLS bypass; no memberships.
            for try await (name, powerful) in try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT rolname, rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls
                        FROM pg_roles WHERE rolname IN (\(names))
                        """)
            ).decode((String, Bool).self) where powerful {
                findings.append("\(name) has more than LOGIN")
            }
            for try await (member, group) in try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT m.rolname, g.rolname FROM pg_auth_members a
                        JOIN pg_roles m ON m.oid = a.member JOIN pg_roles g ON g.oid = a.roleid
                        WHERE m.rolname IN (\(names))
                        """)
            ).decode((String, String).self) {
                findings.append("\(member) is a member of \(group)")
            }
            // No default privileges anywhere (a grant to PUBLIC or another role on future tables would leak).
            let defaults = try await client.query("SELECT count(*) FROM pg_default_acl").collect()
            if let count = try defaults.first?.decode(Int64.self), count > 0 { findings.append("pg_default_acl has \(count) rows") }
            for role in Self.services {
                for (object, privilege, expected) in [
                    ("database concierge", "CONNECT", true), ("database concierge", "CREATE", false),
                    ("database concierge", "TEMPORARY", false), ("database postgres", "CONNECT", false),
                    ("schema public", "USAGE", false), ("schema public", "CREATE", false),
                ] {
                    let parts = object.split(separator: " ")
                    let function = parts[0] == "database" ? "has_database_privilege" : "has_schema_privilege"
                    let rows = try await client.query(
                        PostgresQuery(unsafeSQL: "SELECT \(function)('\(role)', '\(parts[1])', '\(privilege)')")
                    ).collect()
                    if try rows.first?.decode(Bool.self) != expected {
                        findings.append("\(role): \(privilege) on \(object) should be \(expected)")
                    }
                }
                for schema in Self.services {
                    let rows = try await client.query(
                        PostgresQuery(
                            unsafeSQL: """
                                SELECT has_schema_privilege('\(role)', '\(schema)', 'USAGE'),
                                    (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = '\(schema)')
                                """)
                    ).collect()
                    let (usage, owner) = try #require(rows.first).decode((Bool, String).self)
                    if usage != (role == schema) { findings.append("\(role): USAGE on schema \(schema) is \(usage)") }
                    if owner != schema { findings.append("schema \(schema) is owned by \(owner)") }
                }
            }
            return findings
        }
        #expect(findings.isEmpty, "\(findings)")
        // The admin role is another role, and no service uses it: each URL names the service's own role.
        let admin = try #require(URLComponents(string: adminURL)?.user)
        for service in Self.services {
            #expect(URLComponents(string: try Self.roleURL(service))?.user == service)
            #expect(admin != service)
        }
    }
}
