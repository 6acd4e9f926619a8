public import SluiceCore

/// One compiled job as Spark SQL: session settings, the views every query builds on, and one
/// `INSERT OVERWRITE DIRECTORY … USING csv` per output (results, rejects, counts, figures).
///
/// ```swift
/// var compiler = SparkPlanCompiler()
/// try SparkCSV.register(source, into: &compiler)
/// try compiler.compile(step: "customers", plan: frame.plan)
/// compiler.finish()
/// print(SparkScript(compiler).text(staging: "/shared/sluice/run-1"))
/// ```
public struct SparkScript: Sendable {
    /// Settings every script runs with: times in UTC (Sluice's timestamps are UTC instants),
    /// ANSI mode (overflow is an error, as in the engine), ordinals in GROUP BY.
    public static let settings: [(String, String)] = [
        ("spark.sql.session.timeZone", "UTC"),
        ("spark.sql.ansi.enabled", "true"),
        ("spark.sql.groupByOrdinal", "true"),
        ("spark.sql.legacy.timeParserPolicy", "CORRECTED"),
    ]

    /// The CSV writer's options: a header, quotes doubled (Spark's default escapes them with a
    /// backslash), no white space trimmed (Spark's writer trims by default), nulls empty and
    /// empty strings `""`, so Sluice's reader tells them apart.
    public static let writeOptions = "header 'true', escape '\"', quoteAll 'false', ignoreLeadingWhiteSpace 'false', "
        + "ignoreTrailingWhiteSpace 'false', nullValue '', emptyValue '\"\"', lineSep '\\n'"

    public var statements: [String]
    public var outputs: [SparkOutput]
    /// The columns of each reject rule's rows (``SparkPlanCompiler/rejectSchemas``).
    public var rejectSchemas: [Schema]

    public init(_ compiler: SparkPlanCompiler) {
        statements = compiler.statements
        outputs = compiler.outputs
        rejectSchemas = compiler.rejectSchemas
    }

    /// The folder output `output` is written to under `staging`.
    public static func folder(_ output: SparkOutput, staging: String) -> String {
        (staging.hasSuffix("/") ? staging : staging + "/") + output.name
    }

    /// The `INSERT OVERWRITE DIRECTORY` statement of `output`.
    public static func insert(_ output: SparkOutput, staging: String) -> String {
        "INSERT OVERWRITE DIRECTORY \(SparkSQL.string(folder(output, staging: staging))) USING csv OPTIONS (\(writeOptions))\n\(output.query)"
    }

    /// The whole script as `spark-sql -f` runs it, statements ending in `;`.
    public func text(staging: String) -> String {
        var parts = Self.settings.map { "SET \($0.0)=\($0.1)" }
        parts += statements
        parts += outputs.map { Self.insert($0, staging: staging) }
        return parts.map { $0 + ";" }.joined(separator: "\n\n") + "\n"
    }
}
