import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

struct Boom: Error {}

@Suite("PostgreSQL connection (live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct ConnectionIntegrationTests {
    @Test("the private cluster answers, uses UTF-8 and UTC, and a second start reuses it")
    func cluster() throws {
        let url = try TestCluster.url.get()
        #expect(url.hasPrefix("postgresql://sluice@127.0.0.1:"))
        let cluster = try TestCluster.cluster.get()
        guard case .running(let port) = cluster.status() else {
            Issue.record("cluster is not running")
            return
        }
        #expect(url == "postgresql://sluice@127.0.0.1:\(port)/postgres")
        #expect(try cluster.start() == url)
        #expect(cluster.url == url)
        let connection = try TestCluster.connect()
        #expect(connection.isOpen)
        #expect(connection.host == "127.0.0.1:\(port)")
        #expect(connection.serverVersion >= 100_000)
        let settings = try connection.execute("SELECT current_setting('server_encoding'), current_setting('TimeZone'), current_user")
        #expect(settings.rows == [["UTF8", "UTC", "sluice"]])
    }

    @Test("parameters of every type round-trip through a query")
    func parameters() throws {
        let connection = try TestCluster.connect()
        let result = try connection.execute(
            """
            SELECT $1::int8 + 1 AS n, $2::text AS t, $3::numeric(10,2) AS d, $4::date AS day, $5::timestamp AS ts,
                   $6::bool AS b, $7::text IS NULL AS is_null, $8::float8 AS f, $9::int8[] AS arr, $10::text[] AS texts
            """,
            [41, "héllo 'x' \\ \"y\"", .decimal(1999, scale: 2), .date(CopyFixtures.day(2024, 2, 29)),
             .timestamp(CopyFixtures.micros(2024, 2, 29, 13, 45, 6, 123)), true, nil, 0.1, .array([1, nil, 3]),
             .array(["a,b", "c\"d", nil])]
        )
        #expect(result.columns == ["n", "t", "d", "day", "ts", "b", "is_null", "f", "arr", "texts"])
        #expect(result.rows == [[
            "42", "héllo 'x' \\ \"y\"", "19.99", "2024-02-29", "2024-02-29 13:45:06.000123", "t", "t", "0.1",
            "{1,NULL,3}", "{\"a,b\",\"c\\\"d\",NULL}",
        ]])
        #expect(result[0, "t"] == "héllo 'x' \\ \"y\"")
        #expect(result.rowsAffected == 1)
    }

    @Test("a value that tries SQL injection is stored as plain text")
    func injection() throws {
        let connection = try TestCluster.connect()
        let table = Identifier(TestCluster.uniqueName("students"))
        try connection.execute("CREATE TABLE \(table.quoted) (name text)")
        let attacks = ["Robert'); DROP TABLE \(table.name);--", "' OR '1'='1", "$1", "\\'; SELECT pg_sleep(10); --"]
        for attack in attacks {
            let inserted = try connection.execute("INSERT INTO \(table.quoted) (name) VALUES ($1)", [.text(attack)])
            #expect(inserted.rowsAffected == 1)
            #expect(inserted.commandTag == "INSERT 0 1")
        }
        let rows = try connection.execute("SELECT name FROM \(table.quoted) ORDER BY name")
        #expect(rows.column("name") == attacks.sorted().map { Optional($0) })
        let found = try connection.execute("SELECT count(*) FROM \(table.quoted) WHERE name = $1", ["' OR '1'='1"])
        #expect(found.rows == [["1"]])
    }

    @Test("a NUL byte in a parameter is refused before it reaches the server")
    func nulParameter() throws {
        let connection = try TestCluster.connect()
        #expect(throws: PostgresError.self) { try connection.execute("SELECT $1::text", ["a\u{0}b"]) }
        #expect(try connection.execute("SELECT 1").rows == [["1"]])
    }

    @Test("transactions commit on return, roll back on throw, and nest with savepoints")
    func transactions() throws {
        let connection = try TestCluster.connect()
        let table = Identifier(TestCluster.uniqueName("tx"))
        try connection.execute("CREATE TABLE \(table.quoted) (n int8)")
        #expect(throws: Boom.self) {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO \(table.quoted) VALUES ($1)", [1])
                throw Boom()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.execute("SELECT count(*) FROM \(table.quoted)").rows == [["0"]])

        let value = try connection.transaction(isolation: .serializable) { connection in
            try connection.execute("INSERT INTO \(table.quoted) VALUES ($1)", [2])
            try? connection.transaction { connection in
                try connection.execute("INSERT INTO \(table.quoted) VALUES ($1)", [3])
                throw Boom()
            }
            return "done"
        }
        #expect(value == "done")
        #expect(try connection.execute("SELECT n FROM \(table.quoted) ORDER BY n").rows == [["2"]])

        // A failed statement whose error was swallowed turns COMMIT into a rollback: reported.
        do {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO \(table.quoted) VALUES ($1)", [4])
                _ = try? connection.execute("SELECT no_such_column FROM \(table.quoted)")
            }
            Issue.record("expected the commit to report a rollback")
        } catch let error as PostgresError {
            #expect(error.code == .inFailedSQLTransaction)
        }
        #expect(try connection.execute("SELECT count(*) FROM \(table.quoted)").rows == [["1"]])
    }

    @Test("server errors carry SQLSTATE, message, query and host")
    func serverError() throws {
        let connection = try TestCluster.connect()
        do {
            try connection.execute("SELECT * FROM no_such_table_anywhere WHERE x = $1", [1])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .undefinedTable)
            #expect(error.message.contains("no_such_table_anywhere"))
            #expect(error.query == "SELECT * FROM no_such_table_anywhere WHERE x = $1")
            #expect(error.host == connection.host)
            #expect(!error.isTransient)
        }
        #expect(try connection.execute("SELECT 2").rows == [["2"]])
    }

    @Test("connecting where nothing listens is transient, and the retry gives up naming the host")
    func refused() throws {
        let url = "postgresql://sluice@127.0.0.1:1/postgres"
        do {
            _ = try PostgresConnection(url)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == .unableToConnect)
            #expect(error.isTransient)
            #expect(error.host == "127.0.0.1:1")
            #expect(error.message == "connection refused")
        }
        let clock = FakeClock()
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(400), maxDelay: .seconds(1), jitter: .none)
        do {
            _ = try PostgresConnection.connect(url, retry: policy, clock: clock)
            Issue.record("expected the retry to give up")
        } catch let error as PostgresError {
            #expect(clock.sleeps == [.milliseconds(400), .milliseconds(800)])
            #expect(error.attempts == 3)
            #expect(error.description == "could not connect to 127.0.0.1:1 after 3 attempts over 1.2 s: connection refused")
            #expect(error.sluiceError.kind == .execution)
        }
    }

    @Test("an unknown database is a configuration error, not transient")
    func unknownDatabase() throws {
        let url = DatabaseURL(try TestCluster.url.get()).withDatabase("no_such_database").connectionString
        do {
            _ = try PostgresConnection.connect(url, clock: FakeClock())
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.code == .invalidCatalogName)
            #expect(error.attempts == nil)
            #expect(error.sluiceError.kind == .configuration)
            #expect(error.description.contains("no_such_database"))
        }
    }

    @Test("a closed connection refuses further use")
    func closed() throws {
        let connection = try TestCluster.connect()
        connection.close()
        connection.close()
        #expect(!connection.isOpen)
        #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
    }
}
