public import SluiceCore
import Foundation

/// The run ledger (`sluice_runs`) and the rejects table (`sluice_rejects`).
///
/// A run is recorded as `running` when it starts (in its own small transaction, so it is
/// visible while the job computes), and finished — `succeeded` with its counts — in the same
/// transaction that loads its data, so the ledger never claims a load that did not commit.
/// A run that fails is marked `failed` with its error; one that was killed stays `running`
/// until the next run of the same job marks it `abandoned`.
public enum RunLedger {
    public static let runsTable = QualifiedName(schema: nil, name: "sluice_runs")
    /// The figures of each run's `details`, one row per figure (`run_id, name, value`).
    public static let detailsTable = QualifiedName(schema: nil, name: "sluice_run_details")
    public static let rejectsTable = QualifiedName(schema: nil, name: "sluice_rejects")

    /// What a finished run reports.
    public struct Summary: Sendable {
        public var rowsRead: Int
        public var rowsLoaded: Int
        public var rowsRejected: Int
        public var load: LoadResult
        public var spillBytes: Int
        public var spillFiles: Int
        public var peakMemory: Int
        /// Job-specific figures (for example purchases with an unknown product), stored as
        /// `key=value` pairs in the ledger's `details` column.
        public var details: [(String, String)]

        public init(rowsRead: Int, rowsLoaded: Int, rowsRejected: Int, load: LoadResult, spillBytes: Int, spillFiles: Int = 0,
                    peakMemory: Int, details: [(String, String)] = []) {
            self.rowsRead = rowsRead
            self.rowsLoaded = rowsLoaded
            self.rowsRejected = rowsRejected
            self.load = load
            self.spillBytes = spillBytes
            self.spillFiles = spillFiles
            self.peakMemory = peakMemory
            self.details = details
        }
    }

