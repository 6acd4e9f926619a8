import SluiceCore
public import SluiceEngine
import SluiceIO
public import SluicePostgres
public import SluiceSpark
import Foundation

/// Where a run writes: an output directory for the CSV outputs, a database for the tables.
public struct RunSettings {
    public var outputDirectory: String?
    public var database: DatabaseTarget?
    /// The only outputs to write (`--select`: CSV files with or without `.csv`, tables), or
    /// nil for all of them; steps that then only feed another are computed inside it.
    public var selection: Set<String>?
    /// Called once when another run of the same pipeline holds its lock.
    public var onWait: () -> Void
    /// Computes the steps on Apache Spark instead of the local engine (``SparkExecution``).
    public var spark: SparkSettings?

    public init(outputDirectory: String?, database: DatabaseTarget?, selection: Set<String>? = nil, spark: SparkSettings? = nil,
                onWait: @escaping () -> Void = {}) {
        self.outputDirectory = outputDirectory
        self.database = database
        self.selection = selection
        self.spark = spark
        self.onWait = onWait
    }
}

/// Runs a ``Job`` the same way for every pipeline.
///
/// Each step's result streams, batch by batch as the final stage produces it, into its CSV
/// files (under temporary names) and its table's COPY (into a staging table, or straight
/// into an empty target), so no result is ever held whole. When every step has run, the
/// checks run (the reject ratio, the row accounting, the pipeline's own); then, in one
/// transaction, the staged rows are merged, the views replaced, the rejects stored and the
/// ledger row finished; only after that commit are the CSV files renamed into place. A failure
/// at any point rolls the transaction back, removes the temporary files, marks the run
/// failed, and leaves every output as it was.
///
/// With a database, the pipeline's advisory lock is held for the whole run and the run is
/// recorded as `running` in `sluice_runs` before it computes (a killed run is marked
/// `abandoned` by the next).
public enum PipelineRunner {
    /// Runs `job`, writes its outputs and returns what it did.
    /// - Returns: what the run did; when part of it failed without stopping the rest (the
    ///   job's ``JobReport/failure``), that failure too, in ``JobOutcome/failure``, for the
    ///   caller to report after the summary (the run has committed).
    /// - Throws: the first failure (a source, a check, the load), after which no output has
    ///   changed; or, when the database load has committed but renaming a CSV output into place
    ///   failed, an `.io` error that says so (the ledger keeps the run as succeeded).
    public static func run(_ job: Job, pipeline: String, settings: RunSettings, runtime: ExecutionRuntime) throws -> JobOutcome {
        let started = SystemInfo.monotonicNanos()
        try validate(job)
        // A --select that names no output, or one this run cannot write, fails before any work.
        _ = try StepDisposition.plan(job, outputDirectory: settings.outputDirectory, hasDatabase: settings.database != nil,
                                     selection: settings.selection)
        var outcome = JobOutcome(
            pipeline: pipeline, sourceCounts: [], rejects: runtime.rejects, observations: [:], stepRows: [], files: [], loads: [],
            runID: nil, stages: [], elapsedNanos: 0, peakPoolBytes: 0, spillFiles: 0
        )
        guard let database = settings.database else {
            let files = try compute(job, settings: settings, runtime: runtime, connection: nil, outcome: &outcome, started: started)
            try commit(files, outcome: &outcome)
            try writeRejects(outcome, directory: settings.outputDirectory)
            outcome.failure = job.report(outcome).failure
            outcome.elapsedNanos = SystemInfo.monotonicNanos() - started
            return outcome
        }
        let connection = try database.connect()
        defer { connection.close() }
        try JobLock.acquire(job: pipeline, on: connection, onWait: settings.onWait)
        defer { try? JobLock.release(job: pipeline, on: connection) }
        let runID = RunLedger.newRunID()
        try RunLedger.start(runID: runID, job: pipeline, parameters: job.parameters + (settings.spark == nil ? "" : " engine=spark"),
                            fingerprint: InputFingerprint.of(job.inputs), on: connection)
        outcome.runID = runID
        let files: [(step: String, sink: any BatchSink)]
        do {
            files = try connection.transaction { connection in
                try job.prepare?(connection)
                let files = try compute(job, settings: settings, runtime: runtime, connection: connection, outcome: &outcome, started: started)
                // Views and indexes are over the tables: a run that loads none of them (a
                // --select of files only) leaves them as they are.
                if !outcome.loads.isEmpty || settings.selection == nil {
                    for view in job.views {
                        try connection.execute("CREATE OR REPLACE VIEW \(view.name.quoted) AS \(view.query)")
                    }
                    outcome.notes += try createIndexes(job.indexes, on: connection)
                }
                try job.record?(outcome, connection)
                outcome.testResults = try DataTests.run(job.tests, on: connection)
                if let failure = DataTests.failure(outcome.testResults) { throw failure }
                try DataTests.record(outcome.testResults, runID: runID, pipeline: pipeline, on: connection)
                let report = job.report(outcome)
                let total = outcome.loaded
                let summary = RunLedger.Summary(
                    rowsRead: outcome.rowsRead, rowsLoaded: total.staged, rowsRejected: outcome.rowsRejected, load: total,
                    spillBytes: outcome.spillBytes, spillFiles: outcome.spillFiles, peakMemory: outcome.peakPoolBytes,
                    details: report.details
                )
                try RunLedger.finish(runID: runID, summary: summary, rejects: outcome.rejects, status: report.failure?.status ?? "succeeded",
                                     error: report.failure.map { String(describing: $0.error) }, on: connection)
                outcome.failure = report.failure
                // A signal that arrived during the load still stops it: nothing commits.
                try runtime.cancellation.check()
                return files
            }
        } catch {
            let cancelled = (error as? SluiceError)?.kind == .cancelled
            // The failing tests' results outlive the rolled-back load, beside the ledger row.
            if DataTests.failure(outcome.testResults) != nil {
                try? connection.transaction { try DataTests.record(outcome.testResults, runID: runID, pipeline: pipeline, on: $0) }
            }
            try? RunLedger.fail(runID: runID, error: String(describing: error), status: cancelled ? "cancelled" : "failed", on: connection)
            throw error
        }
        // The load has committed: a failure from here on does not undo it, and says so.
        do {
            try commit(files, outcome: &outcome)
            try writeRejects(outcome, directory: settings.outputDirectory)
        } catch {
            throw SluiceError(.io, "the load committed (run \(runID)), but writing the CSV outputs failed: \(error)",
                              location: settings.outputDirectory, hint: "free space or fix the folder's permissions, then run again")
        }
        // The whole run, the load transaction included (compute set it for the ledger).
        outcome.elapsedNanos = SystemInfo.monotonicNanos() - started
        return outcome
    }

