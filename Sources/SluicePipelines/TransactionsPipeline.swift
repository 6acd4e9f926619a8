public import SluiceCore
public import SluiceEngine
public import SluiceIO

/// Pipeline 1, **transactions**: per customer, the favourite product (greatest total units;
/// ties to the alphabetically first product) and the longest run of consecutive calendar
/// days with a purchase.
///
/// Input: `transactionId|custId|transactionDate|productSold|unitsSold` (pipe or comma).
/// The plan is two aggregations with one shuffle: `groupBy(custId, productSold)` sums units
/// and collects the purchase days; `groupBy(custId)` picks the argMax product and the
/// longest streak. The first shuffle hashes on `custId` only, so the second needs none.
public enum TransactionsPipeline {
    public static let name = "transactions"
    public static let inputColumns = ["transactionId", "custId", "transactionDate", "productSold", "unitsSold"]
    public static let outputSchema = Schema([
        Field("customer_id", .string), Field("favourite_product", .string), Field("longest_streak", .int64),
    ])

    /// How the input is read: ids as text (leading zeros kept), dates as dates, units as
    /// integers; rows with an empty customer, product, date or quantity are rejects.
    public static func csvOptions(delimiter: UInt8? = nil) -> CSVOptions {
        var options = CSVOptions(
            delimiter: delimiter,
            columnTypes: [
                "transactionId": .string, "custId": .string, "transactionDate": .date,
                "productSold": .string, "unitsSold": .int64,
            ],
            requiredColumns: ["custId", "transactionDate", "productSold", "unitsSold"]
        )
        options.notNullColumns = ["custId", "transactionDate", "productSold", "unitsSold"]
        return options
    }

    /// The job over any source with the input columns.
    public static func frame(_ source: any TableSource) -> DataFrame {
        DataFrame(source)
            .groupBy("custId", "productSold")
            .agg(Agg.sum(col("unitsSold")).as("units"), Agg.collectSet(col("transactionDate")).as("days"))
            .groupBy("custId")
            .agg(
                Agg.argMax(col("productSold"), by: col("units")).as("favourite_product"),
                Agg.longestConsecutiveDays(col("days")).as("longest_streak")
            )
            .select(col("custId").alias("customer_id"), col("favourite_product"), col("longest_streak"))
            .sort(.asc("customer_id"))
    }

    /// Reads `path`, runs the job and returns the result (sorted by customer id) with the
    /// run's counts. The caller decides where the result goes (CSV, PostgreSQL).
    public static func run(path: String, runtime: ExecutionRuntime, rejects: RejectSink, delimiter: UInt8? = nil) throws -> PipelineResult {
        let started = SystemInfo.monotonicNanos()
        let source = try CSVSource(path: path, options: csvOptions(delimiter: delimiter), rejects: rejects)
        var batches: [RecordBatch] = []
        try frame(source).forEachBatch(runtime: runtime) { batches.append($0) }
        try rejects.checkRatio()
        return PipelineResult(
            pipeline: name, schema: outputSchema,
            batches: batches.map { $0.withSchema(outputSchema) },
            sourceCounts: rejects.sourceCounts, rejects: rejects,
            stages: runtime.stageMetrics, elapsedNanos: SystemInfo.monotonicNanos() - started,
            peakPoolBytes: runtime.memoryPool.peak
        )
    }
}

/// What a pipeline run produced: the result rows and the figures of the run summary.
public struct PipelineResult: Sendable {
    public var pipeline: String
    public var schema: Schema
    public var batches: [RecordBatch]
    public var sourceCounts: [SourceCounts]
    public var rejects: RejectSink
    public var stages: [StageMetrics]
    public var elapsedNanos: UInt64
    public var peakPoolBytes: Int

    public var rowCount: Int { batches.reduce(0) { $0 + $1.rowCount } }
    public var rowsRead: Int { sourceCounts.reduce(0) { $0 + $1.read } }
    public var rowsRejected: Int { sourceCounts.reduce(0) { $0 + $1.rejected } }
    public var rowsPassed: Int { sourceCounts.reduce(0) { $0 + $1.passed } }
}
