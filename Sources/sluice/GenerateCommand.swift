import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluicePostgres

/// `sluice generate <pipeline> …`
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate deterministic sample data for a pipeline.",
        subcommands: [GeneratePipelineCommand<TransactionsSampleOptions>.self, GeneratePipelineCommand<EcommerceSampleOptions>.self,
                      GeneratePipelineCommand<CreditsSampleOptions>.self, GeneratePipelineCommand<CustomersSampleOptions>.self,
                      GeneratePipelineCommand<SalesSampleOptions>.self, GenerateEcommerceDatabase.self]
    )
}

/// The options of one generator: the only part of `generate` a pipeline (or a pipeline still
/// being built, whose input can be made before it runs) adds.
protocol SampleOptions: ParsableArguments {
    associatedtype Generator
    /// The subcommand's name.
    static var name: String { get }
    static var abstract: String { get }
    static var discussion: String { get }
    /// The generator's settings from the parsed options.
    func sample() -> Generator
    /// Writes the sample to `destination` and says what was written.
    static func generate(_ sample: Generator, to destination: String, workers: Int) throws -> GeneratedSample
}

/// A declared pipeline's generator options: the name and the writing come from the pipeline.
protocol PipelineSampleOptions: SampleOptions where Generator == Definition.Sample {
    associatedtype Definition: Pipeline
}

extension PipelineSampleOptions {
    static var name: String { Definition.name }

    static func generate(_ sample: Generator, to destination: String, workers: Int) throws -> GeneratedSample {
        try Definition.generate(sample, to: destination, workers: workers)
    }
}

/// `sluice generate <name> [the generator's options] --out PATH [--workers N]`, the same for
/// every pipeline: runs its declared generator and says what it wrote.
struct GeneratePipelineCommand<Options: SampleOptions>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Options.name, abstract: Options.abstract, discussion: Options.discussion)
    }

    @OptionGroup var options: Options

    @Option(help: "Where to write (a file or a folder, as the pipeline reads it).")
    var out: String

    @Option(help: "Threads used to generate.")
    var workers: Int = ExecutionConfig.coreCount

    func run() throws {
        let started = SystemInfo.monotonicNanos()
        let written = try Options.generate(options.sample(), to: out, workers: max(1, workers))
        let elapsed = SystemInfo.monotonicNanos() - started
        let rate = Double(written.rows) / max(1e-9, Double(elapsed) / 1e9)
        print("wrote \(Terminal.count(written.rows)) rows (\(Terminal.bytes(written.bytes))) \(written.description) to \(out) in \(Terminal.seconds(elapsed)) (\(ProgressBar.short(rate)) rows/s)")
    }
}

/// `sluice generate transactions --rows N --customers M --products P --days D --skew K --seed S --out FILE`
struct TransactionsSampleOptions: PipelineSampleOptions {
    typealias Definition = TransactionsPipeline
    static let abstract = "Pipe-delimited transactions in the seed file's shape, with skewed customer activity."
    static let discussion = ""

    @Option(help: "Rows to write (suffixes k, M accepted: 20M).")
    var rows: String = "1M"

    @Option(help: "Distinct customers (default: rows / 200).")
    var customers: Int?

    @Option(help: "Distinct products.")
    var products: Int = 12

    @Option(help: "Days the purchase dates spread over, from 2011-01-01.")
    var days: Int = 730

    @Option(help: "How unevenly purchases fall on customers: a customer's rank is customers × u^skew (u uniform), so 1 is even; 3 puts about half the rows on an eighth of the customers.")
    var skew: Double = 3

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    func validate() throws {
        guard RowCount.parse(rows) != nil else { throw ValidationError("--rows '\(rows)' is not a count like 20M") }
        if let customers, customers < 1 { throw ValidationError("--customers must be at least 1") }
        guard products >= 1 else { throw ValidationError("--products must be at least 1") }
        guard (1...36_500).contains(days) else { throw ValidationError("--days must be between 1 and 36500") }
        guard skew.isFinite, skew >= 1, skew <= 20 else { throw ValidationError("--skew must be between 1 (even) and 20") }
    }

    func sample() -> TransactionsGenerator {
        TransactionsGenerator(rows: RowCount.parse(rows) ?? 0, customers: customers, products: products, days: days, skew: skew, seed: seed)
    }
}

/// `sluice generate ecommerce --weeks N --parts-per-day P --events-per-part K --seed S --out DIR`
struct EcommerceSampleOptions: PipelineSampleOptions {
    typealias Definition = EcommercePipeline
    static let abstract = "Weekly ZIP archives of daily ZIP archives of part-NNN.json event files, in the original task's shape."
    static let discussion = """
        Writes DIR/events_week_43.zip … (the ISO week of each Monday, from 2023-10-23), each holding events_2023-10-23.zip … \
        holding part-001.json … (JSON arrays indented by two spaces; text ids c001…, p001…), and, beside them, customers.csv and \
        products.csv, the dimension tables the events refer to (sluice generate ecommerce-db loads the same tables into PostgreSQL).
        """

