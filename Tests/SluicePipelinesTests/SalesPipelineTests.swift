import Foundation
import SluiceCore
import SluiceEngine
import SluicePipelines
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("sales pipeline into PostgreSQL (live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct SalesPipelineTests {
    static let header = "sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency,total_amount\n"

    /// A finished run and the figures its report gives the ledger.
    struct Run {
        var outcome: JobOutcome
        var details: [String: String]

        func detail(_ name: String) -> Int { Int(details[name] ?? "") ?? -1 }
    }

    /// One run of the pipeline, as `sluice run sales` does it.
    @discardableResult
    static func run(_ files: [String], url: String, workers: Int = 2, memory: Int? = nil, batchRows: Int = 65_536,
                    configure: (inout SalesPipeline.Parameters) -> Void = { _ in }) throws -> Run {
        var parameters = SalesPipeline.Parameters(sources: files)
        configure(&parameters)
        let runtime = TestSupport.runtime(workers: workers, memory: memory, batchRows: batchRows)
        let database = try DatabaseTarget.resolve(option: url, database: nil)
        let job = try SalesPipeline.job(parameters, context: JobContext(runtime: runtime, database: database))
        let outcome = try PipelineRunner.run(job, pipeline: SalesPipeline.name, settings: RunSettings(outputDirectory: nil, database: database),
                                             runtime: runtime)
        return Run(outcome: outcome, details: Dictionary(job.report(outcome).details, uniquingKeysWith: { $1 }))
    }

    static func query(_ url: String, _ sql: String) throws -> [[String?]] {
        let connection = try PostgresConnection(url)
        defer { connection.close() }
        return try connection.execute(sql).rows
    }

    static func facts(_ url: String) throws -> [String] {
        try query(url, """
            SELECT concat_ws(' ', sale_date, store_id, product_id, currency, transactions, units_sold, revenue, avg_unit_price)
            FROM marts.fct_daily_sales_metrics ORDER BY sale_date, store_id, product_id, currency
            """).map { $0[0] ?? "" }
    }

    static func staging(_ url: String) throws -> [String] {
        try query(url, """
            SELECT concat_ws(' ', sale_id, sale_ts, sale_date, store_id, product_id, quantity, unit_price, currency, total_amount)
            FROM staging.stg_sales ORDER BY sale_id
            """).map { $0[0] ?? "" }
    }

    /// `sale_date → xmin` of every fact row, to see which dates a run rewrote.
    static func xmins(_ url: String) throws -> [String: Set<String>] {
        var found: [String: Set<String>] = [:]
        for row in try query(url, "SELECT sale_date::text, xmin::text FROM marts.fct_daily_sales_metrics") {
            found[row[0] ?? "", default: []].insert(row[1] ?? "")
        }
        return found
    }

    static let fixture = header + """
        1,2026-11-01T10:00:00Z,S001,P0001,2,10.00,USD,20.00
        2,2026-11-01T23:30:00-02:00,S001,P0001,1,5.50,usd,
        3,2026-11-01 12:00:00,S002,P0002,3,1.25,EUR,3.75
         4 ,2026-11-01T12:00:00.5+00:00, S001 ,P0001,1,4.00,USD,
        5,,S001,P0001,1,1.00,USD,
        6,2026-11-01T12:00:00Z,S001,P0001,0,1.00,USD,
        7,2026-11-01T12:00:00Z,S001,P0001,1,-1.00,USD,
        8,2026-11-01T12:00:00Z,S001,P0001,1,1.00,JPY,
        9,2026-11-01T12:00:00Z,S001,P0001,2,1.00,USD,3.00
        10,not a time,S001,P0001,1,1.00,USD,
        11,2026-11-01T12:00:00Z,S001,P0001,1,1.005,USD,
        12,2026-11-01T12:00:00Z,S001,P0001,1,1.00,USD,abc
        1,2026-11-01T09:00:00Z,S009,P0009,9,9.00,USD,

        """

    @Test("known answers: zones to UTC dates, padding, lower-case currency, each reject reason, an older duplicate loses")
    func knownAnswers() throws {
        let url = try TestCluster.newDatabase("sales")
        let file = try TestSupport.writeTemporaryFile(Self.fixture, name: "sales.csv")
        let outcome = try Self.run([file], url: url).outcome
        #expect(outcome.rowsRead == 13 && outcome.rowsRejected == 8)
        #expect(outcome.rows(of: "raw") == 5 && outcome.rows(of: "staging") == 4)
        let kinds = try outcome.rejects.allRejects().map { "\($0.line):\($0.kind.rawValue)" }
        #expect(kinds == ["6:missing_field", "7:invalid_quantity", "8:invalid_unit_price", "9:unknown_currency", "10:total_mismatch",
                          "11:invalid_sale_ts", "12:invalid_unit_price", "13:invalid_total"])
        #expect(try Self.facts(url) == [
            "2026-11-01 S001 P0001 USD 2 3 24.00 8.0000",
            "2026-11-01 S002 P0002 EUR 1 3 3.75 1.2500",
            "2026-11-02 S001 P0001 USD 1 1 5.50 5.5000",
        ])
        #expect(try Self.staging(url) == [
            "1 2026-11-01 10:00:00+00 2026-11-01 S001 P0001 2 10.00 USD 20.00",
            "2 2026-11-02 01:30:00+00 2026-11-02 S001 P0001 1 5.50 USD",
            "3 2026-11-01 12:00:00+00 2026-11-01 S002 P0002 3 1.25 EUR 3.75",
            "4 2026-11-01 12:00:00.5+00 2026-11-01 S001 P0001 1 4.00 USD",
        ])
        #expect(try Self.query(url, "SELECT count(*), count(DISTINCT run_id), min(source_line), max(source_line) FROM raw.sales") == [["5", "1", "2", "14"]])
        #expect(try Self.query(url, "SELECT rows_read, rows_loaded, rows_rejected FROM raw.sales_files") == [["13", "5", "8"]])
        #expect(outcome.testResults.map(\.status.rawValue) == ["pass", "pass", "pass", "pass", "pass", "pass", "skipped", "skipped", "pass"])
    }

    @Test("a late duplicate of an old sale moves it out of its old date; a date the run does not touch keeps its xmin")
    func lateDuplicate() throws {
        let url = try TestCluster.newDatabase("sales")
        try Self.run([try TestSupport.writeTemporaryFile(Self.fixture, name: "day1.csv")], url: url)
        let before = try Self.xmins(url)
        let late = try TestSupport.writeTemporaryFile(Self.header + "1,2026-11-03T08:00:00Z,S001,P0001,2,10.00,USD,\n", name: "late.csv")
        let outcome = try Self.run([late], url: url)
        #expect(try Self.facts(url) == [
            "2026-11-01 S001 P0001 USD 1 1 4.00 4.0000",
            "2026-11-01 S002 P0002 EUR 1 3 3.75 1.2500",
            "2026-11-02 S001 P0001 USD 1 1 5.50 5.5000",
            "2026-11-03 S001 P0001 USD 1 2 20.00 10.0000",
        ])
        let after = try Self.xmins(url)
        #expect(after["2026-11-02"] == before["2026-11-02"])
        #expect(after["2026-11-01"] != before["2026-11-01"])
        #expect(outcome.detail("fact_dates") == 2 && outcome.detail("staging_superseded") == 1)
        // The same sale again, older: staging keeps the later one, and no date is rewritten, not
        // even the losing row's own.
        let older = try TestSupport.writeTemporaryFile(Self.header + "1,2026-11-02T08:00:00Z,S005,P0005,5,5.00,USD,\n", name: "older.csv")
        let kept = try Self.run([older], url: url)
        #expect(kept.detail("staging_kept") == 1 && kept.detail("fact_dates") == 0)
        #expect(try Self.facts(url).count == 4)
        #expect(try Self.xmins(url) == after)
        // A new sale on 2026-11-02 beside a losing repeat of sale 1: only 2026-11-02 is rewritten.
        let mixed = try TestSupport.writeTemporaryFile(Self.header + "1,2026-11-01T08:00:00Z,S005,P0005,5,5.00,USD,\n"
            + "20,2026-11-02T09:00:00Z,S003,P0003,1,2.00,GBP,\n", name: "mixed.csv")
        let partly = try Self.run([mixed], url: url)
        #expect(partly.detail("staging_kept") == 1 && partly.detail("fact_dates") == 1)
        let final = try Self.xmins(url)
        #expect(final["2026-11-03"] == after["2026-11-03"] && final["2026-11-01"] == after["2026-11-01"] && final["2026-11-02"] != after["2026-11-02"])
    }

    @Test("two runs over overlapping dates give the facts of one run over both files; re-running a file changes nothing; --full-refresh agrees")
    func incrementalEqualsOneRun() throws {
        let directory = try TestSupport.temporaryDirectory()
        let first = directory.appendingPathComponent("a.csv").path, second = directory.appendingPathComponent("b.csv").path
        _ = try SalesGenerator(rows: 20_000, days: 10, seed: 7, mess: 1).writeFile(to: first, workers: 2)
        // Ids overlap the first file's (late re-sends of its sales) and its dates overlap too.
        _ = try SalesGenerator(rows: 6_000, days: 3, startDay: DateEncoding.parseDate("2026-11-04"), seed: 8, firstID: 17_001, mess: 1)
            .writeFile(to: second, workers: 2)
        let twice = try TestCluster.newDatabase("sales"), once = try TestCluster.newDatabase("sales")
        try Self.run([first], url: twice)
        let before = try Self.xmins(twice)
        let incremental = try Self.run([second], url: twice)
        try Self.run([first, second], url: once)
        #expect(try Self.facts(twice) == Self.facts(once))
        #expect(try Self.staging(twice) == Self.staging(once))
        let after = try Self.xmins(twice)
        let untouched = before.keys.filter { after[$0] == before[$0] }
        #expect(!untouched.isEmpty && untouched.count + Int(incremental.detail("fact_dates")) == Set(before.keys).union(after.keys).count)

        let facts = try Self.facts(twice)
        let rerun = try Self.run([second, first], url: twice)
        #expect(rerun.outcome.rowsRead == 0 && rerun.detail("files_skipped") == 2 && rerun.detail("fact_dates") == 0)
        #expect(try Self.xmins(twice) == after && Self.query(twice, "SELECT count(*) FROM raw.sales") == Self.query(once, "SELECT count(*) FROM raw.sales"))

        try Self.run([], url: twice) { $0.fullRefresh = true }
        #expect(try Self.facts(twice) == facts && Self.staging(twice) == Self.staging(once))
    }

    @Test("a run planned on empty staging that finds it loaded once it holds the lock fails and loads nothing")
    func directLoadRace() throws {
        let url = try TestCluster.newDatabase("sales")
        let file = try TestSupport.writeTemporaryFile(Self.fixture, name: "first.csv")
        let other = try TestSupport.writeTemporaryFile(Self.header + "30,2026-11-05T10:00:00Z,S001,P0001,1,1.00,USD,\n", name: "other.csv")
        // Planned now (staging empty: a direct COPY), run after another run has loaded staging.
        let runtime = TestSupport.runtime(workers: 2)
        let database = try DatabaseTarget.resolve(option: url, database: nil)
        let planned = try SalesPipeline.job(SalesPipeline.Parameters(sources: [file]), context: JobContext(runtime: runtime, database: database))
        try Self.run([other], url: url)
        #expect(throws: SluiceError.self) {
            try PipelineRunner.run(planned, pipeline: SalesPipeline.name, settings: RunSettings(outputDirectory: nil, database: database), runtime: runtime)
        }
        #expect(try Self.staging(url) == ["30 2026-11-05 10:00:00+00 2026-11-05 S001 P0001 1 1.00 USD"])
        #expect(try Self.query(url, "SELECT count(*) FROM raw.sales") == [["1"]])
        // Planned again, it merges.
        try Self.run([file], url: url)
        #expect(try Self.staging(url).count == 5)
    }

    @Test("workers 1, 2 and 4, small batches and a small budget give the same staging and facts")
    func settings() throws {
        let file = try TestSupport.temporaryDirectory().appendingPathComponent("s.csv").path
        _ = try SalesGenerator(rows: 30_000, days: 5, seed: 3, totalAmount: true, mess: 2).writeFile(to: file, workers: 2)
        var results: [[String]] = []
        for (workers, memory, batch) in [(1, nil, 65_536), (2, nil, 1_000), (4, 8 << 20, 4_096)] as [(Int, Int?, Int)] {
            let url = try TestCluster.newDatabase("sales")
            try Self.run([file], url: url, workers: workers, memory: memory, batchRows: batch)
            results.append(try Self.facts(url) + Self.staging(url))
        }
        #expect(results.count == 3 && results[0].count > 30_000)
        #expect(results[1] == results[0] && results[2] == results[0])
    }
}
