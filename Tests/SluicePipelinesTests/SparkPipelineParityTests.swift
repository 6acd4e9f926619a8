import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluicePostgres
import SluiceSpark
import SluiceTestSupport
import Testing

/// The pipelines with `--engine spark` against the local engine on the same inputs: every
/// output file and rejects.csv byte for byte, the same counts and figures.
@Suite("Pipelines on Spark give the local engine's files", .serialized,
       .enabled(if: SparkTestEnvironment.available, SparkTestEnvironment.skipReason))
struct SparkPipelineParityTests {
    static var spark: SparkSettings {
        SparkSettings(sparkHome: SparkTestEnvironment.sparkHome, master: "local[2]",
                      conf: [("spark.sql.shuffle.partitions", "2"), ("spark.driver.memory", "1g")])
    }

    static func compare(_ local: PipelineRun, _ spark: PipelineRun, files: [String]) {
        for name in files + ["rejects.csv"] {
            #expect(spark.file(name) == local.file(name), "\(name):\nlocal:\n\(local.file(name).prefix(2_000))\nspark:\n\(spark.file(name).prefix(2_000))")
        }
        // The same counts per file (listed in the order each engine first met the file).
        #expect(spark.outcome.sourceCounts.sorted { $0.source < $1.source } == local.outcome.sourceCounts.sorted { $0.source < $1.source })
        #expect(spark.outcome.observations == local.outcome.observations)
        #expect(spark.outcome.rowsRead == local.outcome.rowsRead && spark.outcome.rowsRejected == local.outcome.rowsRejected)
    }

    @Test("transactions: the seed file with messy rows added (bad units, missing fields, a stray quote)")
    func transactions() throws {
        let seed = try String(contentsOfFile: TestSupport.seedFile("transaction.csv"), encoding: .utf8)
        let messy = seed + "9|0000042|2024-01-05|PURA250|0\n10|0000042|2024-01-06|PURA250|-3\n11||2024-01-07|PURA100|2\n"
            + "12|0000043|2024-02-30|PURA100|2\n13|0000043|2024-01-08|\"FO|2\n14|0000044|2024-01-09|PURA100\n"
        let path = try TestSupport.writeTemporaryFile(messy, name: "transactions.csv")
        let parameters = TransactionsPipeline.Parameters(source: path)
        let local = try PipelineRun.run(TransactionsPipeline.self, parameters, runtime: TestSupport.runtime(workers: 2))
        let spark = try PipelineRun.run(TransactionsPipeline.self, parameters, runtime: TestSupport.runtime(workers: 2), spark: Self.spark)
        #expect(local.file("customers.csv").split(separator: "\n").count > 880)
        Self.compare(local, spark, files: ["customers.csv"])
    }

    @Test("credits: the seed file — events, balances and rejects; event ids are Spark's xxhash64, the same on both")
    func credits() throws {
        let parameters = CreditsPipeline.Parameters(source: TestSupport.seedFile("credits_test_data.csv"))
        let local = try PipelineRun.run(CreditsPipeline.self, parameters, runtime: TestSupport.runtime(workers: 2))
        let spark = try PipelineRun.run(CreditsPipeline.self, parameters, runtime: TestSupport.runtime(workers: 2), spark: Self.spark)
        #expect(local.file("events.csv").split(separator: "\n").count == 958)
        Self.compare(local, spark, files: ["events.csv", "finance_org_balance.csv"])
    }

    @Test("customers: the seed file and a messy generated one — the last record wins, duplicates listed and set apart, quarantined rows")
    func customers() throws {
        let directory = try TestSupport.temporaryDirectory()
        let messy = directory.appendingPathComponent("partner.csv").path
        _ = try CustomersGenerator(rows: 3_000, seed: 7, mess: 2).write(to: messy, workers: 2)
        let parameters = CustomersPipeline.Parameters(sources: [TestSupport.seedFile("customers-100.csv"), messy])
        let local = try PipelineRun.run(CustomersPipeline.self, parameters, runtime: TestSupport.runtime(workers: 2))
        let spark = try PipelineRun.run(CustomersPipeline.self, parameters, runtime: TestSupport.runtime(workers: 2), spark: Self.spark)
        #expect(local.file("duplicates.csv").split(separator: "\n").count > 1 && local.outcome.rowsRejected > 0)
        Self.compare(local, spark, files: ["customers.csv", "duplicates.csv"])
        let summary = { (run: PipelineRun) in run.job.report(run.outcome).lines.map { $0.replacingOccurrences(of: run.directory.path, with: "OUT") } }
        #expect(summary(spark) == summary(local))
    }

