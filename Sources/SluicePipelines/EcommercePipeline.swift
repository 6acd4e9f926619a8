public import SluiceCore
public import SluiceEngine
public import SluiceIO
public import SluicePostgres
import Foundation

/// Pipeline 2, **ecommerce**: sales by product category and customer segment.
///
/// Events come as JSON arrays in `part-NNN.json` files inside daily ZIP archives inside
/// weekly ZIP archives; products and customers come from PostgreSQL (or CSV files). The plan
/// keeps the purchases, broadcasts both dimension tables into a hash join (left joins, so a
/// purchase of an unknown product or by an unknown customer is counted, never silently lost),
/// computes `quantity × price` exactly in decimals, and aggregates per (category, segment):
/// revenue, units and distinct customers.
///
/// Types come from the sources, never from this file: the dimension tables' columns from the
/// PostgreSQL catalog (or sniffed from the CSV files), the events' from their JSON values.
/// Ids may be text (`c042`, the original task's) or integers, as long as both sides of each
/// join agree; when they do not, the run stops before reading anything, naming both columns.
///
/// Bad rows are rejects of their own source, with its file (or table) and line: a purchase
/// whose quantity is not positive (`invalid_value`) or whose `quantity × price` does not fit
/// a 64-bit decimal (`overflow`); a product without a category or price, or with a negative
/// price, a customer without a segment (`invalid_value`). Dimension keys are checked unique
/// (``Parameters/onDuplicateKey``), so a duplicate never multiplies the purchases that join it.
public enum EcommercePipeline: Pipeline {
    public static let name = "ecommerce"
    public static let summary = "Sales by product category and customer segment from nested ZIP archives of JSON events."
    public static let details = """
        Reads products and customers from PostgreSQL (or --products / --customers CSV files), writes OUT/sales_report.csv and \
        OUT/by_category/<category>.csv, and loads table sales_report. On the private cluster the database is "ecommerce"; create \
        its dimension tables with: sluice generate ecommerce-db.
        """
    public static let privateDatabase = "ecommerce"
    public static let defaultOutputDirectory: String? = "reports"

    /// One run: the archives, where the dimension tables come from, the report's table, and
    /// what a corrupt archive or entry does.
    public struct Parameters: Sendable {
        public var events: String
        /// CSV files for the dimension tables; nil reads the PostgreSQL tables.
        public var productsFile: String?
        public var customersFile: String?
        public var productsTable = QualifiedName(name: "products")
        public var customersTable = QualifiedName(name: "customers")
        public var table = QualifiedName(name: "sales_report")
        public var onError = OnError.fail
        /// A product or customer id on two rows: fail the run (naming the file, id and
        /// lines), keep the first row (`first`, the others counted apart), or keep the first
        /// and reject the others (`reject`, as `duplicate_key`). `allow` cannot be planned: a
        /// purchase is rejected by its line after the joins, which needs one row per purchase.
        public var onDuplicateKey = DuplicateKeys.fail
        public var limits = ZipLimits()

        public init(events: String, productsFile: String? = nil, customersFile: String? = nil) {
            self.events = events
            self.productsFile = productsFile
            self.customersFile = customersFile
        }
    }

    /// The event fields the job reads, with the types used when the JSON does not show one
    /// (a field absent from the sample, such as `quantity` in a part with no purchase).
    public static let eventFields: [Field] = [
        Field("timestamp", .timestamp), Field("customer_id", .string), Field("event_type", .string),
        Field("product_id", .string), Field("quantity", .int64),
    ]

    /// The original task's dimension tables (DESIGN §6.2), as `generate ecommerce-db` creates them.
    public static let productColumns = [
        TargetTable.Column("product_id", .string, postgresType: "character varying(10)"),
        TargetTable.Column("product_name", .string, postgresType: "character varying(100)"),
        TargetTable.Column("category", .string, postgresType: "character varying(50)"),
        TargetTable.Column("price", .decimal(precision: 10, scale: 2)),
    ]
    public static let customerColumns = [
        TargetTable.Column("customer_id", .string, postgresType: "character varying(10)"),
        TargetTable.Column("join_date", .date),
        TargetTable.Column("segment", .string, postgresType: "character varying(50)"),
    ]
    public static var productSchema: Schema { Schema(productColumns.map { Field($0.name, $0.type) }) }
    public static var customerSchema: Schema { Schema(customerColumns.map { Field($0.name, $0.type) }) }

