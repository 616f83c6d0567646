import Testing

@testable import ServiceKit

@Suite("SQL migration scripts are split into statements")
struct SQLScriptTests {
    @Test("semicolons end statements; comments vanish")
    func simpleStatements() {
        let statements = SQLScript.statements(
            in: """
                -- a comment; with a semicolon
                CREATE TABLE a (id int); /* block; comment */
                CREATE INDEX a_id ON a (id);
                """)
        #expect(statements == ["CREATE TABLE a (id int)", "CREATE INDEX a_id ON a (id)"])
    }

    @Test("semicolons inside quotes and dollar-quoted bodies do not split")
    func quotedSemicolons() {
        let statements = SQLScript.statements(
            in: """
                INSERT INTO t VALUES ('a;b', 'it''s; fine');
                CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM 1; RETURN NULL; END
                $$;
                CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
                SELECT "weird;name" FROM t WHERE x = $1;
                """)
        #expect(statements.count == 4)
        #expect(statements[0] == "INSERT INTO t VALUES ('a;b', 'it''s; fine')")
        #expect(statements[1].hasSuffix("END\n$$"))
        #expect(statements[2] == "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$")
        #expect(statements[3] == "SELECT \"weird;name\" FROM t WHERE x = $1")
    }

    @Test("the kit's own migration splits into its statements")
    func kitMigration() {
        let statements = SQLScript.statements(in: KitMigrations.all[0].sql)
        #expect(statements.count == 7)
        #expect(statements.contains { $0.hasPrefix("CREATE FUNCTION outbox_notify()") && $0.hasSuffix("$$") })
    }
}
