public import SluiceCore
public import SluiceEngine
public import SluiceIO
public import SluicePostgres
import Foundation

/// Pipeline 3, **credits**: a messy usage-credits log → clean events, rejects with reasons,
/// and views that finance and customer success read with a plain `SELECT *`.
///
/// Every row has exactly one fate. Fields are trimmed, `action` and `credit_type` lower-cased,
/// empty means null. A row is an event when it has an `org_id`, an `action` of `add` or
/// `deduct` and `credits` that are an exact non-negative `numeric(12,2)`; otherwise it is a
/// reject with its reason. Exact duplicates (all six fields equal after that) are one event,
/// the other copies counted apart, so rows read = events + duplicates + rejects. Timestamps
/// parse in four forms (``timestampFormats``); any other text leaves a null time with a
/// status, the raw text kept.
///
/// The plan: scan with provenance → normalise → four reject rules → group by the six fields
/// to fold duplicates, keeping the first line → derive the typed columns → sort
/// by file and line. The result loads `credit_events` (one row per event, keyed by a hash of
/// its fields; a corrected file replaces what that file contributed) and feeds a second step,
/// the per-organisation balance written as `finance_org_balance.csv`, without reading the
/// file again.
public enum CreditsPipeline: Pipeline {
    public static let name = "credits"
    public static let summary = "A messy credits log → clean events, rejects with reasons, and views for finance and customer success."
    public static let details = """
        Input: org_id,user_id,credit_type,action,credits,timestamp. Loads table credit_events and creates the views \
        finance_org_balance, finance_org_monthly, cs_user_activity, cs_daily_usage, cs_org_overview and credits_data_quality; \
        with --out, writes OUT/events.csv, OUT/finance_org_balance.csv and OUT/rejects.csv.
        """

    public static let inputColumns = ["org_id", "user_id", "credit_type", "action", "credits", "timestamp"]

    /// The timestamp forms, tried in order; an event keeps the one that matched.
    public static let timestampFormats = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %I:%M %p", "%d-%m-%Y", "epoch"]

    /// The type of credits, as the original task stores them.
    public static let creditsType = DataType.decimal(precision: 12, scale: 2)

    /// The events and every view over HTTP, for the dashboards of finance and customer success.
    public static var served: [ServedTable] {
        func table(_ route: String, key: [String], filters: [String], search: [String] = [], ordering: [String]) -> ServedTable {
            ServedTable(route: route, relation: QualifiedName(name: route), key: key, filters: filters, search: search,
                        ordering: ordering, pipeline: name, privateDatabase: privateDatabase)
        }
        return [
            table("credit_events", key: ["event_id"],
                  filters: ["org_id", "user_id", "credit_type", "action", "occurred_at", "timestamp_status", "source_file"],
                  search: ["org_id", "user_id", "credit_type"],
                  ordering: ["occurred_at", "org_id", "user_id", "credits", "source_file", "source_line"]),
            table("finance_org_balance", key: ["org_id"], filters: ["org_id", "last_event_at"], search: ["org_id"],
                  ordering: ["org_id", "balance", "credits_added", "credits_deducted", "events", "first_event_at", "last_event_at"]),
            table("finance_org_monthly", key: ["org_id", "month"], filters: ["org_id", "month"], search: ["org_id"],
                  ordering: ["org_id", "month", "credits_added", "credits_deducted", "net"]),
            table("cs_user_activity", key: ["org_id", "user_id", "credit_type"], filters: ["org_id", "user_id", "credit_type", "last_seen_at"],
                  search: ["org_id", "user_id", "credit_type"],
                  ordering: ["org_id", "user_id", "credit_type", "events", "credits_used", "credits_added", "first_seen_at", "last_seen_at"]),
            table("cs_daily_usage", key: ["day", "org_id", "credit_type"], filters: ["day", "org_id", "credit_type"],
                  ordering: ["day", "org_id", "credit_type", "events", "active_users", "credits_used"]),
            table("cs_org_overview", key: ["org_id"], filters: ["org_id", "top_credit_type"], search: ["org_id"],
                  ordering: ["org_id", "active_users", "events", "last_active_at"]),
            table("credits_data_quality", key: ["run_id"], filters: ["run_id", "status"], ordering: ["started_at", "run_id"]),
        ]
    }

    /// One run: the log file, the events table and the lines a quoted value may span.
    public struct Parameters: Sendable {
        public var source: String
        public var table: QualifiedName
        public var maxQuotedLines: Int

        public init(source: String, table: QualifiedName = QualifiedName(name: "credit_events"),
                    maxQuotedLines: Int = CSVOptions.defaultMaxQuotedLines) {
            self.source = source
            self.table = table
            self.maxQuotedLines = maxQuotedLines
        }
    }

