public import SluiceCore
public import SluiceEngine
public import SluiceIO
public import SluicePostgres
import Foundation

/// Pipeline 5, **sales**: the warehouse pattern of a Python COPY loader plus dbt on PostgreSQL,
/// as one run. Sales files are validated (``SalesValidation``: every row valid or a reject with
/// its reason), the valid rows appended to `raw.sales` (a file already loaded, by sha-256, is
/// skipped), de-duplicated per `sale_id` into `staging.stg_sales`, and the daily facts
/// `marts.fct_daily_sales_metrics` replaced for exactly the dates the run touches
/// (``SalesWarehouse``). Then the data tests run (``dataTests(currencies:)``); a failing
/// `error` test rolls everything back and the run exits 1 — where a dbt run would leave its
/// models built on bad data.
///
/// The engine does the work per row: parsing, validation, and the de-duplication of the new
/// rows (`argMax` over `(sale_ts, file, line)` per `sale_id`), in parallel; PostgreSQL only
/// merges the new sales into staging and aggregates the touched dates.
public enum SalesPipeline: Pipeline {
    public static let name = "sales"
    public static let summary = "Sales files → validated raw.sales (each file once), de-duplicated staging, daily facts replaced by date, data tests that can fail the run."
    public static let details = """
        Input: CSV files sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency[,total_amount] (sale_ts ISO 8601; no zone \
        means UTC). Appends valid rows to raw.sales (a file whose sha-256 is in raw.sales_files is skipped); keeps one row per sale_id \
        in staging.stg_sales (the latest sale_ts, ties to the later load, then the later line); replaces the rows of \
        marts.fct_daily_sales_metrics for the dates the run touches (--full-refresh: all of them, from all of raw.sales); then runs the \
        data tests (sluice test sales runs them alone). --stores / --products load marts.dim_stores / marts.dim_products for the \
        relationship tests. Rejects go to sluice_rejects (and OUT/rejects.csv with --out).
        """
    public static let privateDatabase = "sales"

    /// One run's inputs and policies.
    public struct Parameters: Sendable {
        /// Files, folders (their `.csv` files) or glob patterns, loaded in this order.
        public var sources: [String]
        /// Accepted currency codes (upper case).
        public var currencies: [String]
        /// A CSV of stores (with a `store_id` column) upserted into `marts.dim_stores`.
        public var stores: String?
        /// A CSV of products (with a `product_id` column) upserted into `marts.dim_products`.
        public var products: String?
        /// Rebuild staging and every date's facts from all of `raw.sales`.
        public var fullRefresh: Bool
        public var maxQuotedLines: Int

        public init(sources: [String], currencies: [String] = SalesValidation.defaultCurrencies, stores: String? = nil, products: String? = nil,
                    fullRefresh: Bool = false, maxQuotedLines: Int = CSVOptions.defaultMaxQuotedLines) {
            self.sources = sources
            self.currencies = currencies.map { $0.uppercased() }
            self.stores = stores
            self.products = products
            self.fullRefresh = fullRefresh
            self.maxQuotedLines = maxQuotedLines
        }
    }

    public static func readsDatabase(_ parameters: Parameters) -> Bool { true }

    /// The tests every run ends with, on the facts' grain, currency and dimensions (the
    /// original's dbt `schema.yml`), and a warning for sales dated after tomorrow (a clock or a zone gone wrong).
    public static func dataTests(currencies: [String], warehouse: SalesWarehouse = SalesWarehouse()) -> [DataTest] {
        let facts = warehouse.facts
        return ["sale_date", "store_id", "product_id", "currency"].map { DataTest(.notNull($0), on: facts) } + [
            DataTest(.unique(["sale_date", "store_id", "product_id", "currency"]), on: facts),
            DataTest(.acceptedValues("currency", currencies.map { $0.uppercased() }), on: facts),
            DataTest(.relationships("store_id", to: warehouse.stores, field: "store_id"), on: facts),
            DataTest(.relationships("product_id", to: warehouse.products, field: "product_id"), on: facts),
            DataTest(.rowsWhere("future_sale_date", "sale_date > current_date + 1"), on: facts, severity: .warn),
        ]
    }

