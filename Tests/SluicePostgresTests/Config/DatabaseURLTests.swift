import Foundation
import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("Database URL and .env")
struct DatabaseURLTests {
    @Test(".env lines: comments, export, quotes, escapes, inline comments, CRLF")
    func dotEnv() {
        let text = """
        # a comment
        export SLUICE_DATABASE_URL=postgresql://u:p@h:5432/db  # trailing comment
        DATABASE_URL = "postgresql://x@y/z?sslmode=require"\r
        SINGLE='raw \\n # kept' ignored
        DOUBLE="line\\nbreak \\"quoted\\" # kept"
        HASH=abc#def
        EMPTY=
        not a line
        DUP=1
        DUP=2
        """
        let variables = DotEnv.parse(text)
        #expect(variables["SLUICE_DATABASE_URL"] == "postgresql://u:p@h:5432/db")
        #expect(variables["DATABASE_URL"] == "postgresql://x@y/z?sslmode=require")
        #expect(variables["SINGLE"] == "raw \\n # kept")
        #expect(variables["DOUBLE"] == "line\nbreak \"quoted\" # kept")
        #expect(variables["HASH"] == "abc#def")
        #expect(variables["EMPTY"] == "")
        #expect(variables["DUP"] == "2")
        #expect(variables.count == 7)
    }

    @Test("resolution order: --db, SLUICE_DATABASE_URL, DATABASE_URL, .env, else nil")
    func resolution() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-env").path
        let empty = try TestSupport.temporaryDirectory("sluice-env").path
        try "DATABASE_URL=postgresql://from-dotenv/db\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        let both = ["SLUICE_DATABASE_URL": "postgresql://sluice-env/db", "DATABASE_URL": "postgresql://generic/db"]

        let option = try DatabaseURL.resolve(option: "postgresql://option/db", environment: both, directory: directory)
        #expect(option == DatabaseURL("postgresql://option/db", source: .option))
        let sluice = try DatabaseURL.resolve(option: nil, environment: both, directory: directory)
        #expect(sluice == DatabaseURL("postgresql://sluice-env/db", source: .environment("SLUICE_DATABASE_URL")))
        let generic = try DatabaseURL.resolve(option: "  ", environment: ["DATABASE_URL": "postgresql://generic/db", "SLUICE_DATABASE_URL": ""], directory: directory)
        #expect(generic?.connectionString == "postgresql://generic/db")
        #expect(generic?.source == .environment("DATABASE_URL"))
        let dotEnv = try DatabaseURL.resolve(option: nil, environment: [:], directory: directory)
        #expect(dotEnv?.connectionString == "postgresql://from-dotenv/db")
        #expect(dotEnv?.source == .dotEnv(path: directory + "/.env", key: "DATABASE_URL"))
        #expect(try DatabaseURL.resolve(option: nil, environment: [:], directory: empty) == nil)
    }

    @Test("swapping the database of a URI keeps everything else", arguments: [
        ("postgresql://u:p@h:5432/old?sslmode=require", "new", "postgresql://u:p@h:5432/new?sslmode=require"),
        ("postgresql://h", "new", "postgresql://h/new"),
        ("postgres://h:1/?application_name=x", "my db", "postgres://h:1/my%20db?application_name=x"),
        ("postgresql://u:p%2Fw@h/old", "ünï/x", "postgresql://u:p%2Fw@h/%C3%BCn%C3%AF%2Fx"),
        ("postgresql://h1:5432,h2:5433/old", "d", "postgresql://h1:5432,h2:5433/d"),
    ])
    func swapURI(url: String, name: String, expected: String) {
        #expect(DatabaseURL(url).withDatabase(name).connectionString == expected)
    }

    @Test("swapping the database of a key=value string replaces or adds a quoted dbname")
    func swapKeyValue() {
        #expect(DatabaseURL("host=h dbname=old user=u").withDatabase("new").connectionString == "host=h dbname='new' user=u")
        #expect(DatabaseURL("host=h port=5432").withDatabase("it's").connectionString == "host=h port=5432 dbname='it\\'s'")
        #expect(DatabaseURL("host=h dbname = 'a b' sslmode=disable").withDatabase("c").connectionString == "host=h dbname='c' sslmode=disable")
    }

    @Test("redaction hides passwords and nothing else", arguments: [
        ("postgresql://user:s3cret@host:5432/db", "postgresql://user:***@host:5432/db"),
        ("postgresql://user:p@ss@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("postgresql://host/db?sslmode=require&password=x&user=u", "postgresql://host/db?sslmode=require&password=***&user=u"),
        ("host=h password='a b' user=u", "host=h password=*** user=u"),
        ("host=h password=secret", "host=h password=***"),
    ])
    func redaction(url: String, expected: String) {
        let value = DatabaseURL(url)
        #expect(value.redacted == expected)
        #expect("\(value)" == expected)
    }
}