    /// Per (category, segment) of known products and customers; the purchases that could not
    /// be attributed are observed (`unknown_product`, `unknown_customer`) before they are
    /// left out of the report. Every source must carry its ``Provenance`` columns, which name
    /// the rows the plan rejects.
    public static func frame(events: any TableSource, products: any TableSource, customers: any TableSource,
                             duplicates: DuplicateKeys = .fail) -> DataFrame {
        let units = coalesce(col("quantity"), lit(1))
        return DataFrame(events)
            .select(columns(["customer_id", "event_type", "product_id", "quantity"], of: events))
            .filter(col("event_type").eq(lit("purchase")))
            .rejectWhen(col("quantity").ltEq(lit(0)), kind: .invalidValue,
                        reason: concat(lit("quantity must be positive, got "), col("quantity")), column: "quantity")
            .join(productRows(products), on: "product_id", type: .left, duplicates: duplicates)
            .withColumn("revenue", tryMultiply(units, col("price")))
            .rejectWhen(col("revenue").isNull().and(col("price").isNotNull()), kind: .overflow,
                        reason: concat(lit("quantity × price = "), units, lit(" × "), col("price"), lit(" is past the 64-bit decimal range")),
                        column: "quantity")
            .join(customerRows(customers), on: "customer_id", type: .left, duplicates: duplicates)
            .groupBy([col("category"), col("segment").alias("customer_segment")])
            .agg(
                Agg.sum(col("revenue")).as("total_revenue"),
                Agg.sum(units).as("units_sold"),
                Agg.countDistinct(col("customer_id")).as("unique_customers"),
                Agg.count().as("purchases")
            )
            .observe(
                .sum("purchases", col("purchases")),
                .sum("unknown_product", col("purchases"), where: col("category").isNull()),
                .sum("unknown_customer", col("purchases"), where: col("customer_segment").isNull())
            )
            .filter(col("category").isNotNull().and(col("customer_segment").isNotNull()))
            .select(columns: "category", "customer_segment", "total_revenue", "units_sold", "unique_customers")
            .sort(.asc("category"), .asc("customer_segment"))
    }

    /// The products a purchase can join: a row without a category or price, or with a
    /// negative price, is a reject of its file or table (its purchases then count as of an
    /// unknown product, and the summary shows the reject).
    static func productRows(_ products: any TableSource) -> DataFrame {
        DataFrame(products)
            .rejectWhen(col("category").isNull(), kind: .invalidValue, reason: "category is empty", column: "category")
            .rejectWhen(col("price").isNull(), kind: .invalidValue, reason: "price is empty", column: "price")
            .rejectWhen(col("price").lt(lit(0)), kind: .invalidValue, reason: concat(lit("price is negative: "), col("price")), column: "price")
            .select(columns(["product_id", "category", "price"], of: products))
    }

    /// The customers a purchase can join: a row without a segment is a reject.
    static func customerRows(_ customers: any TableSource) -> DataFrame {
        DataFrame(customers)
            .rejectWhen(col("segment").isNull(), kind: .invalidValue, reason: "segment is empty", column: "segment")
            .select(columns(["customer_id", "segment"], of: customers))
    }

    /// `names`, then the source's provenance columns.
    static func columns(_ names: [String], of source: any TableSource) -> [Expr] {
        (names + source.schema.names.filter(Provenance.isProvenance)).map(Expr.column)
    }

    public static func readsDatabase(_ parameters: Parameters) -> Bool {
        parameters.productsFile == nil || parameters.customersFile == nil
    }

    public static func job(_ parameters: Parameters, context: JobContext) throws -> Job {
        let archives = try archives(at: parameters.events)
        let (products, customers) = try dimensionTables(parameters, context: context)
        let dimensionFiles = [parameters.productsFile, parameters.customersFile].compactMap { $0 }
        let listed = try ArchiveJSONSource(archives: archives, pattern: "*.json", schema: Schema(eventFields), limits: parameters.limits,
                                           onError: parameters.onError, rejects: context.runtime.rejects,
                                           memory: ZipMemoryPolicy(memoryLimit: context.runtime.config.memoryLimit, workers: context.runtime.config.workers,
                                                                   temporaryDirectory: context.runtime.config.temporaryDirectory))
        let events = listed.reading(try eventSchema(sampled: listed.sampleSchema(), products: products, customers: customers), provenance: true)
        return job(events: events, products: products, customers: customers, archives: archives + dimensionFiles, parameters: parameters)
    }