    @Test("sales into PostgreSQL: a first load and an overlapping second file give the same raw, staging, facts and rejects",
          .enabled(if: TestCluster.available, TestCluster.skipReason))
    func sales() throws {
        let directory = try TestSupport.temporaryDirectory()
        let first = directory.appendingPathComponent("a.csv").path, second = directory.appendingPathComponent("b.csv").path
        _ = try SalesGenerator(rows: 6_000, days: 5, seed: 3, totalAmount: true, mess: 2).writeFile(to: first, workers: 2)
        _ = try SalesGenerator(rows: 2_000, days: 2, startDay: DateEncoding.parseDate("2026-11-04"), seed: 4, firstID: 5_001, mess: 2)
            .writeFile(to: second, workers: 2)
        let queries = [
            "SELECT sale_id, sale_ts, store_id, product_id, quantity, unit_price, currency, total_amount, source_file, source_line, file_ordinal FROM raw.sales",
            "SELECT sale_id, sale_ts, sale_date, store_id, product_id, quantity, unit_price, currency, total_amount, source_file, source_line FROM staging.stg_sales",
            "SELECT sale_date, store_id, product_id, currency, transactions, units_sold, revenue, avg_unit_price FROM marts.fct_daily_sales_metrics",
            "SELECT source, line, byte_offset, column_name, kind, raw, message FROM sluice_rejects",
        ]
        var tables: [[String]] = []
        for spark in [nil, Self.spark] {
            let url = try TestCluster.newDatabase("sales")
            let database = try DatabaseTarget.resolve(option: url, database: nil)
            for file in [first, second] {
                let runtime = TestSupport.runtime(workers: 2)
                let job = try SalesPipeline.job(SalesPipeline.Parameters(sources: [file]), context: JobContext(runtime: runtime, database: database))
                _ = try PipelineRunner.run(job, pipeline: SalesPipeline.name, settings: RunSettings(outputDirectory: nil, database: database, spark: spark),
                                           runtime: runtime)
            }
            let connection = try PostgresConnection(url)
            defer { connection.close() }
            tables.append(try queries.map { query in
                try connection.execute("SELECT count(*) || ' ' || md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (\(query)) t").rows.first?[0] ?? ""
            })
        }
        #expect(tables.count == 2 && tables[0] == tables[1], "\(tables)")
        #expect(tables.first?[2].hasPrefix("0 ") == false)
    }

    @Test("ecommerce: generated nested archives (staged for Spark by Sluice), unknown ids, dimension files")
    func ecommerce() throws {
        let directory = try TestSupport.temporaryDirectory()
        var generator = EcommerceGenerator(weeks: 1, partsPerDay: 2, eventsPerPart: 300, seed: 11)
        generator.unknownPermille = 30
        _ = try generator.write(to: directory.path, workers: 2)
        let csv = { (batch: RecordBatch) -> String in
            var bytes: [UInt8] = []
            CSVWriter().appendHeader(batch.schema, to: &bytes)
            CSVWriter().appendRows(batch, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        let products = try TestSupport.writeTemporaryFile(csv(generator.productTable()), name: "products.csv")
        let customers = try TestSupport.writeTemporaryFile(csv(generator.customerTable()), name: "customers.csv")
        let parameters = EcommercePipeline.Parameters(events: directory.path, productsFile: products, customersFile: customers)
        let local = try PipelineRun.run(EcommercePipeline.self, parameters, runtime: TestSupport.runtime(workers: 2))
        let spark = try PipelineRun.run(EcommercePipeline.self, parameters, runtime: TestSupport.runtime(workers: 2), spark: Self.spark)
        let categories = (try? FileManager.default.contentsOfDirectory(atPath: local.directory.appendingPathComponent("by_category").path)) ?? []
        #expect(categories.count == 5)
        Self.compare(local, spark, files: ["sales_report.csv"] + categories.sorted().map { "by_category/\($0)" })
    }
}
