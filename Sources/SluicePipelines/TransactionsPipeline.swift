public import SluiceCore
public import SluiceEngine
public import SluiceIO
public import SluicePostgres

/// Pipeline 1, **transactions**: per customer, the favourite product (greatest total units;
/// ties to the alphabetically first product) and the longest run of consecutive calendar
/// days with a purchase.
///
/// Input: `transactionId|custId|transactionDate|productSold|unitsSold` (pipe or comma).
/// The plan is two aggregations with one shuffle: `groupBy(custId, productSold)` sums units
/// and collects the purchase days; `groupBy(custId)` picks the argMax product and the
/// longest streak. The first shuffle hashes on `custId` only, so the second needs none.
/// Output: `customers.csv` and the table `customers` (upserted by `customer_id`).
public enum TransactionsPipeline: Pipeline {
    public static let name = "transactions"
    public static let summary = "Favourite product and longest purchase streak per customer."
    public static let details = """
        Input: transactionId|custId|transactionDate|productSold|unitsSold (pipe or comma). Upserts table customers(customer_id text \
        primary key, favourite_product text, longest_streak int) in PostgreSQL; with only --out, writes OUT/customers.csv instead.
        """

    public static let inputColumns = ["transactionId", "custId", "transactionDate", "productSold", "unitsSold"]
    public static let outputSchema = Schema([
        Field("customer_id", .string), Field("favourite_product", .string), Field("longest_streak", .int64),
    ])

    /// One run: the input file, its delimiter (nil: detected), the table to upsert and the
    /// lines a quoted value may span.
    public struct Parameters: Sendable {
        public var source: String
        public var delimiter: UInt8?
        public var table: QualifiedName
        public var maxQuotedLines: Int

        public init(source: String, delimiter: UInt8? = nil, table: QualifiedName = QualifiedName(name: "customers"),
                    maxQuotedLines: Int = CSVOptions.defaultMaxQuotedLines) {
            self.source = source
            self.delimiter = delimiter
            self.table = table
            self.maxQuotedLines = maxQuotedLines
        }
    }

    /// How the input is read: ids as text (leading zeros kept), dates as dates, units as
    /// integers; rows with an empty customer, product, date or quantity are rejects. Rows carry
    /// their file and line, which name the rows the plan rejects (a quantity that is not positive).
    public static func csvOptions(delimiter: UInt8? = nil, maxQuotedLines: Int = CSVOptions.defaultMaxQuotedLines) -> CSVOptions {
        var options = CSVOptions(
            delimiter: delimiter,
            columnTypes: [
                "transactionId": .string, "custId": .string, "transactionDate": .date,
                "productSold": .string, "unitsSold": .int64,
            ],
            requiredColumns: ["custId", "transactionDate", "productSold", "unitsSold"]
        )
        options.notNullColumns = ["custId", "transactionDate", "productSold", "unitsSold"]
        options.maxQuotedLines = maxQuotedLines
        options.provenance = true
        return options
    }

    /// The job over any source with the input columns and the ``Provenance`` columns: a row
    /// whose `unitsSold` is not positive is an `invalid_value` reject. A customer's total units
    /// of one product are exact (summed in 128 bits); a total past the int64 range stops the
    /// run naming the customer and product (see ``Agg/sum(_:)``).
    public static func frame(_ source: any TableSource) -> DataFrame {
        DataFrame(source)
            .select((["custId", "transactionDate", "productSold", "unitsSold"] + Provenance.fields.map(\.name)).map(Expr.column))
            .rejectWhen(col("unitsSold").ltEq(lit(0)), kind: .invalidValue,
                        reason: concat(lit("unitsSold must be positive, got "), col("unitsSold")), column: "unitsSold")
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

    public static func job(_ parameters: Parameters, context: JobContext) throws -> Job {
        let source = try CSVSource(path: parameters.source, options: csvOptions(delimiter: parameters.delimiter, maxQuotedLines: parameters.maxQuotedLines), rejects: context.runtime.rejects)
        return job(over: source, parameters: parameters)
    }

    public static func declaredJob(config: ExecutionConfig) throws -> Job {
        let options = csvOptions()
        let fields = inputColumns.map { Field($0, options.columnTypes[$0] ?? .string) } + Provenance.fields
        let source = DeclaredSource(name: "<transactions file>", schema: Schema(fields), scanName: "CSVScan")
        return job(over: source, parameters: Parameters(source: "<transactions file>"))
    }

    public static func generate(_ sample: TransactionsGenerator, to destination: String, workers: Int) throws -> GeneratedSample {
        try ChunkedText.file(at: destination, rows: sample.rows, description: "for \(sample.customers) customers and \(sample.products) products") { write in
            try sample.write(workers: max(1, workers), write)
        }
    }

    static func job(over source: any TableSource, parameters: Parameters) -> Job {
        Job(
            inputs: [parameters.source],
            parameters: "source=\(parameters.source) table=\(parameters.table)",
            steps: [JobStep(name: "customers", frame: frame(source), schema: outputSchema, outputs: [
                .csv("customers.csv"),
                .table(TableOutput(name: parameters.table, key: ["customer_id"], types: ["longest_streak": "integer"])),
            ])]
        )
    }
}