    /// Creates the indexes that are missing, each under a savepoint: a role that may load a
    /// table but does not own it cannot index it, and that costs speed, not the load. What
    /// could not be made is returned, for the summary.
    static func createIndexes(_ indexes: [IndexDefinition], on connection: PostgresConnection) throws -> [String] {
        var notes: [String] = []
        for index in indexes {
            // Nothing to index when the run created no table (every file failed); nothing to do
            // when the index is there.
            let found = try connection.execute("SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL", [
                .text(index.table.quoted), .text(QualifiedName(schema: index.table.schema, name: Identifier(index.name)).quoted),
            ])
            guard found.rows.first?[0] == "t", found.rows.first?[1] == "f" else { continue }
            do {
                try connection.transaction { _ = try $0.execute(index.sql) }
            } catch let error as PostgresError where error.code == .insufficientPrivilege {
                notes.append("index \(index.name) on \(index.table) not created (\(error.message)); its table's owner can create it: \(index.sql)")
            }
        }
        return notes
    }

    /// Checks the job's shape before anything runs: at most one table per step, and each
    /// declared schema a relabelling of its plan's (same column count and types; decimals may
    /// differ in precision only).
    static func validate(_ job: Job) throws(SluiceError) {
        for step in job.steps {
            let tables = step.outputs.filter { if case .table = $0 { true } else { false } }
            guard tables.count <= 1 else { throw SluiceError.plan("step \(step.name) loads \(tables.count) tables; give each its own step") }
            guard let declared = step.schema else { continue }
            let planned = try step.frame.schema()
            guard declared.count == planned.count else {
                throw SluiceError.plan("step \(step.name) declares \(declared.count) columns but its plan makes \(planned.count): \(planned)")
            }
            for (want, have) in zip(declared.fields, planned.fields) {
                switch (want.type, have.type) {
                case (.decimal(_, let a), .decimal(_, let b)) where a == b: continue
                case let (a, b) where a == b: continue
                default:
                    throw SluiceError.plan("step \(step.name) declares \(want.name) as \(want.type) but its plan makes \(have.name) \(have.type)",
                                           hint: "cast in the plan, or declare the type the plan makes")
                }
            }
        }
    }