    @Option(help: "Weeks of events (one archive each).")
    var weeks: Int = 1

    @Option(name: .customLong("parts-per-day"), help: "Part files per day.")
    var partsPerDay: Int = 4

    @Option(name: .customLong("events-per-part"), help: "Events per part file.")
    var eventsPerPart: Int = 1_000

    @Option(help: "Customers (c001 …).")
    var customers: Int = 100

    @Option(help: "Products (p001 …).")
    var products: Int = 50

    @Option(name: .customLong("unknown-permille"), help: "Events per thousand that name a customer or product the tables lack (the original has none).")
    var unknownPermille: Int = 0

    @Option(help: "Random seed; the same seed gives the same archives.")
    var seed: UInt64 = 42

    func validate() throws {
        guard weeks >= 1, partsPerDay >= 1, eventsPerPart >= 0 else { throw ValidationError("--weeks and --parts-per-day must be at least 1") }
        guard partsPerDay <= 999 else { throw ValidationError("--parts-per-day is at most 999 (part-NNN.json)") }
        guard customers >= 1, products >= 1 else { throw ValidationError("--customers and --products must be at least 1") }
        guard customers < 10_000_000, products < 10_000_000 else { throw ValidationError("ids are at most 8 characters (varchar(10)): under 10M customers and products") }
        guard (0...1_000).contains(unknownPermille) else { throw ValidationError("--unknown-permille must be between 0 and 1000") }
    }

    func sample() -> EcommerceGenerator {
        var generator = EcommerceGenerator(weeks: weeks, partsPerDay: partsPerDay, eventsPerPart: eventsPerPart, seed: seed)
        generator.customers = customers
        generator.products = products
        generator.unknownPermille = unknownPermille
        return generator
    }
}

/// `sluice generate ecommerce-db`: creates and fills `customers` and `products`.
struct GenerateEcommerceDatabase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecommerce-db",
        abstract: "Create and fill the ecommerce dimension tables customers and products in PostgreSQL, in the original task's shape.",
        discussion: """
        customers(customer_id varchar(10) primary key, join_date date, segment varchar(50)) and products(product_id varchar(10) primary \
        key, product_name varchar(100), category varchar(50), price numeric(10,2)). Idempotent: the tables are created when missing and \
        upserted, so running it twice changes nothing. On the private cluster the database is "ecommerce".
        """
    )

    @Option(help: "Random seed (the same as the events' --seed gives matching tables).")
    var seed: UInt64 = 42

    @Option(help: "Customers (c001 …), as for the events.")
    var customers: Int = 100

    @Option(help: "Products (p001 …), as for the events.")
    var products: Int = 50

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let target = try database.target(defaultDatabase: EcommercePipeline.privateDatabase)
        var generator = EcommerceGenerator(weeks: 1, partsPerDay: 1, eventsPerPart: 0, seed: seed)
        generator.customers = max(1, customers)
        generator.products = max(1, products)
        let connection = try target.connect()
        defer { connection.close() }
        let customersTable = TargetTable(name: QualifiedName(name: "customers"), columns: EcommercePipeline.customerColumns, key: ["customer_id"])
        let productsTable = TargetTable(name: QualifiedName(name: "products"), columns: EcommercePipeline.productColumns, key: ["product_id"])
        let loads = try connection.transaction { connection in
            [try StagedLoader.load([generator.customerTable()], into: customersTable, on: connection),
             try StagedLoader.load([generator.productTable()], into: productsTable, on: connection)]
        }
        for (name, load) in zip(["customers", "products"], loads) {
            print("\(name): \(load.inserted) inserted · \(load.updated) updated · \(load.unchanged) unchanged")
        }
        print("in \(target.isPrivateCluster ? "the private cluster (.sluice/postgres)" : target.url.redacted)")
    }
}

/// Row counts as users write them: `1000`, `50k`, `20M`, `1G`.
enum RowCount {
    static func parse(_ text: String) -> Int? {
        let lower = text.lowercased().replacingOccurrences(of: "_", with: "")
        let multipliers: [Character: Double] = ["k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9]
        if let last = lower.last, let multiplier = multipliers[last], let number = Double(lower.dropLast()), number >= 0 {
            return Int(number * multiplier)
        }
        return Int(lower).flatMap { $0 >= 0 ? $0 : nil }
    }
}