    /// Every column read as text (the rules, not a sniffer, decide what a value is), with
    /// provenance so rejects and events name their file and line.
    public static func csvOptions(maxQuotedLines: Int = CSVOptions.defaultMaxQuotedLines) -> CSVOptions {
        var options = CSVOptions(columnTypes: Dictionary(uniqueKeysWithValues: inputColumns.map { ($0, DataType.string) }),
                                 requiredColumns: inputColumns)
        options.provenance = true
        options.maxQuotedLines = maxQuotedLines
        return options
    }

    public static func job(_ parameters: Parameters, context: JobContext) throws -> Job {
        // The file is named by its absolute path: what a file contributed is replaced when a
        // corrected version of it is loaded, from wherever the run starts.
        let path = URL(fileURLWithPath: parameters.source).standardizedFileURL.path
        let source = try CSVSource(path: path, options: csvOptions(maxQuotedLines: parameters.maxQuotedLines), rejects: context.runtime.rejects)
        return try job(over: source, parameters: parameters, inputs: [path])
    }

    public static func declaredJob(config: ExecutionConfig) throws -> Job {
        let schema = Schema(inputColumns.map { Field($0, .string) } + Provenance.fields)
        let source = DeclaredSource(name: "<credits file>", schema: schema, scanName: "CSVScan")
        return try job(over: source, parameters: Parameters(source: "<credits file>"), inputs: [])
    }

    public static func generate(_ sample: CreditsGenerator, to destination: String, workers: Int) throws -> GeneratedSample {
        try ChunkedText.file(at: destination, rows: sample.rows, description: "for \(sample.orgs) organisations and \(sample.users) users") { write in
            try sample.write(workers: max(1, workers), write)
        }
    }

    /// The normalised, validated rows: still one per input row that is not a reject.
    static func validated(_ source: any TableSource) -> DataFrame {
        let text = { (name: String) in col(name).trim().nullIfEmpty() }
        let credits = col("credits_text")
        let exact = credits.parseDecimal(precision: 12, scale: 2)
        return DataFrame(source)
            .select(
                text("org_id").alias("org_id"), text("user_id").alias("user_id"), text("credit_type").lower().alias("credit_type"),
                text("action").lower().alias("action"), text("credits").alias("credits_text"), text("timestamp").alias("timestamp_raw"),
                col(Provenance.sourceColumn), col(Provenance.lineColumn)
            )
            .rejectWhen(col("org_id").isNull(), kind: "missing_org_id", reason: "missing org_id")
            .rejectWhen(col("action").isNull().or(col("action").isIn(["add", "deduct"]).not()), kind: "unknown_action",
                        reason: when([WhenThen(col("action").isNull(), lit("missing action"))],
                                     otherwise: concat(lit("unknown action '"), col("action"), lit("'"))))
            .rejectWhen(credits.isNull().or(exact.isNull()), kind: "invalid_credits", reason: when([
                WhenThen(credits.isNull(), lit("missing credits")),
                WhenThen(credits.regexMatch("^[+-]?[0-9]*\\.[0-9]{3,}$"), concat(lit("credits '"), credits, lit("' has more than 2 decimal places"))),
                WhenThen(credits.regexMatch("^[+-]?[0-9]+(\\.[0-9]*)?$"), concat(lit("credits '"), credits, lit("' is too large for numeric(12,2)"))),
            ], otherwise: concat(lit("credits '"), credits, lit("' is not a number"))))
            .rejectWhen(exact.lt(lit(.decimal(0, scale: 2))), kind: "negative_credits", reason: concat(lit("negative credits '"), credits, lit("'")))
    }

