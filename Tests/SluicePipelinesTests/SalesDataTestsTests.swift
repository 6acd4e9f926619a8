import Foundation
import SluiceCore
import SluicePipelines
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("sales data tests: a failing error test rolls the load back (live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct SalesDataTestsTests {
    typealias Sales = SalesPipelineTests

    /// How each error test is made to fail, before the run that must then roll back.
    enum Breakage: String, CaseIterable, Sendable {
        case missingStore, missingProduct, unacceptedCurrency, nullGrain, duplicateGrain
    }

    static func exists(_ url: String, _ table: String) throws -> Bool {
        try Sales.query(url, "SELECT to_regclass('\(table)') IS NOT NULL") == [["t"]]
    }

    @Test("each error test failing on purpose: the run throws, nothing of it commits, the failure is in sluice_test_results and the ledger",
          arguments: Breakage.allCases)
    func failingTest(_ breakage: Breakage) throws {
        let url = try TestCluster.newDatabase("salestest")
        let directory = try TestSupport.temporaryDirectory()
        let day1 = directory.appendingPathComponent("day1.csv").path, day2 = directory.appendingPathComponent("day2.csv").path
        try Data(Sales.fixture.utf8).write(to: URL(fileURLWithPath: day1))
        try Data((Sales.header + "20,2026-11-05T10:00:00Z,S001,P0001,1,2.00,USD,\n").utf8).write(to: URL(fileURLWithPath: day2))
        let stores = directory.appendingPathComponent("stores.csv").path, products = directory.appendingPathComponent("products.csv").path
        try Data("store_id,store_name\nS001,North\nS002,South\n".utf8).write(to: URL(fileURLWithPath: stores))
        try Data("product_id,product_name\nP0001,Tea\nP0002,Coffee\n".utf8).write(to: URL(fileURLWithPath: products))
        // A first, good run, with the dimensions (and JPY accepted when that is what breaks).
        try Sales.run([day1], url: url) { parameters in
            parameters.stores = stores
            parameters.products = products
            if breakage == .unacceptedCurrency { parameters.currencies = ["USD", "EUR", "GBP", "JPY"] }
        }
        let expected: String
        switch breakage {
        case .missingStore:
            try Data("store_id,store_name\nS002,South\n".utf8).write(to: URL(fileURLWithPath: stores))
            _ = try Sales.query(url, "DELETE FROM marts.dim_stores WHERE store_id = 'S001'")
            expected = "relationships_fct_daily_sales_metrics_store_id__store_id__dim_stores"
        case .missingProduct:
            _ = try Sales.query(url, "DELETE FROM marts.dim_products WHERE product_id = 'P0002'")
            expected = "relationships_fct_daily_sales_metrics_product_id__product_id__dim_products"
        case .unacceptedCurrency:
            expected = "accepted_values_fct_daily_sales_metrics_currency"
        case .nullGrain:
            _ = try Sales.query(url, "INSERT INTO marts.fct_daily_sales_metrics (sale_date, store_id, product_id, currency) VALUES ('2020-01-01', NULL, 'P0001', 'USD')")
            expected = "not_null_fct_daily_sales_metrics_store_id"
        case .duplicateGrain:
            _ = try Sales.query(url, "INSERT INTO marts.fct_daily_sales_metrics SELECT * FROM marts.fct_daily_sales_metrics WHERE sale_date = '2026-11-02'")
            expected = "unique_fct_daily_sales_metrics_sale_date__store_id__product_id__currency"
        }
        let facts = try Sales.facts(url), raw = try Sales.query(url, "SELECT count(*) FROM raw.sales")
        #expect(throws: SluiceError.self) {
            try Sales.run([day2], url: url) { if breakage == .missingStore { $0.stores = stores } }
        }
        do {
            try Sales.run([day2], url: url)
        } catch let error as SluiceError {
            #expect(error.kind == .data && error.message.contains(expected) && error.message.contains("nothing was loaded"), "\(error)")
        }
        // Nothing of the failed runs committed: not the raw rows, not the file's record, not the facts.
        #expect(try Sales.facts(url) == facts && Sales.query(url, "SELECT count(*) FROM raw.sales") == raw)
        #expect(try Sales.query(url, "SELECT count(*) FROM raw.sales_files") == [["1"]])
        let results = try Sales.query(url, "SELECT status, failing_rows, sample IS NOT NULL FROM sluice_test_results WHERE test = '\(expected)' ORDER BY tested_at")
        #expect(results.first == ["pass", "0", "f"] && results.dropFirst().allSatisfy { $0 == ["fail", "1", "t"] } && results.count == 3, "\(results)")
        let runs = try Sales.query(url, "SELECT status, coalesce(error, '') LIKE '%\(expected)%' FROM sluice_runs ORDER BY started_at, run_id")
        #expect(runs == [["succeeded", "f"], ["failed", "t"], ["failed", "t"]], "\(runs)")
    }

    @Test("a warn test only reports: a sale dated after tomorrow loads, and the warning is in the results")
    func warning() throws {
        let url = try TestCluster.newDatabase("salestest")
        let file = try TestSupport.writeTemporaryFile(Sales.header + "1,2099-01-01T00:00:00Z,S001,P0001,1,2.00,USD,\n", name: "future.csv")
        let run = try Sales.run([file], url: url)
        let warned = run.outcome.testResults.filter { $0.status == .warn }
        #expect(warned.map(\.test.name) == ["future_sale_date_fct_daily_sales_metrics"] && warned.first?.failingRows == 1)
        #expect(try Sales.facts(url) == ["2099-01-01 S001 P0001 USD 1 1 2.00 2.0000"])
        #expect(try Sales.query(url, "SELECT status FROM sluice_test_results WHERE test = 'future_sale_date_fct_daily_sales_metrics'") == [["warn"]])
    }

    @Test("the tests alone (sluice test sales) judge the tables as they are and record a ledger row")
    func testsAlone() throws {
        let url = try TestCluster.newDatabase("salestest")
        try Sales.run([try TestSupport.writeTemporaryFile(Sales.fixture, name: "s.csv")], url: url)
        let database = try DatabaseTarget.resolve(option: url, database: nil)
        let tests = SalesPipeline.dataTests(currencies: ["USD", "EUR", "GBP"])
        let clean = try TestRunner.run(tests, pipeline: SalesPipeline.name, database: database)
        #expect(clean.results.allSatisfy { $0.status == .pass || $0.status == .skipped } && DataTests.failure(clean.results) == nil)
        _ = try Sales.query(url, "UPDATE marts.fct_daily_sales_metrics SET currency = 'CHF' WHERE currency = 'EUR'")
        let broken = try TestRunner.run(tests, pipeline: SalesPipeline.name, database: database)
        #expect(broken.results.filter { $0.status == .fail }.map(\.test.name) == ["accepted_values_fct_daily_sales_metrics_currency"])
        #expect(broken.results.first { $0.status == .fail }?.sample == ["(CHF,1)"])
        #expect(try Sales.query(url, "SELECT status, parameters FROM sluice_runs WHERE run_id = '\(broken.runID)'") == [["failed", "test"]])
    }
}