    /// Runs every step into its sinks, then the checks, then (with a connection) the merges.
    /// Returns the CSV outputs, written but not yet renamed into place.
    private static func compute(
        _ job: Job, settings: RunSettings, runtime: ExecutionRuntime, connection: PostgresConnection?,
        outcome: inout JobOutcome, started: UInt64
    ) throws -> [(step: String, sink: any BatchSink)] {
        var files: [(step: String, sink: any BatchSink)] = []
        var loads: [(String, StagedLoad)] = []
        let (dispositions, planned) = try StepDisposition.plan(job, outputDirectory: settings.outputDirectory, hasDatabase: connection != nil,
                                                               selection: settings.selection)
        var frames = planned, spark: SparkExecution.Prepared?
        if let settings = settings.spark {
            let prepared = try SparkExecution.run(job, dispositions: dispositions, frames: frames, settings: settings, runtime: runtime)
            frames = prepared.frames
            spark = prepared
            outcome.notes.append("computed on Spark (master \(settings.master))" + (settings.keepStaging ? "; script, log and part files kept in \(prepared.staging)" : ""))
        }
        defer { spark?.cleanUp() }
        for (index, step) in job.steps.enumerated() {
            guard dispositions[index] == .run, spark?.inputsOnly.contains(index) != true else {
                outcome.stepRows.append((step.name, 0))
                outcome.skippedSteps.append(step.name)
                continue
            }
            let selected = { (output: JobOutput) in settings.selection.map { !Set(output.selectionNames).isDisjoint(with: $0) } ?? true }
            let readers = job.steps.indices.filter { reader in
                dispositions[reader] == .run && step.outputs.contains { output in
                    if case .feeds(let result) = output { frames[reader].plan.scanCount(of: result) > 0 } else { false }
                }
            }
            let writesFiles = settings.outputDirectory != nil && step.outputs.contains { output in
                switch output {
                case .csv, .csvPerValue: selected(output)
                case .table, .feeds, .sample: false
                }
            }
            // Only tables take this result (no file, no later step): their rows have no order,
            // so the step's own sort, and the merge it needs, are left out.
            let sampled = step.outputs.contains { if case .sample = $0 { true } else { false } }
            let frame = writesFiles || sampled || !readers.isEmpty ? frames[index] : frames[index].unordered
            let schema = try step.schema ?? frame.schema()
            var sinks: [any BatchSink] = []
            var table: TargetTable?
            var results: [SpooledResult] = []
            for output in step.outputs {
                switch output {
                case .feeds, .sample: break
                default: if !selected(output) { continue }
                }
                switch output {
                case .csv(let name):
                    guard let directory = settings.outputDirectory else { continue }
                    sinks.append(try CSVFileOutput(path: (directory as NSString).appendingPathComponent(name), schema: schema))
                case .csvPerValue(let folder, let column):
                    guard let directory = settings.outputDirectory else { continue }
                    sinks.append(try PartitionedCSVOutput(folder: (directory as NSString).appendingPathComponent(folder), column: column, schema: schema))
                case .table(let output):
                    if connection != nil { table = output.target(schema: schema, runID: outcome.runID) }
                case .feeds(let result):
                    // Held only for a later step that reads it rather than computing it.
                    let reads = readers.reduce(0) { $0 + frames[$1].plan.scanCount(of: result) }
                    guard reads > 0 else { continue }
                    result.begin(runtime: runtime, reads: reads)
                    results.append(result)
                case .sample(let sample):
                    sinks.append(sample)
                }
            }
            // The load starts with the step's first result batch, so no statement of the load
            // transaction (and no COPY) is open while the job reads and shuffles.
            var load: StagedLoad?
            func loader() throws -> StagedLoad? {
                guard let table, let connection else { return nil }
                if let load { return load }
                let started = try StagedLoad(into: table, on: connection)
                load = started
                return started
            }
            var rows = 0
            do {
                try frame.forEachBatch(runtime: runtime) { produced in
                    let batch = step.schema.map { produced.withSchema($0) } ?? produced
                    rows += batch.rowCount
                    for sink in sinks { try sink.write(batch) }
                    for result in results { try result.append(batch) }
                    try loader()?.write(batch)
                }
                if let started = try loader() {
                    try started.finishCopy()
                    loads.append((started.target.name.description, started))
                }
            } catch {
                load?.abort()
                throw error
            }
            outcome.stepRows.append((step.name, rows))
            files += sinks.map { (step.name, $0) }
        }
        outcome.sourceCounts = runtime.rejects.sourceCounts
        outcome.observations = Dictionary(runtime.observations.all.map { ($0.name, $0.value) }, uniquingKeysWith: +)
        outcome.stages = runtime.stageMetrics
        outcome.peakPoolBytes = runtime.memoryPool.peak
        outcome.spillFiles = runtime.spill.filesWritten
        try runtime.rejects.checkRatio()
        try checkAccounting(outcome)
        for check in job.checks { try check.check(outcome) }
        for (name, load) in loads {
            try runtime.cancellation.check()
            outcome.loads.append((name, try load.merge()))
        }
        outcome.elapsedNanos = SystemInfo.monotonicNanos() - started
        return files
    }

