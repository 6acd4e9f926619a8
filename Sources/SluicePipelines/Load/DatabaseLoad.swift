public import SluiceCore
public import SluicePostgres
import SluiceEngine
import Foundation

/// Runs a job against PostgreSQL the way every pipeline loads: take the job's advisory lock,
/// record the run as started, compute, then in one transaction load the result
/// idempotently, store the rejects and finish the ledger row. A failure marks the run failed
/// and leaves the target as it was; a kill leaves it as it was too (the transaction never
/// commits) and the next run of the job marks the killed one abandoned.
public struct DatabaseLoad {
    public let target: DatabaseTarget
    public let job: String
    public let parameters: String
    public let fingerprint: String

    public init(target: DatabaseTarget, job: String, parameters: String, fingerprint: String) {
        self.target = target
        self.job = job
        self.parameters = parameters
        self.fingerprint = fingerprint
    }

    /// What the run produced and loaded.
    public struct Outcome: Sendable {
        public var runID: String
        public var loads: [String: LoadResult]
    }

    /// Runs `compute`, then loads each returned (table, batches) pair.
    /// - Parameter onWait: called when another run of the same job holds the lock.
    /// - Parameters:
    ///   - spillFiles: the number of spill files the run wrote, for the ledger.
    ///   - details: job-specific figures for the ledger's `details` column.
    public func run(
        onWait: () -> Void = {},
        _ compute: () throws -> (tables: [(TargetTable, [RecordBatch])], result: PipelineResult, spillFiles: Int, details: [(String, String)])
    ) throws -> Outcome {
        let connection = try target.connect()
        defer { connection.close() }
        try JobLock.acquire(job: job, on: connection, onWait: onWait)
        let runID = RunLedger.newRunID()
        try RunLedger.start(runID: runID, job: job, parameters: parameters, fingerprint: fingerprint, on: connection)
        do {
            let (tables, result, spillFiles, details) = try compute()
            var loads: [String: LoadResult] = [:]
            try connection.transaction { connection in
                var total = LoadResult()
                for (table, batches) in tables {
                    let load = try StagedLoader.load(batches, into: table, on: connection)
                    loads[table.name.description] = load
                    total.staged += load.staged
                    total.inserted += load.inserted
                    total.updated += load.updated
                    total.unchanged += load.unchanged
                    total.deleted += load.deleted
                }
                let summary = RunLedger.Summary(
                    rowsRead: result.rowsRead, rowsLoaded: total.staged, rowsRejected: result.rowsRejected, load: total,
                    spillBytes: result.stages.reduce(0) { $0 + $1.spillBytes }, spillFiles: spillFiles,
                    peakMemory: result.peakPoolBytes, details: details
                )
                try RunLedger.finish(runID: runID, summary: summary, rejects: result.rejects.rejects, on: connection)
            }
            try? JobLock.release(job: job, on: connection)
            return Outcome(runID: runID, loads: loads)
        } catch {
            try? RunLedger.fail(runID: runID, error: String(describing: error), on: connection)
            throw error
        }
    }

    /// A fingerprint of input files: path, size and modification time, plus a hash of their
    /// first and last 64 KB — cheap on a 10 GB file, and different whenever the input changes
    /// in any way a re-run should notice.
    public static func fingerprint(of paths: [String]) -> String {
        var parts: [String] = []
        for path in paths {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes?[.size] as? Int) ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            var hash: UInt64 = 0
            if let handle = FileHandle(forReadingAtPath: path) {
                let head = handle.readData(ofLength: 65_536)
                if size > 131_072 { handle.seek(toFileOffset: UInt64(size - 65_536)) }
                let tail = size > 131_072 ? handle.readData(ofLength: 65_536) : Data()
                try? handle.close()
                hash = (head + tail).withUnsafeBytes { Hash64.bytes($0) }
            }
            parts.append("\(path):\(size):\(Int(modified)):\(String(hash, radix: 16))")
        }
        return parts.joined(separator: ";")
    }
}