    public static func declaredJob(config: ExecutionConfig) throws -> Job {
        job(events: DeclaredSource(name: "<events_week_NN.zip archives>", schema: Schema(eventFields + Provenance.fields), scanName: "ZipJSONScan"),
            products: DeclaredSource(name: "products", schema: Schema(productSchema.fields + Provenance.fields), scanName: "PostgresScan"),
            customers: DeclaredSource(name: "customers", schema: Schema(customerSchema.fields + Provenance.fields), scanName: "PostgresScan"),
            archives: [], parameters: Parameters(events: "<events folder>"))
    }

    /// The weekly archives, and `customers.csv` and `products.csv` beside them.
    public static func generate(_ sample: EcommerceGenerator, to destination: String, workers: Int) throws -> GeneratedSample {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let (paths, events) = try sample.write(to: destination, workers: max(1, workers))
        let customers = (destination as NSString).appendingPathComponent("customers.csv")
        let products = (destination as NSString).appendingPathComponent("products.csv")
        try CSVFileSink.write([sample.customerTable()], schema: customerSchema, to: customers)
        try CSVFileSink.write([sample.productTable()], schema: productSchema, to: products)
        let files = paths + [customers, products]
        let bytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        return GeneratedSample(files: files, rows: events, bytes: bytes,
                               description: "events in \(paths.count) weekly archive(s), plus customers.csv and products.csv")
    }

    static func job(events: any TableSource, products: any TableSource, customers: any TableSource, archives: [String],
                    parameters: Parameters) -> Job {
        Job(
            inputs: archives,
            parameters: "events=\(parameters.events) table=\(parameters.table) on-error=\(parameters.onError.rawValue) "
                + "on-duplicate-key=\(parameters.onDuplicateKey.rawValue)",
            // The report's types are the plan's: revenue has the scale of the prices as the
            // dimension table holds them.
            steps: [JobStep(name: "report", frame: frame(events: events, products: products, customers: customers,
                                                          duplicates: parameters.onDuplicateKey), outputs: [
                .csv("sales_report.csv"),
                .csvPerValue(folder: "by_category", column: "category"),
                .table(TableOutput(name: parameters.table, key: ["category", "customer_segment"], mode: .replacePartitions([]))),
            ])],
            report: { outcome in
                let purchases = outcome.observed("purchases"), product = outcome.observed("unknown_product")
                let customer = outcome.observed("unknown_customer")
                let dimensions = [products.displayName, customers.displayName]
                let setAside = outcome.sourceCounts.filter { dimensions.contains($0.source) && $0.rejected + $0.apart > 0 }
                var lines = ["\(purchases) purchases · \(product) with an unknown product · \(customer) with an unknown customer (not in the report)"]
                if !setAside.isEmpty {
                    let parts = setAside.map { counts in
                        "\(counts.source) \(counts.rejected) rejected" + (counts.apart > 0 ? ", \(counts.apart) repeated id(s) counted apart" : "")
                    }
                    lines.append("dimension rows left out: " + parts.joined(separator: " · ")
                                 + " (purchases of a rejected product or customer count as unknown)")
                }
                return JobReport(
                    lines: lines,
                    details: [("purchases", "\(purchases)"), ("unknown_product", "\(product)"), ("unknown_customer", "\(customer)"),
                              ("dimension_rows_rejected", "\(setAside.reduce(0) { $0 + $1.rejected })"),
                              ("dimension_rows_apart", "\(setAside.reduce(0) { $0 + $1.apart })")]
                )
            }
        )
    }

    /// The event columns: each field's type as the JSON shows it, else the type of the
    /// dimension key it joins (ids) or the declared default. Join keys must agree with the
    /// dimension tables' key columns.
    /// - Throws: a `.data` error naming both columns and both types when they cannot join.
    static func eventSchema(sampled: Schema?, products: any TableSource, customers: any TableSource) throws(SluiceError) -> Schema {
        let keys: [String: (source: any TableSource, type: DataType)] = [
            "product_id": (products, try keyType("product_id", of: products)),
            "customer_id": (customers, try keyType("customer_id", of: customers)),
        ]
        var fields: [Field] = []
        for field in eventFields {
            let seen = sampled.flatMap { sample in sample.index(of: field.name).map { sample[$0].type } }
            guard let key = keys[field.name] else {
                // The job multiplies the quantity: text seen there in the sample (one event's
                // "three") must not make the whole column text and fail the plan. It stays an
                // integer, and a value that is not one is that event's type_conflict reject.
                let computed = field.name == "quantity" && !(seen?.isNumeric ?? true)
                fields.append(Field(field.name, computed ? field.type : seen ?? field.type))
                continue
            }
            let type = seen ?? key.type
            guard joinable(type, key.type) else {
                throw SluiceError(
                    .data,
                    "the events' \(field.name) is \(describe(type)) but \(key.source.displayName).\(field.name) is \(describe(key.type)); they cannot be joined",
                    location: key.source.displayName,
                    hint: "make both the same kind: text ids in both (varchar/text), or integers in both"
                )
            }
            fields.append(Field(field.name, key.type))
        }
        return Schema(fields)
    }