    public static func job(_ parameters: Parameters, context: JobContext) throws -> Job {
        let database = try context.requireDatabase(for: "the sales pipeline")
        let warehouse = SalesWarehouse()
        let paths = parameters.sources.isEmpty ? [] : try CustomerFiles.expand(parameters.sources, extensions: ["csv", "txt"])
        let connection = try database.connect()
        let loaded = try warehouse.loadedFiles(on: connection), stagingEmpty = try warehouse.stagingIsEmpty(on: connection)
        connection.close()
        var frames: [DataFrame] = [], again: [DataFrame] = [], files: [SalesWarehouse.LoadedFile] = [], skipped: [(String, String)] = []
        let options = csvOptions(maxQuotedLines: parameters.maxQuotedLines)
        for path in paths {
            let digest = FileDigest.Pending(path)
            let source: CSVSource
            do {
                source = try CSVSource(path: path, options: options, rejects: context.runtime.rejects)
            } catch {
                _ = try? digest.wait()
                throw error
            }
            let (size, sha256) = try digest.wait()
            if let run = loaded[sha256] {
                skipped.append((path, run))
                continue
            }
            if let twin = files.first(where: { $0.sha256 == sha256 }) {
                skipped.append((path, "this run, as \(twin.path)"))
                continue
            }
            // Staging reads the file a second time, in parallel splits, rather than holding
            // the raw rows for a one-partition scan; its rows were counted by the first read.
            let second = try CSVSource(path: path, options: options, rejects: RejectSink())
            frames.append(SalesValidation.validated(source, currencies: parameters.currencies).withColumn("file_ordinal", lit(files.count)))
            again.append(SalesValidation.validated(second, currencies: parameters.currencies, rejecting: false).withColumn("file_ordinal", lit(files.count)))
            files.append(SalesWarehouse.LoadedFile(path: path, size: size, sha256: sha256))
        }
        let arrival: SalesWarehouse.Arrival = parameters.fullRefresh ? .fullRefresh : frames.isEmpty ? .none : stagingEmpty ? .direct : .merged
        var steps = try dimensionSteps(parameters, warehouse: warehouse, rejects: context.runtime.rejects)
        if !frames.isEmpty {
            let all = { (frames: [DataFrame]) in frames.count == 1 ? frames[0] : DataFrame(.union(frames.map(\.plan))) }
            steps += try saleSteps(all(frames), again: all(again), arrival: arrival, warehouse: warehouse)
        }
        let applied = Locked(SalesWarehouse.Applied())
        let registered = files, skippedFiles = skipped
        var job = Job(
            inputs: files.map(\.path),
            parameters: "sources=\(parameters.sources.joined(separator: ",")) currencies=\(parameters.currencies.joined(separator: ","))"
                + (parameters.stores.map { " stores=\($0)" } ?? "") + (parameters.products.map { " products=\($0)" } ?? "")
                + (parameters.fullRefresh ? " full-refresh" : ""),
            steps: steps,
            report: { outcome in
                SalesReport.report(outcome, applied: applied.withLock { $0 }, files: Set(registered.map(\.path)), skipped: skippedFiles)
            },
            record: { outcome, connection in
                guard let runID = outcome.runID else { return }
                let figures = registered.map { file in
                    var file = file
                    let counts = outcome.sourceCounts.first { $0.source == file.path }
                    (file.read, file.loaded, file.rejected) = (counts?.read ?? 0, counts?.passed ?? 0, counts?.rejected ?? 0)
                    return file
                }
                try warehouse.record(figures, runID: runID, on: connection)
                let staged = outcome.loads.first { [warehouse.staging, warehouse.incoming].map(\.description).contains($0.table) }?.result.staged ?? 0
                let result = try warehouse.apply(arrival, runID: runID, staged: staged, on: connection)
                applied.withLock { $0 = result }
            }
        )
        if arrival == .direct { job.prepare = { try warehouse.requireEmptyStaging(on: $0) } }
        job.tests = dataTests(currencies: parameters.currencies, warehouse: warehouse)
        return job
    }

    public static func declaredJob(config: ExecutionConfig) throws -> Job {
        let schema = Schema((SalesValidation.requiredColumns + [SalesValidation.totalColumn]).map { Field($0, .string) } + Provenance.fields)
        let source = DeclaredSource(name: "<sales file>", schema: schema, scanName: "CSVScan")
        let frame = SalesValidation.validated(source).withColumn("file_ordinal", lit(0))
        var job = Job(inputs: [], parameters: "", steps: try saleSteps(frame, again: frame, arrival: .merged, warehouse: SalesWarehouse()))
        job.tests = dataTests(currencies: SalesValidation.defaultCurrencies)
        return job
    }

    public static func generate(_ sample: SalesGenerator, to destination: String, workers: Int) throws -> GeneratedSample {
        try sample.writeFile(to: destination, workers: max(1, workers))
    }

    static func csvOptions(maxQuotedLines: Int) -> CSVOptions {
        var options = SalesValidation.csvOptions()
        options.maxQuotedLines = maxQuotedLines
        return options
    }

    /// The columns of `raw.sales`, as the engine writes them (`run_id` is added by the load).
    static let rawColumns = ["sale_id", "sale_ts", "store_id", "product_id", "quantity", "unit_price", "currency", "total_amount",
                             "source_file", "source_line", "file_ordinal"]

