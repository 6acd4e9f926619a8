public import SluiceCore
public import SluiceEngine
public import SluiceIO
public import SluicePostgres
import Foundation

/// Pipeline 2, **ecommerce**: sales by product category and customer segment.
///
/// Events come as JSON arrays in `part-NNN.json` files inside daily ZIP archives inside
/// weekly ZIP archives; products and customers come from PostgreSQL. The plan keeps the
/// purchases, broadcasts both dimension tables into a hash join (left joins, so a purchase
/// of an unknown product or by an unknown customer is counted, never silently lost),
/// computes `quantity × price` exactly in decimals, and aggregates per (category, segment):
/// revenue, units and distinct customers.
public enum EcommercePipeline {
    public static let name = "ecommerce"

    /// The event fields read from the JSON.
    public static let eventSchema = Schema([
        Field("timestamp", .timestamp), Field("customer_id", .int64), Field("event_type", .string),
        Field("product_id", .int64), Field("quantity", .int64),
    ])
    public static let productSchema = Schema([
        Field("product_id", .int64), Field("product_name", .string), Field("category", .string),
        Field("price", .decimal(precision: 10, scale: 2)),
    ])
    public static let customerSchema = Schema([
        Field("customer_id", .int64), Field("join_date", .date), Field("segment", .string),
    ])
    public static let reportSchema = Schema([
        Field("category", .string), Field("customer_segment", .string), Field("total_revenue", .decimal(precision: 18, scale: 2)),
        Field("units_sold", .int64), Field("unique_customers", .int64),
    ])

    /// Per (category, segment) including the null groups of unknown products or customers;
    /// `purchases` counts the rows so the unknown ones can be reported.
    public static func frame(events: any TableSource, products: any TableSource, customers: any TableSource) -> DataFrame {
        DataFrame(events)
            .filter(col("event_type").eq(lit("purchase")))
            .join(DataFrame(products).select(col("product_id"), col("category"), col("price")), on: "product_id", type: .left)
            .join(DataFrame(customers).select(col("customer_id"), col("segment")), on: "customer_id", type: .left)
            .withColumn("revenue", coalesce(col("quantity"), lit(1)) * col("price"))
            .groupBy([col("category"), col("segment").alias("customer_segment")])
            .agg(
                Agg.sum(col("revenue")).as("total_revenue"),
                Agg.sum(coalesce(col("quantity"), lit(1))).as("units_sold"),
                Agg.countDistinct(col("customer_id")).as("unique_customers"),
                Agg.count().as("purchases")
            )
            .sort(.asc("category"), .asc("customer_segment"))
    }

    /// The report rows (known product and customer) and the purchases that could not be
    /// attributed.
    public struct Report: Sendable {
        public var rows: RecordBatch
        public var purchases: Int
        public var unknownProduct: Int
        public var unknownCustomer: Int
    }

    /// Splits the aggregate into the report and the counts of unattributed purchases.
    public static func report(from aggregate: RecordBatch) throws -> Report {
        var known: [Int32] = []
        var purchases = 0, unknownProduct = 0, unknownCustomer = 0
        let category = try aggregate.schema.requireIndex(of: "category")
        let segment = try aggregate.schema.requireIndex(of: "customer_segment")
        let count = try aggregate.schema.requireIndex(of: "purchases")
        for row in 0..<aggregate.rowCount {
            guard case .int64(let counts) = aggregate.columns[count].storage else { continue }
            let n = Int(counts[row])
            purchases += n
            let noProduct = aggregate.columns[category].isNull(row)
            let noCustomer = aggregate.columns[segment].isNull(row)
            if noProduct { unknownProduct += n }
            if noCustomer { unknownCustomer += n }
            if !noProduct && !noCustomer { known.append(Int32(row)) }
        }
        let rows = aggregate.take(known).project(Array(0..<5))
        var columns = rows.columns
        // Sums over known groups are never null; present them as the report's types.
        columns[2] = Column(type: .decimal(precision: 18, scale: 2), storage: columns[2].storage, validity: columns[2].validity)
        return Report(rows: RecordBatch(unchecked: reportSchema, columns: columns, rowCount: rows.rowCount),
                      purchases: purchases, unknownProduct: unknownProduct, unknownCustomer: unknownCustomer)
    }
}

extension EcommercePipeline {
    /// The weekly archives `path` names: one archive, every `events_*.zip` in a directory
    /// (both `events_week_43.zip` and `events_2023-W43.zip` forms), or a glob such as
    /// `data/events_2023-W4*.zip`; in name order.
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

    /// The report's table in PostgreSQL: one row per (category, segment), fully refreshed by
    /// each run (rows no longer in the report are deleted; unchanged rows are not rewritten).
    public static func reportTable(_ name: QualifiedName = QualifiedName(name: "sales_report")) -> TargetTable {
        TargetTable(name: name, schema: reportSchema, key: ["category", "customer_segment"], mode: .replacePartitions([]))
    }

    /// The dimension tables as they live in PostgreSQL.
    public static let productsTable = TargetTable(name: QualifiedName(name: "products"), schema: productSchema, key: ["product_id"],
                                                  types: ["product_id": "integer"])
    public static let customersTable = TargetTable(name: QualifiedName(name: "customers"), schema: customerSchema, key: ["customer_id"],
                                                   types: ["customer_id": "integer"])

    /// Runs the job over the archives with the given dimension tables.
    public static func run(
        archives: [String], products: any TableSource, customers: any TableSource, runtime: ExecutionRuntime,
        rejects: RejectSink, onError: OnError = .fail, limits: ZipLimits = ZipLimits()
    ) throws -> (report: Report, result: PipelineResult) {
        let started = SystemInfo.monotonicNanos()
        let events = try ArchiveJSONSource(archives: archives, pattern: "*.json", schema: eventSchema, limits: limits,
                                           onError: onError, rejects: rejects)
        let aggregate = try frame(events: events, products: products, customers: customers).collectBatch(runtime: runtime)
        try rejects.checkRatio()
        let report = try report(from: aggregate)
        let result = PipelineResult(
            pipeline: name, schema: reportSchema, batches: [report.rows], sourceCounts: rejects.sourceCounts, rejects: rejects,
            stages: runtime.stageMetrics, elapsedNanos: SystemInfo.monotonicNanos() - started, peakPoolBytes: runtime.memoryPool.peak
        )
        return (report, result)
    }
}