    static func keyType(_ column: String, of source: any TableSource) throws(SluiceError) -> DataType {
        source.schema[try source.schema.requireIndex(of: column, in: source.displayName)].type
    }

    /// Integers join integers (any width: all are int64 here), text joins text.
    static func joinable(_ a: DataType, _ b: DataType) -> Bool { a == b }

    static func describe(_ type: DataType) -> String {
        switch type {
        case .string: "text"
        case .int64: "an integer"
        default: "\(type)"
        }
    }

    /// The dimension tables: the CSV files when given (types sniffed, price exact), else
    /// the PostgreSQL tables (types from the catalog).
    static func dimensionTables(_ parameters: Parameters, context: JobContext) throws -> (any TableSource, any TableSource) {
        if let productsFile = parameters.productsFile, let customersFile = parameters.customersFile {
            return (try csvTable(productsFile, required: ["product_id", "category", "price"], exact: ["price"], rejects: context.runtime.rejects),
                    try csvTable(customersFile, required: ["customer_id", "segment"], exact: [], rejects: context.runtime.rejects))
        }
        let database = try context.requireDatabase(for: "reading the products and customers tables")
        let url = database.url.connectionString
        return (try PostgresTableSource(connectionString: url, table: parameters.productsTable, columns: ["product_id", "category", "price"],
                                        retry: database.retry, provenance: true),
                try PostgresTableSource(connectionString: url, table: parameters.customersTable, columns: ["customer_id", "segment"],
                                        retry: database.retry, provenance: true))
    }

    /// A dimension CSV file: its columns sniffed, except money, which is read as an exact
    /// decimal; no required column may be empty; rows carry their file and line, which name
    /// the rows the plan rejects (a negative price, a duplicate id).
    static func csvTable(_ path: String, required: [String], exact: [String], rejects: RejectSink) throws -> any TableSource {
        var options = CSVOptions(columnTypes: Dictionary(uniqueKeysWithValues: exact.map { ($0, DataType.decimal(precision: 18, scale: 2)) }),
                                 requiredColumns: required)
        options.notNullColumns = required
        options.provenance = true
        return try CSVSource(path: path, options: options, rejects: rejects)
    }
}

extension EcommercePipeline {
    /// The weekly archives `path` names: one archive, every `events_*.zip` in a directory
    /// (`events_week_43.zip`, as the original task names them, or any other `events_` name),
    /// or a glob such as `data/events_week_4*.zip`; in name order.
    public static func archives(at path: String) throws(SluiceError) -> [String] {
        if path.contains("*") || path.contains("?") {
            let directory = (path as NSString).deletingLastPathComponent
            let pattern = (path as NSString).lastPathComponent
            let names = FileSystem.list(directory.isEmpty ? "." : directory).filter { fnmatch(pattern, $0, 0) == 0 }.sorted()
            guard !names.isEmpty else {
                throw SluiceError(.configuration, "no files match the pattern", location: path, hint: "check the folder and the pattern")
            }
            return names.map { directory.isEmpty ? $0 : "\(directory)/\($0)" }
        }
        var isDirectory = false
        guard FileSystem.exists(path, isDirectory: &isDirectory) else {
            throw SluiceError(.configuration, "no such file or directory", location: path, hint: "pass the folder of events_*.zip archives")
        }
        guard isDirectory else { return [path] }
        let names = FileSystem.list(path).filter { $0.hasPrefix("events_") && $0.lowercased().hasSuffix(".zip") }.sorted()
        guard !names.isEmpty else {
            throw SluiceError(.configuration, "no events_*.zip archives in the folder", location: path,
                              hint: "generate some with: sluice generate ecommerce --out \(path)")
        }
        return names.map { "\(path)/\($0)" }
    }
}
