import Foundation
import Testing

/// Structure of `deploy/postgres/init.sql` (checked as text; the script itself runs under psql).
@Suite("deploy/postgres/init.sql")
struct PostgresInitTests {
    /// The script without `--` comments, so that commented-out text cannot satisfy a check.
    let sql: String

    init() throws {
        let text = try DeployFiles.text("deploy/postgres/init.sql")
        sql = text.components(separatedBy: "\n")
            .map { line in line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? line }
            .joined(separator: "\n")
    }

    private func matches(_ pattern: String) throws -> Bool {
        try Regex(pattern).ignoresCase().firstMatch(in: sql) != nil
    }

    @Test("creates the concierge database and closes the public schema")
    func databaseAndPublicSchema() throws {
        #expect(try matches(#"CREATE\s+DATABASE\s+concierge\b"#))
        #expect(try matches(#"\\connect\s+concierge\b"#))
        #expect(try matches(#"REVOKE\s+ALL\s+ON\s+SCHEMA\s+public\s+FROM\s+PUBLIC\s*;"#))
        #expect(try matches(#"REVOKE\s+ALL\s+ON\s+DATABASE\s+concierge\s+FROM\s+PUBLIC\s*;"#))
    }

    @Test("creates a login role and an owned schema per service", arguments: ConciergeService.all)
    func roleAndSchema(_ concierge: ConciergeService) throws {
        let name = concierge.name
        #expect(try matches(#"CREATE\s+ROLE\s+\#(name)\s[^;]*\bLOGIN\b"#))
        #expect(try matches(#"CREATE\s+SCHEMA\s+\#(name)\s+AUTHORIZATION\s+\#(name)\s*;"#))
        #expect(try matches(#"REVOKE\s+ALL\s+ON\s+SCHEMA\s+\#(name)\s+FROM\s+PUBLIC\s*;"#))
        #expect(
            try matches(#"ALTER\s+ROLE\s+\#(name)\s+IN\s+DATABASE\s+concierge\s+SET\s+search_path\s*=\s*\#(name)\s*;"#))
        #expect(try matches(#"GRANT\s+CONNECT\s+ON\s+DATABASE\s+concierge\s+TO\s[^;]*\b\#(name)\b"#))
        // The password comes from the environment (psql \getenv), never from this file.
        #expect(try matches(#"\\getenv\s+\w+\s+\#(concierge.environmentPrefix)_DB_PASSWORD\b"#))
        #expect(try matches(#"CREATE\s+ROLE\s+\#(name)\s[^;]*PASSWORD\s+:'\w+'"#))
    }

    @Test("contains no literal password and grants no access to schemas or tables")
    func leastPrivilege() throws {
        #expect(try !matches(#"PASSWORD\s+'"#))
        #expect(try !matches(#"GRANT\s[^;]*\bON\s+(SCHEMA|ALL\s+TABLES|TABLE)\b"#))
        #expect(try !matches(#"\bSUPERUSER\b"#))  // NOSUPERUSER does not match
    }
}
