public import SluiceCore
public import SluiceEngine
public import SluicePostgres

/// One run of a pipeline, ready to execute: what it reads, the plans whose results it
/// writes, where each result goes, what must hold before anything is committed, and the
/// lines the summary adds. Built by ``Pipeline/job(_:context:)``; run by ``PipelineRunner``.
public struct Job {
    /// The input files (paths or archives), for the summary and the input fingerprint.
    public var inputs: [String]
    /// The run's parameters as the ledger stores them (`source=… table=…`).
    public var parameters: String
    /// The results, computed one after another; each streams into its outputs.
    public var steps: [JobStep]
    /// Views created or replaced in the load transaction, after the tables are loaded.
    public var views: [ViewDefinition]
    /// Indexes created when missing, in the load transaction, for the filters and orderings
    /// the pipeline serves (``ServedTable/indexes``).
    public var indexes: [IndexDefinition] = []
    /// Conditions checked when every step has run and before anything is committed.
    public var checks: [JobCheck]
    /// Lines for the summary and `key=value` figures for the ledger, from the finished run.
    public var report: @Sendable (JobOutcome) -> JobReport
    /// Writes the pipeline's own bookkeeping tables (an audit row per file, quarantined
    /// records) inside the load transaction, after the tables and views and before the
    /// ledger row is finished, so they commit or roll back with the data. Runs only when the
    /// run has a database.
    public var record: ((JobOutcome, PostgresConnection) throws -> Void)?
    /// Runs first in the load transaction, under the pipeline's lock and before any step
    /// computes: a job planned from the database's state (read before the lock was taken)
    /// checks here that the state still holds, and throws when another run changed it.
    /// Runs only when the run has a database.
    public var prepare: ((PostgresConnection) throws -> Void)?
    /// Data tests run in the load transaction after ``record``; a failing `error` test rolls
    /// the load back and fails the run (see ``DataTest``).
    public var tests: [DataTest] = []

    public init(inputs: [String], parameters: String, steps: [JobStep], views: [ViewDefinition] = [], checks: [JobCheck] = [],
                report: @escaping @Sendable (JobOutcome) -> JobReport = { _ in JobReport() },
                record: ((JobOutcome, PostgresConnection) throws -> Void)? = nil) {
        self.inputs = inputs
        self.parameters = parameters
        self.steps = steps
        self.views = views
        self.checks = checks
        self.report = report
        self.record = record
    }
}

/// One result of a job and where it goes.
public struct JobStep {
    /// A short name for the summary (`customers`, `report`).
    public var name: String
    public var frame: DataFrame
    /// The schema the result is written with (same column types and storage, other names or
    /// declared precisions), or nil for the plan's own.
    public var schema: Schema?
    public var outputs: [JobOutput]

    public init(name: String, frame: DataFrame, schema: Schema? = nil, outputs: [JobOutput]) {
        self.name = name
        self.frame = frame
        self.schema = schema
        self.outputs = outputs
    }
}

/// Where a result goes.
public enum JobOutput {
    /// A CSV file of that name in the output directory (when the run has one).
    case csv(String)
    /// One CSV file per value of `column`, in that folder of the output directory.
    case csvPerValue(folder: String, column: String)
    /// A PostgreSQL table, loaded idempotently (when the run has a database).
    case table(TableOutput)
    /// Kept for a later step that reads it (its frame is built over the ``SpooledResult``),
    /// so the inputs are read once.
    case feeds(SpooledResult)
    /// Its first rows kept for the summary. A step with a sample always runs, whatever
    /// `--select` names, so figures it observes are always counted.
    case sample(RowSample)
}

/// A table a result is loaded into: its name, key, how a run replaces what is there, and
/// PostgreSQL types for columns whose Sluice type would map to something else.
public struct TableOutput {
    public var name: QualifiedName
    public var key: [String]
    public var mode: TargetTable.Mode
    public var types: [String: String]
    /// A text column, beyond the result's, that holds the id of the run that last wrote each
    /// row (lineage: an unchanged row keeps the run that wrote it).
    public var runColumn: String?
    /// Columns written but never compared (see ``TargetTable/uncompared``).
    public var uncompared: Set<String>
    /// A `timestamptz` column that moves only when a row is inserted or changes (see
    /// ``TargetTable/changeStamp``).
    public var changeStamp: String?