    /// One row per event, in file order, with its typed and derived columns. Each value is
    /// parsed once: the typed columns first, then what derives from them.
    ///
    /// A run reads one file (`file`), so duplicates are found on the six fields alone and the
    /// file is the constant it is: no key column that only repeats one path per row.
    public static func events(_ source: any TableSource, file: String) -> DataFrame {
        let raw = col("timestamp_raw"), credits = col("credits"), occurred = col("occurred_at")
        return validated(source)
            .groupBy("org_id", "user_id", "credit_type", "action", "credits_text", "timestamp_raw")
            .agg(Agg.min(col(Provenance.lineColumn)).as("source_line"), Agg.count().as("copies"))
            .select(
                col("org_id"), col("user_id"), col("credit_type"), col("action"), col("credits_text"), raw,
                col("credits_text").parseDecimal(precision: 12, scale: 2).alias("credits"), raw.parseTimestamp(timestampFormats).alias("occurred_at"),
                raw.matchedFormat(timestampFormats).alias("timestamp_format"), lit(.string(file)).alias(Provenance.sourceColumn), col("source_line"), col("copies")
            )
            .observe(
                .count("events"), .apart("duplicates", col("copies") - lit(1)),
                .count("timestamps_missing", where: raw.isNull()),
                .count("timestamps_unparseable", where: raw.isNotNull().and(occurred.isNull()))
            )
            .select(
                xxhash64(col("org_id"), col("user_id"), col("credit_type"), col("action"), col("credits_text"), raw).alias("event_id"),
                col("org_id"), col("user_id"), col("credit_type"), col("action"), credits,
                when([WhenThen(col("action").eq(lit("deduct")), -credits)], otherwise: credits).alias("signed_credits"),
                occurred, raw, col("timestamp_format"),
                when([WhenThen(raw.isNull(), lit("missing")), WhenThen(occurred.isNull(), lit("unparseable"))],
                     otherwise: lit("parsed")).alias("timestamp_status"),
                col(Provenance.sourceColumn).alias("source_file"), col("source_line")
            )
            // One file per run, so its line orders the events (an integer key merges fast).
            .sort(.asc("source_line"))
    }

    /// Balances per organisation over the events (for the CSV output; the database has the view).
    public static func balances(_ events: DataFrame) -> DataFrame {
        let credits = col("credits")
        let zero = lit(.decimal(0, scale: 2))
        return events
            .groupBy("org_id")
            .agg(
                Agg.sum(when([WhenThen(col("action").eq(lit("add")), credits)], otherwise: zero)).as("credits_added"),
                Agg.sum(when([WhenThen(col("action").eq(lit("deduct")), credits)], otherwise: zero)).as("credits_deducted"),
                Agg.sum(col("signed_credits")).as("balance"), Agg.count().as("events"),
                Agg.sum(when([WhenThen(col("occurred_at").isNull(), lit(1))], otherwise: lit(0))).as("events_without_time"),
                Agg.min(col("occurred_at")).as("first_event_at"), Agg.max(col("occurred_at")).as("last_event_at")
            )
            .sort(.asc("org_id"))
    }

    static func job(over source: any TableSource, parameters: Parameters, inputs: [String]) throws -> Job {
        let frame = events(source, file: inputs.first ?? parameters.source)
        // The balances read five of the events' columns; only those are held for them.
        let result = try SpooledResult(schema: try frame.schema(), name: "events",
                                       keeping: ["org_id", "action", "credits", "signed_credits", "occurred_at"])
        return Job(
            inputs: inputs,
            parameters: "source=\(parameters.source) table=\(parameters.table)",
            steps: [
                JobStep(name: "events", frame: frame, outputs: [
                    .csv("events.csv"),
                    .table(TableOutput(name: parameters.table, key: ["event_id"], mode: .replacePartitions(["source_file"]),
                                       types: ["credits": "numeric(12,2)", "signed_credits": "numeric(12,2)"],
                                       runColumn: "run_id")),
                    .feeds(result),
                ]),
                JobStep(name: "balances", frame: balances(DataFrame(result)), outputs: [.csv("finance_org_balance.csv")]),
            ],
            views: CreditsViews.all(events: parameters.table),
            report: report
        )
    }

    /// The summary line (rows read = events + duplicates + rejects) and the ledger's figures.
    @Sendable static func report(_ outcome: JobOutcome) -> JobReport {
        let events = outcome.observed("events"), duplicates = outcome.observed("duplicates")
        let missing = outcome.observed("timestamps_missing"), unparseable = outcome.observed("timestamps_unparseable")
        var details: [(String, String)] = [
            ("events", "\(events)"), ("duplicates", "\(duplicates)"), ("rejects", "\(outcome.rowsRejected)"),
            ("timestamps_parsed", "\(events - missing - unparseable)"), ("timestamps_missing", "\(missing)"),
            ("timestamps_unparseable", "\(unparseable)"),
        ]
        let kinds = outcome.rejects.totalsByKind.sorted { $0.key.rawValue < $1.key.rawValue }
        details += kinds.map { ("rejects.\($0.key.rawValue)", "\($0.value)") }
        let reasons = kinds.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
        return JobReport(lines: [
            "\(outcome.rowsRead) rows = \(events) events + \(duplicates) duplicates + \(outcome.rowsRejected) rejects" + (reasons.isEmpty ? "" : " (\(reasons))"),
            "timestamps: \(events - missing - unparseable) parsed · \(missing) missing · \(unparseable) unparseable",
        ], details: details)
    }
}
