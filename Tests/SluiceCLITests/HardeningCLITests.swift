import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("bad inputs and options that once cost rows or hung (the binary)")
struct InputHardeningCLITests {
    @Test("a FIFO is refused before it is opened (no hang), and a /proc file is not read as empty")
    func specialFiles() throws {
        let directory = try TestSupport.temporaryDirectory()
        let fifo = directory.appendingPathComponent("pipe.csv").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let piped = try CLI.run(["run", "transactions", "--source", fifo, "--out", directory.path])
        #expect(piped.status == 2)
        #expect(piped.stderr.hasPrefix("error: input is a named pipe (FIFO), not a regular file"), "\(piped.stderr)")
        let proc = try CLI.run(["run", "transactions", "--source", "/proc/self/status", "--out", directory.path])
        #expect(proc.status == 2)
        #expect(proc.stderr.contains("reports a size of 0 but has content"), "\(proc.stderr)")
    }

    @Test("the ZIP limits the hints name are options: bounded up front, and obeyed")
    func zipOptions() throws {
        let directory = try TestSupport.temporaryDirectory()
        let events = directory.appendingPathComponent("events").path
        #expect(try CLI.run(["generate", "ecommerce", "--out", events, "--events-per-part", "100"]).status == 0)
        let zero = try CLI.run(["run", "ecommerce", "--events", events, "--zip-max-ratio", "0"])
        #expect(zero.status == 2)
        #expect(zero.stderr.contains("--zip-max-ratio must be at least 1"), "\(zero.stderr)")
        let shallow = try CLI.run(["run", "ecommerce", "--events", events, "--zip-max-depth", "1", "--out", directory.path + "/out",
                                   "--products", events + "/products.csv", "--customers", events + "/customers.csv"])
        #expect(shallow.status != 0)
        #expect(shallow.stderr.contains("--zip-max-depth"), "\(shallow.stderr)")
        for option in ["--zip-max-entries", "--zip-max-total-entries", "--zip-max-entry-size", "--zip-max-total-size"] {
            #expect(try CLI.run(["run", "ecommerce", "--events", events, option, "0"]).status == 2, "\(option)")
        }
    }

    @Test("a host name that does not resolve is not retried: one line naming the host, exit 2")
    func unknownHost() throws {
        let output = try CLI.run(["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"),
                                  "--db", "postgresql://sluice@no-such-host.invalid:5432/db", "--db-timeout", "30"])
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.hasPrefix("error: could not connect to no-such-host.invalid:5432"), "\(output.stderr)")
        #expect(!output.stderr.contains("attempts"), "\(output.stderr)")
        #expect(output.stderr.contains("check the host name"), "\(output.stderr)")
    }
}

@Suite("PostgreSQL shapes and roles Sluice did not create (the binary, live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct DatabaseHardeningCLITests {
    static func execute(_ url: String, _ sql: String) throws -> [[String?]] {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute(sql).rows
    }

    @Test("sluice runs reads only: no ledger is created, and a read-only role can list runs")
    func readOnlyRuns() throws {
        let url = try TestCluster.newDatabase("runs")
        let empty = try CLI.run(["runs", "--db", url])
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(try Self.execute(url, "SELECT to_regclass('sluice_runs') IS NULL") == [["t"]])
        #expect(try CLI.run(["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"), "--db", url]).status == 0)
        let role = TestCluster.uniqueName("reader")
        for statement in ["CREATE ROLE \(role) LOGIN", "GRANT SELECT ON sluice_runs TO \(role)", "REVOKE CREATE ON SCHEMA public FROM PUBLIC"] {
            _ = try Self.execute(url, statement)
        }
        let asReader = url.replacingOccurrences(of: "://sluice@", with: "://\(role)@")
        let listed = try CLI.run(["runs", "--db", asReader])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("transactions"))
        #expect(listed.stdout.contains("succeeded"))
    }

    @Test("a foreign sluice_runs table is refused and left as it was")
    func foreignLedger() throws {
        let url = try TestCluster.newDatabase("ledger")
        _ = try Self.execute(url, "CREATE TABLE sluice_runs (id serial PRIMARY KEY, note text)")
        let output = try CLI.run(["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"), "--db", url])
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.hasPrefix("error: a table \"sluice_runs\" exists that is not Sluice's run ledger"), "\(output.stderr)")
        let columns = try Self.execute(url, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'sluice_runs'::regclass AND attnum > 0")
        #expect(columns == [["2"]])
        #expect(try CLI.run(["runs", "--db", url]).status == 2)
    }

    @Test("a NOT NULL column the job does not write is named before anything is loaded")
    func extraNotNullColumn() throws {
        let url = try TestCluster.newDatabase("notnull")
        _ = try Self.execute(url, """
            CREATE TABLE customers (customer_id text PRIMARY KEY, favourite_product text, longest_streak bigint, region text NOT NULL)
            """)
        let output = try CLI.run(["run", "transactions", "--source", TestSupport.dataFile("transaction.csv"), "--db", url])
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.contains("column \"region\" NOT NULL without a default"), "\(output.stderr)")
        #expect(try Self.execute(url, "SELECT count(*) FROM customers") == [["0"]])
    }
}
