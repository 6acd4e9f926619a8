import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("sluice run transactions into PostgreSQL (the binary, live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct DatabaseCLITests {
    static func table(_ url: String) throws -> [[String?]] {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute("SELECT customer_id, favourite_product, longest_streak FROM customers ORDER BY customer_id").rows
    }

    static func ledger(_ url: String) throws -> [[String?]] {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute("SELECT status, rows_inserted, rows_updated, rows_unchanged FROM sluice_runs ORDER BY started_at").rows
    }

    @Test("the original interface upserts customers; a re-run changes 0 rows; appended data updates only what changed")
    func upsertAndRerun() throws {
        let server = try TestCluster.url.get()
        let database = TestCluster.uniqueName("warehouse")
        let url = DatabaseURL(server).withDatabase(database).connectionString
        let seed = TestSupport.dataFile("transaction.csv")
        let first = try CLI.run(["run", "transactions", "--source", seed, "--db", server, "--database", database, "--table", "customers"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("885 inserted · 0 updated · 0 unchanged"))
        let rows = try Self.table(url)
        #expect(rows.count == 885)
        #expect(rows.contains(["0023938", "PURA250", "2"]))
        #expect(rows.contains(["0024003", "SUPA101", "3"]))
        let second = try CLI.run(["run", "transactions", "--source", seed, "--db", server, "--database", database])
        #expect(second.stdout.contains("0 inserted · 0 updated · 885 unchanged · 0 deleted"), "\(second.stdout)")
        // Two more purchases: 0023510 buys SUPA101 heavily (new favourite), 0023938 extends no streak.
        let directory = try TestSupport.temporaryDirectory()
        let appended = directory.appendingPathComponent("more.csv")
        let extra = "20120930-0023510|0023510|2012-09-30|SUPA101|900\n20120101-0099999|0099999|2012-01-01|DETA100|1\n"
        try Data((try String(contentsOfFile: seed, encoding: .utf8) + extra).utf8).write(to: appended)
        let third = try CLI.run(["run", "transactions", "--source", appended.path, "--db", server, "--database", database])
        #expect(third.stdout.contains("1 inserted · 1 updated · 884 unchanged"), "\(third.stdout)")
        #expect(try Self.table(url).contains(["0023510", "SUPA101", "1"]))
        #expect(try Self.ledger(url) == [["succeeded", "885", "0", "0"], ["succeeded", "0", "0", "885"], ["succeeded", "1", "1", "884"]])
        let runs = try CLI.run(["runs", "--db", url])
        #expect(runs.stdout.split(separator: "\n").count == 4)
    }

    /// Loads the seed file into a fresh database, then starts a second run of a changed file
    /// that pauses `pause` seconds before its merge; returns once that run is recorded as
    /// running and has staged its rows, with the table as the first run left it.
    static func startPausedRun(_ prefix: String, pause: String) throws -> (url: String, before: [[String?]], process: Process) {
        let server = try TestCluster.url.get()
        let database = TestCluster.uniqueName(prefix)
        let url = DatabaseURL(server).withDatabase(database).connectionString
        let seed = TestSupport.dataFile("transaction.csv")
        #expect(try CLI.run(["run", "transactions", "--source", seed, "--db", server, "--database", database]).status == 0)
        let before = try Self.table(url)
        let directory = try TestSupport.temporaryDirectory()
        let changed = directory.appendingPathComponent("changed.csv")
        try Data((try String(contentsOfFile: seed, encoding: .utf8) + "x|0023510|2012-09-30|SUPA101|900\n").utf8).write(to: changed)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["run", "transactions", "--source", changed.path, "--db", server, "--database", database, "--no-progress"]
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_TEST_PAUSE_BEFORE_MERGE"] = pause
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try Self.ledger(url).last?[0] != "running" { usleep(100_000) }
        return (url, before, process)
    }

    @Test("SIGKILL in the middle of a load leaves the table and ledger as they were; a re-run ends as a clean run would")
    func killMidLoad() throws {
        let (url, before, process) = try Self.startPausedRun("killed", pause: "30")
        let server = try TestCluster.url.get()
        let changed = try #require(process.arguments?[3])
        let database = try #require(URL(string: url)?.lastPathComponent)
        usleep(2_000_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try Self.table(url) == before)
        #expect(try Self.ledger(url).map { $0[0] } == ["succeeded", "running"])

        #expect(try CLI.run(["run", "transactions", "--source", changed, "--db", server, "--database", database]).status == 0)
        let clean = TestCluster.uniqueName("clean")
        #expect(try CLI.run(["run", "transactions", "--source", changed, "--db", server, "--database", clean]).status == 0)
        #expect(try Self.table(url) == Self.table(DatabaseURL(server).withDatabase(clean).connectionString))
        #expect(try Self.ledger(url).map { $0[0] } == ["succeeded", "abandoned", "succeeded"])
    }

    /// Issue 10 (item 8): a signal during the load rolls it back.
    @Test("SIGTERM, SIGHUP or SIGQUIT during the load: rolled back, the run marked cancelled, exit 128 + signal",
          arguments: [SIGTERM, SIGHUP, SIGQUIT])
    func signalMidLoad(signal number: Int32) throws {
        let (url, before, process) = try Self.startPausedRun("signalled", pause: "3")
        usleep(1_500_000)
        kill(process.processIdentifier, number)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + number)
        #expect(try Self.table(url) == before)
        #expect(try Self.ledger(url).map { $0[0] } == ["succeeded", "cancelled"])
    }

    @Test("PostgreSQL down: retries, then one clear error line and exit 1, within the timeout")
    func databaseDown() throws {
        let started = Date()
        let output = try CLI.run(["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"),
                                  "--db", "postgresql://sluice@127.0.0.1:1/nowhere", "--db-timeout", "2"])
        #expect(output.status == 1)
        let first = output.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("error: could not connect to 127.0.0.1:1 after"), "\(output.stderr)")
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test("ecommerce: dimension tables from PostgreSQL, the report loaded idempotently and equal to the CSV")
    func ecommerce() throws {
        let server = try TestCluster.url.get()
        let database = TestCluster.uniqueName("shop")
        let directory = try TestSupport.temporaryDirectory()
        let events = directory.appendingPathComponent("events").path
        #expect(try CLI.run(["generate", "ecommerce", "--weeks", "1", "--parts-per-day", "2", "--events-per-part", "300", "--out", events]).status == 0)
        let filled = try CLI.run(["generate", "ecommerce-db", "--db", server, "--database", database])
        #expect(filled.stdout.contains("customers: 100 inserted"), "\(filled.stderr)")
        let out = directory.appendingPathComponent("reports").path
        let first = try CLI.run(["run", "ecommerce", "--events", events, "--db", server, "--database", database, "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("20 inserted · 0 updated · 0 unchanged · 0 deleted"), "\(first.stdout)")
        let second = try CLI.run(["run", "ecommerce", "--events", events, "--db", server, "--database", database, "--out", out])
        #expect(second.stdout.contains("0 inserted · 0 updated · 20 unchanged · 0 deleted"))
        let connection = try PostgresConnection(DatabaseURL(server).withDatabase(database).connectionString)
        defer { connection.close() }
        let rows = try connection.execute("""
            SELECT category || ',' || customer_segment || ',' || total_revenue || ',' || units_sold || ',' || unique_customers
            FROM sales_report ORDER BY category, customer_segment
            """).rows.map { $0[0] ?? "" }
        let csv = try String(contentsOfFile: out + "/sales_report.csv", encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
        #expect(rows == csv)
        #expect(FileManager.default.fileExists(atPath: out + "/by_category/Electronics.csv"))
        let details = try connection.execute("SELECT details FROM sluice_runs WHERE job = 'ecommerce' ORDER BY started_at LIMIT 1").rows
        #expect(details.first?[0]?.contains("unknown_product=") == true)
        #expect(details.first?[0]?.contains("unknown_customer=") == true)
    }

    @Test("two runs of one job never interleave: the second waits for the job's advisory lock")
    func advisoryLock() throws {
        let server = try TestCluster.url.get()
        let database = TestCluster.uniqueName("locked")
        let url = DatabaseURL(server).withDatabase(database).connectionString
        #expect(try CLI.run(["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"), "--db", server, "--database", database]).status == 0)
        let holder = try PostgresConnection(url)
        try JobLock.acquire(job: "transactions", on: holder)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"), "--db", server, "--database", database, "--no-progress"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        usleep(1_500_000)
        #expect(process.isRunning, "the second run must wait while the lock is held")
        #expect(try Self.ledger(url).count == 1)
        try JobLock.release(job: "transactions", on: holder)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let waited = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(waited.contains("waiting for another run of transactions"))
        #expect(try Self.ledger(url).count == 2)
        holder.close()
    }
}
