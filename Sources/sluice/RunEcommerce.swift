import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluicePostgres

/// `sluice run ecommerce --events DIR [--products CSV --customers CSV] [--out DIR]`
struct RunEcommerce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecommerce",
        abstract: "Sales by product category and customer segment from nested ZIP archives of JSON events.",
        discussion: """
        Reads products and customers from PostgreSQL (or --products / --customers CSV files), writes OUT/sales_report.csv and \
        OUT/by_category/<category>.csv, and loads table sales_report. On the private cluster the database is "ecommerce"; create \
        its dimension tables with: sluice generate ecommerce-db.
        """
    )

    @Option(help: "A folder of events_*.zip archives, or one archive.")
    var events: String

    @Option(help: "products as CSV (product_id,product_name,category,price).")
    var products: String?

    @Option(help: "customers as CSV (customer_id,join_date,segment).")
    var customers: String?

    @Option(help: "Output directory for the reports.")
    var out: String = "reports"

    @Option(name: .customLong("on-error"), help: "A corrupt archive or entry: fail the run, or skip it as a reject.")
    var onError: String = "fail"

    @Option(help: "Table for the report.")
    var table: String = "sales_report"

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var engine: EngineOptions

    /// CSV dimension tables and no database option: a run that touches no database.
    var usesDatabase: Bool { products == nil || database.given }

    func validate() throws {
        guard OnError(rawValue: onError) != nil else { throw ValidationError("--on-error must be fail or skip") }
        guard (products == nil) == (customers == nil) else { throw ValidationError("give both --products and --customers, or neither") }
    }

    func run() throws {
        let runtime = ExecutionRuntime(config: engine.config)
        let archives = try EcommercePipeline.archives(at: events)
        let target = usesDatabase ? try database.target(defaultDatabase: "ecommerce") : nil
        let (productTable, customerTable) = try dimensionTables(target)
        let rejects = engine.rejectSink()
        let policy = OnError(rawValue: onError) ?? .fail
        let compute = {
            try RunSession(runtime: runtime, showProgress: !engine.noProgress).run {
                try EcommercePipeline.run(archives: archives, products: productTable, customers: customerTable, runtime: runtime,
                                          rejects: rejects, onError: policy)
            }
        }
        var computed: (report: EcommercePipeline.Report, result: PipelineResult)?
        var loadLines: [String] = []
        if let target {
            let tableName = try QualifiedName(parsing: table)
            let load = DatabaseLoad(target: target, job: "ecommerce", parameters: "events=\(events) table=\(tableName) on-error=\(onError)",
                                    fingerprint: DatabaseLoad.fingerprint(of: archives))
            let outcome = try load.run(onWait: { Terminal.err("waiting for another run of ecommerce to finish…\n") }) {
                let value = try compute()
                computed = value
                let details = [("purchases", "\(value.report.purchases)"), ("unknown_product", "\(value.report.unknownProduct)"),
                               ("unknown_customer", "\(value.report.unknownCustomer)")]
                return ([(EcommercePipeline.reportTable(tableName), [value.report.rows])], value.result, runtime.spill.filesWritten, details)
            }
            loadLines = RunReport.loadLines(outcome, target: target)
        } else {
            computed = try compute()
        }
        guard let (report, result) = computed else { throw SluiceError.internal("the run finished without a result") }
        let written = try ReportFiles.write(report.rows, directory: out)
        let rejectsPath = try RunReport.writeRejects(result.rejects, directory: out)
        var outputs = ["\(report.rows.rowCount) (category, segment) rows → \(written.report)", "\(written.categories) per-category reports → \(written.folder)"]
        outputs.append("\(Terminal.count(report.purchases)) purchases · \(Terminal.count(report.unknownProduct)) with an unknown product · \(Terminal.count(report.unknownCustomer)) with an unknown customer (not in the report)")
        outputs += loadLines
        RunReport.printSummary(result, runtime: runtime, inputs: archives, outputs: outputs, rejectsPath: rejectsPath)
        if engine.stats { RunReport.printStages(result.stages) }
    }

    /// The dimension tables: CSV files when given, else the PostgreSQL tables.
    private func dimensionTables(_ target: DatabaseTarget?) throws -> (any TableSource, any TableSource) {
        if let products, let customers {
            return (try Self.csvTable(products, schema: EcommercePipeline.productSchema),
                    try Self.csvTable(customers, schema: EcommercePipeline.customerSchema))
        }
        guard let target else { throw SluiceError.internal("no dimension tables") }
        let url = target.url.connectionString
        return (PostgresTableSource(connectionString: url, table: EcommercePipeline.productsTable.name, schema: EcommercePipeline.productSchema),
                PostgresTableSource(connectionString: url, table: EcommercePipeline.customersTable.name, schema: EcommercePipeline.customerSchema))
    }

    static func csvTable(_ path: String, schema: Schema) throws -> any TableSource {
        var options = CSVOptions(columnTypes: Dictionary(uniqueKeysWithValues: schema.fields.map { ($0.name, $0.type) }), requiredColumns: schema.names)
        options.notNullColumns = [schema.names[0]]
        return try CSVSource(path: path, options: options)
    }
}

/// The ecommerce report files: one for everything, one per category.
enum ReportFiles {
    static func write(_ rows: RecordBatch, directory: String) throws -> (report: String, folder: String, categories: Int) {
        let report = (directory as NSString).appendingPathComponent("sales_report.csv")
        try CSVFileSink.write([rows], schema: rows.schema, to: report)
        let folder = (directory as NSString).appendingPathComponent("by_category")
        var byCategory: [String: [Int32]] = [:]
        var order: [String] = []
        for row in 0..<rows.rowCount {
            let category = rows.columns[0].value(at: row).description
            if byCategory[category] == nil { order.append(category) }
            byCategory[category, default: []].append(Int32(row))
        }
        for category in order {
            let file = (folder as NSString).appendingPathComponent(safeFileName(category) + ".csv")
            try CSVFileSink.write([rows.take(byCategory[category] ?? [])], schema: rows.schema, to: file)
        }
        return (report, folder, order.count)
    }

    /// A category as a file name: letters, digits, `-` and `_` kept, anything else `_`, so a
    /// value can never name a path outside the folder.
    static func safeFileName(_ value: String) -> String {
        let mapped = value.unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" ? Character(scalar) : "_"
        }
        let name = String(mapped)
        return name.isEmpty || name.allSatisfy({ $0 == "_" }) ? "category_\(abs(value.hashValue % 100_000))" : name
    }
}