    /// Every source's rows are accounted for: read = passed + rejected + apart.
    static func checkAccounting(_ outcome: JobOutcome) throws(SluiceError) {
        for counts in outcome.sourceCounts where counts.read != counts.passed + counts.rejected + counts.apart {
            throw SluiceError.internal(
                "rows of \(counts.source) do not add up: \(counts.read) read, \(counts.passed) passed, \(counts.rejected) rejected, \(counts.apart) apart"
            )
        }
    }

    private static func commit(_ files: [(step: String, sink: any BatchSink)], outcome: inout JobOutcome) throws {
        for (step, sink) in files {
            try sink.commit()
            if let file = sink as? CSVFileOutput { outcome.files.append((step, file.path)) }
            if let folder = sink as? PartitionedCSVOutput { outcome.files += folder.paths.map { (step, $0.path) } }
        }
    }

    /// Writes every reject to `DIR/rejects.csv` in file and line order (streamed from the
    /// sink, which may hold most of them on disk), or removes a stale one when there are none,
    /// so the folder always describes the last run.
    static func writeRejects(_ outcome: JobOutcome, directory: String?) throws {
        guard let directory else { return }
        let path = (directory as NSString).appendingPathComponent("rejects.csv")
        guard outcome.rejects.totalRejected > 0 else {
            if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
            return
        }
        let file = try AtomicFileWriter(path: path)
        var buffer = Array(RejectCSV.header.utf8)
        try outcome.rejects.forEachSorted { kept in
            for reject in kept { RejectCSV.append(reject, to: &buffer) }
            try file.write(&buffer)
        }
        try file.write(&buffer)
        try file.commit()
    }
}
