import ArgumentParser
import SluiceCore
import Foundation
import SluicePipelines

/// `sluice generate sales --rows N --days D --start DATE --seed S --out FILE`: the input of the
/// sales warehouse pipeline (issue 14), in the original task's shape, made before the pipeline
/// itself can run it so that its loads and the original stack can be measured on the same files.
struct SalesSampleOptions: PipelineSampleOptions {
    typealias Definition = SalesPipeline
    static let abstract = "Sales in the warehouse task's shape (sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency[,total_amount])."
    static let discussion = """
        Stores S001–S020, products P0001–P0200, quantity 1–5, unit price 1.00–250.00, currency USD/EUR/GBP, sale_ts in ISO 8601 \
        with or without a zone (Z, +00:00, +02:00 or none, which means UTC) over --days days from --start. sale_id is text that \
        counts up from --first-id: a second file with --first-id past the first's ids and a --start inside its days overlaps \
        its dates without reusing its sales. --mess 1 (or 2) puts one of the original's problems in about 1 (or 2) rows in \
        100: late duplicates of a sale_id with a later sale_ts, missing fields, quantity 0, negative prices, JPY, and with \
        --total-amount a total that is not quantity × unit_price.
        """

    @Option(help: "Rows to write (suffixes k, M accepted: 10M).")
    var rows: String = "1M"

    @Option(help: "Days the sales spread over.")
    var days: Int = 30

    @Option(help: "The first day, YYYY-MM-DD (a fixed default, so a file depends only on its options).")
    var start: String = "2026-11-01"

    @Option(name: .customLong("first-id"), help: "The first sale_id.")
    var firstID: Int = 1

    @Flag(name: .customLong("total-amount"), help: "Write the optional total_amount column.")
    var totalAmount = false

    @Option(help: "0: clean; 1 or 2: about 1 or 2 rows in 100 with one of the original's problems.")
    var mess: Int = 0

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    func validate() throws {
        guard RowCount.parse(rows) != nil else { throw ValidationError("--rows '\(rows)' is not a count like 10M") }
        guard days >= 1 else { throw ValidationError("--days must be at least 1") }
        guard DateEncoding.parseDate(start) != nil else { throw ValidationError("--start '\(start)' is not a date like 2026-11-01") }
        guard firstID >= 0 else { throw ValidationError("--first-id must not be negative") }
        guard (0...2).contains(mess) else { throw ValidationError("--mess must be 0, 1 or 2") }
    }

    func sample() -> SalesGenerator {
        SalesGenerator(rows: RowCount.parse(rows) ?? 0, days: days, startDay: DateEncoding.parseDate(start), seed: seed,
                       firstID: firstID, totalAmount: totalAmount, mess: mess)
    }
}

/// `sluice run sales --source PATH... [--currencies USD,EUR,GBP] [--stores CSV] [--products CSV] [--full-refresh]`
struct SalesOptions: PipelineOptions {
    typealias Definition = SalesPipeline

    @Option(help: "Sales files, folders (their .csv files) or glob patterns, loaded in this order; repeat for more.")
    var source: [String] = []

    @Argument(help: "Sales files, folders or glob patterns (instead of --source).")
    var inputs: [String] = []

    @OptionGroup var tests: SalesTestOptions

    @Option(help: "A CSV of stores (with a store_id column) to upsert into marts.dim_stores, for the relationship test.")
    var stores: String?

    @Option(help: "A CSV of products (with a product_id column) to upsert into marts.dim_products, for the relationship test.")
    var products: String?

    @Flag(name: .customLong("full-refresh"), help: "Rebuild staging and every date's facts from all of raw.sales.")
    var fullRefresh = false

    @OptionGroup var csv: CSVReadOptions

    func validate() throws {
        guard !(source + inputs).isEmpty || fullRefresh else { throw ValidationError("give the sales files with --source PATH (or --full-refresh alone)") }
    }

    func parameters() throws -> SalesPipeline.Parameters {
        SalesPipeline.Parameters(sources: source + inputs, currencies: tests.accepted, stores: stores, products: products,
                                 fullRefresh: fullRefresh, maxQuotedLines: csv.maxQuotedLines)
    }
}

/// `--currencies`: the accepted codes, for the validation and the accepted-values test.
struct SalesTestOptions: ParsableArguments {
    @Option(help: "Accepted currency codes, comma-separated.")
    var currencies: String = SalesValidation.defaultCurrencies.joined(separator: ",")

    var accepted: [String] {
        currencies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard !accepted.isEmpty else { throw ValidationError("--currencies needs at least one code") }
        if let bad = accepted.first(where: { !$0.allSatisfy { $0.isLetter && $0.isASCII } }) {
            throw ValidationError("--currencies: '\(bad)' is not a currency code like USD")
        }
    }
}

/// `sluice test sales [--currencies …] [--db URL]`: the sales data tests alone, against the
/// tables as they are; exit 1 when an error test fails.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Run a pipeline's data tests against its tables (like dbt test).", subcommands: [Sales.self])

    struct Sales: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: SalesPipeline.name,
            abstract: "not_null and unique on the facts' grain, accepted currencies, relationships to dim_stores / dim_products, sales dated after tomorrow (warn).")

        @OptionGroup var tests: SalesTestOptions
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let target = try database.target(defaultDatabase: SalesPipeline.privateDatabase)
            let (runID, results) = try TestRunner.run(SalesPipeline.dataTests(currencies: tests.accepted), pipeline: SalesPipeline.name,
                                                      database: target, onWait: { Terminal.err("waiting for a run of sales to finish…\n") })
            for result in results { print(result.line) }
            let failed = results.filter { $0.status == .fail }.count
            print("run \(runID): \(results.count) tests, \(failed) failed, \(results.filter { $0.status == .warn }.count) warned")
            if let failure = DataTests.failure(results) { throw failure }
        }
    }
}
