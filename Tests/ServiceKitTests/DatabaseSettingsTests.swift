import Testing

@testable import ServiceKit

@Suite("DATABASE_URL parsing")
struct DatabaseSettingsTests {
    @Test("a full URL with percent-encoded password and sslmode")
    func fullURL() throws {
        let settings = try DatabaseSettings(
            url: "postgres://intake:p%40ss%3Aword@db.bank.local:6432/concierge?sslmode=verify-full", schema: "intake")
        #expect(settings.endpoint == .tcp(host: "db.bank.local", port: 6432))
        #expect(settings.username == "intake")
        #expect(settings.password == "p@ss:word")
        #expect(settings.database == "concierge")
        #expect(settings.sslMode == .verifyFull)
        #expect(!settings.redactedURL.contains("p@ss"))
        #expect(settings.redactedURL.contains(":***@"))
    }

    @Test("a Unix socket directory in the host parameter")
    func unixSocket() throws {
        let settings = try DatabaseSettings(url: "postgresql://scoring@/concierge?host=/var/run/postgresql", schema: "scoring")
        #expect(settings.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(settings.password == nil)
    }

    @Test(
        "unusable URLs are refused with the variable named",
        arguments: [
            "mysql://a@b/c", "postgres://host/db", "postgres://role@host", "postgres://role@host/db?sslmode=maybe",
        ])
    func refused(url: String) {
        #expect(throws: ConfigurationError.self) { try DatabaseSettings(url: url, schema: "intake", key: "INTAKE_DATABASE_URL") }
    }

    @Test("a schema name that is not a plain identifier is refused")
    func badSchema() {
        #expect(throws: ConfigurationError.self) { try DatabaseSettings(url: "postgres://a@b/c", schema: "x; DROP") }
        #expect(DatabaseSettings.isValidIdentifier("e2e_ab12_intake"))
        #expect(!DatabaseSettings.isValidIdentifier("Intake"))
    }
}