    public init(name: QualifiedName, key: [String], mode: TargetTable.Mode = .upsert, types: [String: String] = [:], runColumn: String? = nil,
                uncompared: Set<String> = [], changeStamp: String? = nil) {
        self.name = name
        self.key = key
        self.mode = mode
        self.types = types
        self.runColumn = runColumn
        self.uncompared = uncompared
        self.changeStamp = changeStamp
    }

    func target(schema: Schema, runID: String?) -> TargetTable {
        var target = TargetTable(name: name, schema: schema, key: key, mode: mode, types: types)
        target.uncompared = uncompared
        target.changeStamp = changeStamp
        if let runColumn, let runID { target.runStamp = TargetTable.RunStamp(column: runColumn, runID: runID) }
        return target
    }
}

/// A view a pipeline creates so that its users can answer a question with `SELECT *`.
/// `query` is the pipeline's own SQL text (never built from data).
public struct ViewDefinition: Sendable {
    public var name: QualifiedName
    public var query: String

    public init(name: QualifiedName, query: String) {
        self.name = name
        self.query = query
    }
}

/// An index a pipeline keeps on a table it loads, so that what it serves over HTTP is an
/// index scan rather than a scan of the table (``ServedTable/indexes``).
public struct IndexDefinition: Sendable, Hashable {
    public var table: QualifiedName
    public var columns: [String]

    public init(table: QualifiedName, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    /// `customers_country_subscription_date_idx`; a name past PostgreSQL's 63 bytes is cut
    /// and ends in a hash of the whole, so that two long names stay apart.
    public var name: String {
        let whole = ([table.name.name] + columns + ["idx"]).joined(separator: "_")
        guard whole.utf8.count > Identifier.maximumLength else { return whole }
        var hash = SHA256()
        hash.update(Array(whole.utf8))
        let suffix = "_" + hash.finish().prefix(8)
        return String(decoding: Array(whole.utf8.prefix(Identifier.maximumLength - suffix.utf8.count)), as: UTF8.self) + suffix
    }

    /// The statement; identifiers quoted, nothing else in it.
    public var sql: String {
        "CREATE INDEX IF NOT EXISTS \(Identifier.quote(name)) ON \(table.quoted) ("
            + columns.map { Identifier.quote($0) }.joined(separator: ", ") + ")"
    }
}

/// A condition on a finished run, checked before anything is committed; a failing check
/// throws (a `.data` error fails the run with exit 1) and nothing is written.
public struct JobCheck {
    public var name: String
    public var check: (JobOutcome) throws -> Void

    public init(_ name: String, _ check: @escaping (JobOutcome) throws -> Void) {
        self.name = name
        self.check = check
    }
}

/// What a pipeline adds to the run summary and the ledger.
public struct JobReport: Sendable {
    /// Lines after the outputs in the summary.
    public var lines: [String]
    /// Figures stored in the ledger's `details` column.
    public var details: [(String, String)]
    /// A part of the run that failed without stopping the rest (an input file with a bad
    /// header, say), or nil. The run still commits what it could — like a dbt run whose other
    /// models build — then the ledger marks it with the failure's status and the command exits
    /// 1 with the error after the summary, so a scheduler notices.
    public var failure: PartialFailure?

    public init(lines: [String] = [], details: [(String, String)] = [], failure: PartialFailure? = nil) {
        self.lines = lines
        self.details = details
        self.failure = failure
    }
}

/// What failed of a run that went on without it: the error (exit 1) and the ledger status
/// the run finishes with (`partial` when something else was loaded, `failed` when nothing was).
public struct PartialFailure: Sendable {
    public var error: SluiceError
    public var status: String

    public init(_ error: SluiceError, status: String) {
        self.error = error
        self.status = status
    }
}
