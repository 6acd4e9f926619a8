import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("sluice generate sales (the binary)")
struct SalesCLITests {
    @Test("writes the header and the rows asked for, the same bytes for any --workers; a second file continues the ids")
    func generate() throws {
        let directory = try TestSupport.temporaryDirectory()
        let first = directory.appendingPathComponent("a.csv").path, again = directory.appendingPathComponent("b.csv").path
        let output = try CLI.run(["generate", "sales", "--rows", "5000", "--mess", "1", "--total-amount", "--out", first, "--workers", "1"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("wrote 5,000 rows"), "\(output.stdout)")
        #expect(try CLI.run(["generate", "sales", "--rows", "5000", "--mess", "1", "--total-amount", "--out", again, "--workers", "3"]).status == 0)
        let text = try String(contentsOfFile: first, encoding: .utf8)
        #expect(try String(contentsOfFile: again, encoding: .utf8) == text)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency,total_amount")
        #expect(lines.count == 5_001)

        let second = directory.appendingPathComponent("c.csv").path
        #expect(try CLI.run(["generate", "sales", "--rows", "10", "--start", "2026-11-20", "--first-id", "5001", "--out", second]).status == 0)
        let rows = try String(contentsOfFile: second, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.first?.hasPrefix("5001,2026-1") == true)
        #expect(rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 7 })
    }

    @Test("a bad option is a usage error (exit 2) that names it, and writes nothing")
    func badOptions() throws {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("x.csv").path
        for (flag, value, message) in [("--start", "2026-13-01", "is not a date"), ("--mess", "3", "--mess must be 0, 1 or 2"), ("--days", "0", "--days must be")] {
            let output = try CLI.run(["generate", "sales", "--rows", "10", flag, value, "--out", path])
            #expect(output.status == 2)
            #expect(output.stderr.contains(message), "\(output.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

@Suite("sluice run / test / explain sales (the binary, live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct SalesRunCLITests {
    static func query(_ url: String, _ sql: String) throws -> [[String?]] {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute(sql).rows
    }

    static let sales = """
        sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency\r
        A-001,2026-11-01T10:00:00Z,S001,P0001,2,10.00,USD\r
        \r
        A-002,2026-11-01T11:00:00+01:00,S002,P0002,1,"3.50",eur\r
        A-003,2026-11-01T12:00:00Z,S002,P0002,0,3.50,EUR\r

        """

    @Test("a run loads and summarises; a re-run skips the file; the tests alone pass, then fail (exit 1) on a bad row")
    func runAndTest() throws {
        let url = try TestCluster.newDatabase("salescli")
        let file = try TestSupport.writeTemporaryFile(Self.sales, name: "sales.csv")
        let first = try CLI.run(["run", "sales", file, "--db", url, "--no-progress"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("3 sales read = 2 valid + 1 rejected (1 invalid_quantity)"), "\(first.stdout)")
        #expect(first.stdout.contains("marts.fct_daily_sales_metrics: 1 date replaced (2026-11-01), 2 rows"), "\(first.stdout)")
        #expect(try Self.query(url, "SELECT sale_id, currency FROM staging.stg_sales ORDER BY 1") == [["A-001", "USD"], ["A-002", "EUR"]])
        let again = try CLI.run(["run", "sales", file, "--db", url, "--no-progress"])
        #expect(again.status == 0 && again.stdout.contains("skipped \(file): already loaded"), "\(again.stdout)")

        let tests = try CLI.run(["test", "sales", "--db", url])
        #expect(tests.status == 0, "\(tests.stderr)")
        #expect(tests.stdout.contains("unique_fct_daily_sales_metrics_sale_date__store_id__product_id__currency [error]: pass"), "\(tests.stdout)")
        #expect(tests.stdout.contains("9 tests, 0 failed"), "\(tests.stdout)")
        _ = try Self.query(url, "UPDATE marts.fct_daily_sales_metrics SET currency = 'CHF' WHERE store_id = 'S002'")
        let failing = try CLI.run(["test", "sales", "--db", url])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("accepted_values_fct_daily_sales_metrics_currency") && failing.stderr.contains("(CHF,1)"), "\(failing.stderr)")
    }

    @Test("a failing relationship test exits 1, names the test and loads nothing")
    func failingRelationship() throws {
        let url = try TestCluster.newDatabase("salescli")
        let file = try TestSupport.writeTemporaryFile(Self.sales, name: "sales.csv")
        let stores = try TestSupport.writeTemporaryFile("store_id,name\nS001,North\n", name: "stores.csv")
        let run = try CLI.run(["run", "sales", file, "--stores", stores, "--db", url, "--no-progress"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("relationships_fct_daily_sales_metrics_store_id__store_id__dim_stores") && run.stderr.contains("nothing was loaded"),
                "\(run.stderr)")
        #expect(try Self.query(url, "SELECT to_regclass('raw.sales') IS NULL, to_regclass('marts.dim_stores') IS NULL") == [["t", "t"]])
        #expect(try Self.query(url, "SELECT status, failing_rows FROM sluice_test_results WHERE status <> 'pass' AND status <> 'skipped'") == [["fail", "1"]])
    }

    @Test("explain shows the validation, the de-duplication and the data tests' tables")
    func explain() throws {
        let output = try CLI.run(["explain", "sales"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("argMax") && output.stdout.contains("invalid_sale_ts"), "\(output.stdout)")
    }
}
