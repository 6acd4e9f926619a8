public import SluiceCore
public import SluiceEngine
public import SluicePostgres

/// What a run did: rows per source, rejects, observed figures, rows per result, the files
/// written and the tables loaded, and the run's stage metrics.
public struct JobOutcome: Sendable {
    /// The pipeline's name.
    public var pipeline: String
    /// Per-source counts; for each, `read == passed + rejected + apart`.
    public var sourceCounts: [SourceCounts]
    /// The run's rejects, every one kept (see ``RejectSink``).
    public var rejects: RejectSink
    /// The figures the plan's `observe` stages added up, by name.
    public var observations: [String: Int64]
    /// Rows of each step's result, in step order.
    public var stepRows: [(step: String, rows: Int)]
    /// Steps not run by themselves: none of their outputs applied (a CSV-only step without
    /// `--out`, an output not selected), or they were computed inside the one step they feed.
    public var skippedSteps: [String] = []
    /// Things the summary should say that are neither results nor failures (an index that
    /// could not be made).
    public var notes: [String] = []
    /// The CSV files each step wrote (after their rename into place).
    public var files: [(step: String, path: String)]
    /// What each table load did, by table name.
    public var loads: [(table: String, result: LoadResult)]
    /// The ledger's run id, when the run used a database.
    public var runID: String?
    /// Per-stage figures of every step, in the order they ran (`--stats`).
    public var stages: [StageMetrics]
    /// Wall time from the start of the run to the end of the load.
    public var elapsedNanos: UInt64
    /// The part of the run that failed without stopping the rest (see ``JobReport/failure``):
    /// set once the run has committed; the caller reports it and exits 1.
    public var failure: PartialFailure?
    /// What each of the job's data tests found (run in the load transaction).
    public var testResults: [DataTestResult] = []
    /// The memory pool's peak over the run.
    public var peakPoolBytes: Int
    /// Spill files written over the run.
    public var spillFiles: Int

    public var rowsRead: Int { sourceCounts.reduce(0) { $0 + $1.read } }
    public var rowsPassed: Int { sourceCounts.reduce(0) { $0 + $1.passed } }
    public var rowsRejected: Int { sourceCounts.reduce(0) { $0 + $1.rejected } }
    public var rowsApart: Int { sourceCounts.reduce(0) { $0 + $1.apart } }
    public var spillBytes: Int { stages.reduce(0) { $0 + $1.spillBytes } }

    /// The rows of the step named `step`, or 0.
    public func rows(of step: String) -> Int {
        stepRows.first { $0.step == step }?.rows ?? 0
    }

    /// The observed figure `name`, or 0.
    public func observed(_ name: String) -> Int {
        Int(observations[name] ?? 0)
    }

    /// Rows loaded into tables in total.
    public var loaded: LoadResult {
        loads.reduce(into: LoadResult()) { total, load in
            total.staged += load.result.staged
            total.inserted += load.result.inserted
            total.updated += load.result.updated
            total.unchanged += load.result.unchanged
            total.deleted += load.result.deleted
        }
    }
}