    /// The columns of `table` as the server resolves it, or nil when there is no such table.
    static func columns(of table: QualifiedName, on connection: PostgresConnection) throws -> Set<String>? {
        let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text(table.quoted)])
        guard exists.rows.first?[0] == "t" else { return nil }
        let names = try connection.execute("""
            SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
            """, [.text(table.quoted)])
        return Set(names.rows.compactMap { $0[0] })
    }

    /// Refuses a table of the ledger's name that is not the ledger (another tool's
    /// `sluice_runs`): Sluice would otherwise add columns to it.
    static func checkShape(_ table: QualifiedName, needs required: [String], on connection: PostgresConnection,
                           columns known: Set<String>? = nil) throws {
        guard let found = try known ?? columns(of: table, on: connection) else { return }
        let missing = required.filter { !found.contains($0) }
        guard missing.isEmpty else {
            throw SluiceError(.configuration, "a table \(table) exists that is not Sluice's run ledger: it lacks \(missing.joined(separator: ", "))",
                              location: "PostgreSQL at \(connection.host)",
                              hint: "rename or drop that table, or run Sluice against another database")
        }
    }

    /// Creates both tables when missing, after checking that tables of those names are
    /// Sluice's.
    public static func ensureTables(on connection: PostgresConnection) throws {
        try checkShape(runsTable, needs: ["run_id", "job", "parameters", "input_fingerprint", "started_at", "status"], on: connection)
        try checkShape(rejectsTable, needs: ["run_id", "source", "kind", "message"], on: connection)
        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS \(runsTable.quoted) (
                run_id text PRIMARY KEY,
                job text NOT NULL,
                parameters text NOT NULL,
                input_fingerprint text NOT NULL,
                started_at timestamptz NOT NULL,
                finished_at timestamptz,
                status text NOT NULL,
                rows_read bigint,
                rows_loaded bigint,
                rows_rejected bigint,
                rows_inserted bigint,
                rows_updated bigint,
                rows_unchanged bigint,
                rows_deleted bigint,
                spill_bytes bigint,
                spill_files bigint,
                peak_memory_bytes bigint,
                details text,
                error text
            );
            ALTER TABLE \(runsTable.quoted) ADD COLUMN IF NOT EXISTS spill_files bigint;
            ALTER TABLE \(runsTable.quoted) ADD COLUMN IF NOT EXISTS details text;
            CREATE INDEX IF NOT EXISTS sluice_runs_job_started ON \(runsTable.quoted) (job, started_at DESC);
            CREATE TABLE IF NOT EXISTS \(rejectsTable.quoted) (
                run_id text NOT NULL,
                source text NOT NULL,
                line bigint,
                byte_offset bigint,
                column_name text,
                kind text NOT NULL,
                raw text,
                message text NOT NULL
            );
            CREATE INDEX IF NOT EXISTS sluice_rejects_run ON \(rejectsTable.quoted) (run_id);
            CREATE TABLE IF NOT EXISTS \(detailsTable.quoted) (
                run_id text NOT NULL,
                name text NOT NULL,
                value text,
                PRIMARY KEY (run_id, name)
            );
            """)
    }

    /// A new run id: time-ordered and unique.
    public static func newRunID() -> String {
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        return "\(stamp)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// Records the start of a run (committed at once) and marks earlier `running` runs of the
    /// same job `abandoned` — the caller holds the job's lock, so they cannot still be alive.
    public static func start(runID: String, job: String, parameters: String, fingerprint: String, on connection: PostgresConnection) throws {
        try ensureTables(on: connection)
        try connection.transaction { connection in
            try connection.execute("UPDATE \(runsTable.quoted) SET status = 'abandoned', finished_at = now() WHERE job = $1 AND status = 'running'", [.text(job)])
            try connection.execute("""
                INSERT INTO \(runsTable.quoted) (run_id, job, parameters, input_fingerprint, started_at, status)
                VALUES ($1, $2, $3, $4, now(), 'running')
                """, [.text(runID), .text(job), .text(parameters), .text(fingerprint)])
        }
    }

    /// Marks the run finished with its figures and stores every reject (streamed from the
    /// sink, in file and line order); call inside the transaction that loads the data.
    /// - Parameters:
    ///   - status: `succeeded`, or `partial` / `failed` for a run that committed while part of
    ///     it failed (an input file), with that part's `error`.
    public static func finish(runID: String, summary: Summary, rejects: RejectSink, status: String = "succeeded", error: String? = nil,
                              on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE \(runsTable.quoted) SET status = $13, finished_at = now(), rows_read = $2, rows_loaded = $3,
                rows_rejected = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7, rows_deleted = $8,
                spill_bytes = $9, peak_memory_bytes = $10, spill_files = $11, details = $12, error = $14
            WHERE run_id = $1
            """, [
                .text(runID), .int(Int64(summary.rowsRead)), .int(Int64(summary.rowsLoaded)), .int(Int64(summary.rowsRejected)),
                .int(Int64(summary.load.inserted)), .int(Int64(summary.load.updated)), .int(Int64(summary.load.unchanged)),
                .int(Int64(summary.load.deleted)), .int(Int64(summary.spillBytes)), .int(Int64(summary.peakMemory)),
                .int(Int64(summary.spillFiles)), .text(summary.details.map { "\($0.0)=\($0.1)" }.joined(separator: " ")),
                .text(status), error.map(PostgresValue.text),
            ])
        if !summary.details.isEmpty {
            // One row per figure too, so a view can read a figure with a plain lookup.
            let unique = Dictionary(summary.details, uniquingKeysWith: { _, last in last }).sorted { $0.key < $1.key }
            let batch = try RecordBatch(schema: Schema([Field("run_id", .string), Field("name", .string), Field("value", .string)]), columns: [
                .string(Array(repeating: runID, count: unique.count)), .string(unique.map(\.key)), .string(unique.map(\.value)),
            ])
            try connection.copyIn(table: detailsTable, columns: ["run_id", "name", "value"], batches: [batch])
        }
        let schema = Schema([
            Field("run_id", .string), Field("source", .string), Field("line", .int64), Field("byte_offset", .int64),
            Field("column_name", .string), Field("kind", .string), Field("raw", .string), Field("message", .string),
        ])
        try rejects.forEachSorted { rejects in
            let batch = try RecordBatch(schema: schema, columns: [
                .string(Array(repeating: runID, count: rejects.count)), .string(rejects.map(\.source)),
                .int64(rejects.map { Int64($0.line) }), .int64(rejects.map { Int64($0.byteOffset) }),
                try .from(rejects.map { $0.column.map(Value.string) ?? .null }, type: .string), .string(rejects.map(\.kind.rawValue)),
                .string(rejects.map { $0.raw.replacingOccurrences(of: "\u{0}", with: "") }), .string(rejects.map(\.message)),
            ])
            try connection.copyIn(table: rejectsTable, columns: schema.names, batches: [batch])
        }
    }

    /// Marks the run `failed`, or `cancelled` (a signal stopped it); its data transaction has
    /// already rolled back.
    public static func fail(runID: String, error: String, status: String = "failed", on connection: PostgresConnection) throws {
        try connection.execute("UPDATE \(runsTable.quoted) SET status = $3, finished_at = now(), error = $2 WHERE run_id = $1",
                               [.text(runID), .text(error), .text(status)])
    }

    /// The most recent runs, newest first, optionally of one job; none when the database has
    /// no ledger yet. Reads only, so a read-only role can list runs.
    public static func recent(limit: Int, job: String?, on connection: PostgresConnection) throws -> [[String?]] {
        guard let found = try columns(of: runsTable, on: connection) else { return [] }
        try checkShape(runsTable, needs: ["run_id", "job", "status", "started_at", "finished_at", "rows_read", "error"], on: connection,
                       columns: found)
        return try connection.execute("""
            SELECT run_id, job, status, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS started,
                   round(extract(epoch FROM finished_at - started_at)::numeric, 2) AS seconds,
                   rows_read, rows_loaded, rows_rejected, rows_inserted, rows_updated, rows_unchanged, rows_deleted, error
            FROM \(runsTable.quoted)
            WHERE $1::text IS NULL OR job = $1
            ORDER BY started_at DESC LIMIT $2
            """, [job.map(PostgresValue.text), .int(Int64(limit))]).rows
    }
}

/// A session-level advisory lock per job name, so two runs of one job never interleave.
/// The lock is held by the connection until `release` or until the connection closes (a
/// killed process releases it with its connection).
public enum JobLock {
    /// The first key of the two-key advisory lock form, reserved for Sluice jobs.
    static let namespace: Int64 = 0x51CE

    /// Waits for and takes the job's lock; `onWait` is called once if another run holds it.
    public static func acquire(job: String, on connection: PostgresConnection, onWait: () -> Void = {}) throws {
        let tried = try connection.execute("SELECT pg_try_advisory_lock($1::int, hashtext($2))", [.int(namespace), .text(job)])
        if tried.rows.first?[0] == "t" { return }
        onWait()
        try connection.execute("SELECT pg_advisory_lock($1::int, hashtext($2))", [.int(namespace), .text(job)])
    }

    public static func release(job: String, on connection: PostgresConnection) throws {
        try connection.execute("SELECT pg_advisory_unlock($1::int, hashtext($2))", [.int(namespace), .text(job)])
    }
}
