import SluiceCore
public import SluicePostgres

/// `sluice test <pipeline>`: a pipeline's data tests alone, against its tables as they are
/// (dbt's `dbt test`), under the pipeline's lock so no run changes them meanwhile. The run is
/// a ledger row of its own (parameters `test`) and its results go to `sluice_test_results`.
public enum TestRunner {
    /// Runs `tests` and records them; returns the ledger's run id and what each test found.
    public static func run(_ tests: [DataTest], pipeline: String, database: DatabaseTarget, onWait: () -> Void = {}) throws
        -> (runID: String, results: [DataTestResult])
    {
        let connection = try database.connect()
        defer { connection.close() }
        try JobLock.acquire(job: pipeline, on: connection, onWait: onWait)
        defer { try? JobLock.release(job: pipeline, on: connection) }
        let runID = RunLedger.newRunID()
        try RunLedger.start(runID: runID, job: pipeline, parameters: "test", fingerprint: "", on: connection)
        do {
            // One snapshot for every test, so they judge the same tables.
            let results = try connection.transaction(isolation: .repeatableRead) { try DataTests.run(tests, on: $0) }
            try connection.transaction { connection in
                try DataTests.record(results, runID: runID, pipeline: pipeline, on: connection)
                let failure = DataTests.failure(results)
                let summary = RunLedger.Summary(rowsRead: 0, rowsLoaded: 0, rowsRejected: 0, load: LoadResult(), spillBytes: 0, peakMemory: 0,
                                                details: [("tests", "\(results.count)"),
                                                          ("failed", "\(results.filter { $0.status == .fail }.count)"),
                                                          ("warned", "\(results.filter { $0.status == .warn }.count)")])
                try RunLedger.finish(runID: runID, summary: summary, rejects: RejectSink(), status: failure == nil ? "succeeded" : "failed",
                                     error: failure.map { String(describing: $0) }, on: connection)
            }
            return (runID, results)
        } catch {
            try? RunLedger.fail(runID: runID, error: String(describing: error), on: connection)
            throw error
        }
    }
}