    /// `raw`: every valid row appended to `raw.sales`; `staging`: the same rows read again
    /// (`again`), one per `sale_id`, the latest `(sale_ts, file, line)`, into staging itself
    /// when it is empty or into `staging.stg_sales_new` for the merge. A full refresh rebuilds
    /// staging in SQL.
    ///
    /// Into empty staging, the facts of every date are only the new rows', so the engine
    /// computes them too (`facts`, from the staged rows held for it) and PostgreSQL copies
    /// them into place, rather than aggregating the whole of staging again.
    static func saleSteps(_ validated: DataFrame, again: DataFrame, arrival: SalesWarehouse.Arrival, warehouse: SalesWarehouse)
        throws -> [JobStep]
    {
        let rawRows = { (frame: DataFrame) in
            frame.select(rawColumns.map { name in
                switch name {
                case "source_file": col(Provenance.sourceColumn).alias(name)
                case "source_line": col(Provenance.lineColumn).alias(name)
                default: col(name)
                }
            })
        }
        let raw = rawRows(validated)
        let rawTable = JobOutput.table(TableOutput(name: warehouse.raw, key: [], mode: .append, types: SalesWarehouse.columnTypes, runColumn: "run_id"))
        guard arrival != .fullRefresh else { return [JobStep(name: "raw", frame: raw, outputs: [rawTable])] }
        let latest = [col("sale_ts"), col("file_ordinal"), col("source_line")]
        let kept = ["store_id", "product_id", "quantity", "unit_price", "currency", "total_amount", "source_file", "source_line"]
        let staged = rawRows(again)
            .groupBy("sale_id")
            .agg([Agg.max(col("sale_ts")).as("sale_ts")] + kept.map { Agg.argMax(col($0), by: latest).as($0) })
            .select(col("sale_id"), col("sale_ts"), col("sale_ts").toDate().alias("sale_date"), col("store_id"), col("product_id"),
                    col("quantity"), col("unit_price"), col("currency"), col("total_amount"), col("source_file"), col("source_line"))
        let stagingTable = { (name: QualifiedName) in
            JobOutput.table(TableOutput(name: name, key: ["sale_id"], mode: .append, types: SalesWarehouse.columnTypes, runColumn: "run_id"))
        }
        guard arrival == .direct else {
            return [JobStep(name: "raw", frame: raw, outputs: [rawTable]), JobStep(name: "staging", frame: staged, outputs: [stagingTable(warehouse.incoming)])]
        }
        let held = try SpooledResult(schema: try staged.schema(), name: "staging",
                                     keeping: ["sale_date", "store_id", "product_id", "currency", "quantity", "unit_price"])
        let facts = DataFrame(held)
            .groupBy("sale_date", "store_id", "product_id", "currency")
            .agg(Agg.count().as("transactions"), Agg.sum(col("quantity")).as("units_sold"), Agg.sum(col("quantity") * col("unit_price")).as("revenue"))
        return [
            JobStep(name: "raw", frame: raw, outputs: [rawTable]),
            JobStep(name: "staging", frame: staged, outputs: [stagingTable(warehouse.staging), .feeds(held)]),
            JobStep(name: "facts", frame: facts, outputs: [.table(TableOutput(name: warehouse.newFacts, key: [], mode: .append))]),
        ]
    }

    /// `dim_stores` / `dim_products` from `--stores` / `--products`: every column as trimmed
    /// text, upserted on the id; a row without an id is a reject, and of rows with the same
    /// id the last in the file wins.
    static func dimensionSteps(_ parameters: Parameters, warehouse: SalesWarehouse, rejects: RejectSink) throws -> [JobStep] {
        let dimensions = [(parameters.stores, warehouse.stores, "store_id"), (parameters.products, warehouse.products, "product_id")]
        return try dimensions.compactMap { path, table, key in
            guard let path else { return nil }
            var options = CSVOptions(requiredColumns: [key])
            options.defaultType = .string
            options.maxQuotedLines = parameters.maxQuotedLines
            options.provenance = true
            let source = try CSVSource(path: path, options: options, rejects: rejects)
            let columns = source.schema.names.filter { !Provenance.isProvenance($0) }
            let others = columns.filter { $0 != key }
            let frame = DataFrame(source)
                .select(columns.map { col($0).trim().nullIfEmpty().alias($0) } + [col(Provenance.sourceColumn), col(Provenance.lineColumn)])
                .rejectWhen(col(key).isNull(), kind: "missing_field", reason: "missing \(key)")
                .groupBy(key)
                .agg(others.map { Agg.argMax(col($0), by: col(Provenance.lineColumn)).as($0) })
            return JobStep(name: table.name.name, frame: frame, outputs: [.table(TableOutput(name: table, key: [key]))])
        }
    }
}
