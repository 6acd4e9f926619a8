public import SluiceCore
public import SluiceIO
public import SluicePostgres
import Foundation

/// The customers run's bookkeeping: an audit row per input file in `sluice_files` (its
/// size, sha-256, rows read / loaded / quarantined / duplicates / blank, status, error,
/// start and finish), the quarantined records in `<table>_quarantine` with every failed
/// rule, and the summary's per-file lines. Written in the load transaction, so the audit
/// never claims a load that did not commit.
public struct CustomersAudit: Sendable {
    public static let filesTable = QualifiedName(schema: nil, name: "sluice_files")
    public static let skippedStatus = "skipped (already loaded)"
    public static let loadedStatus = "loaded"
    public static let failedStatus = "failed"

    /// One input file and what became of it.
    public struct File: Sendable {
        public var ordinal: Int
        public var path: String
        public var size: Int?
        public var sha256: String?
        public var status = CustomersAudit.loadedStatus
        public var error: String?
        public var dateFormat: CustomerDateFormat?
        /// Why the file failed (its status is `failed`), for the run's exit.
        public var failure: SluiceError?

        public init(ordinal: Int, path: String) {
            self.ordinal = ordinal
            self.path = path
        }
    }

    public var files: [File]
    public var table: QualifiedName
    var started: Date

    /// The quarantine table beside `table`: `customers` → `customers_quarantine`.
    public var quarantineTable: QualifiedName { QualifiedName(schema: table.schema, name: Identifier(table.name.name + "_quarantine")) }

    /// The sha-256 of every file some earlier run loaded successfully, with that run's id.
    public static func loadedDigests(of paths: [String], on database: DatabaseTarget) throws -> [String: String] {
        let connection = try database.connect()
        defer { connection.close() }
        let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text(filesTable.quoted)])
        guard exists.rows.first?[0] == "t" else { return [:] }
        let rows = try connection.execute("SELECT sha256, max(run_id) FROM \(filesTable.quoted) WHERE status = $1 GROUP BY sha256",
                                          [.text(loadedStatus)]).rows
        return Dictionary(rows.compactMap { row in row[0].map { ($0, row[1] ?? "") } }, uniquingKeysWith: { first, _ in first })
    }

    /// One audited file as `sluice runs` lists it.
    public struct Listed: Sendable {
        public var run: String, path: String, status: String, sha256: String, error: String?
        public var read: Int, loaded: Int, quarantined: Int, duplicates: Int, blank: Int
    }

    /// The audited files of `runs`, none when the database has no `sluice_files`.
    public static func files(ofRuns runs: [String], on connection: PostgresConnection) throws -> [Listed] {
        let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text(filesTable.quoted)])
        guard exists.rows.first?[0] == "t", !runs.isEmpty else { return [] }
        let rows = try connection.execute("""
            SELECT run_id, file, status, coalesce(sha256, ''), error, coalesce(rows_read, 0), coalesce(rows_loaded, 0),
                   coalesce(rows_quarantined, 0), coalesce(rows_duplicates, 0), coalesce(blank_lines, 0)
            FROM \(filesTable.quoted) WHERE run_id = ANY($1::text[]) ORDER BY run_id, file
            """, [.text("{" + runs.map { "\"" + $0 + "\"" }.joined(separator: ",") + "}")]).rows
        return rows.map { row in
            Listed(run: row[0] ?? "", path: row[1] ?? "", status: row[2] ?? "", sha256: row[3] ?? "", error: row[4],
                   read: Int(row[5] ?? "") ?? 0, loaded: Int(row[6] ?? "") ?? 0, quarantined: Int(row[7] ?? "") ?? 0,
                   duplicates: Int(row[8] ?? "") ?? 0, blank: Int(row[9] ?? "") ?? 0)
        }
    }

    static func ensureTables(_ quarantine: QualifiedName, on connection: PostgresConnection) throws {
        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS \(filesTable.quoted) (
                run_id text, file text NOT NULL, size_bytes bigint, sha256 text, rows_read bigint, rows_loaded bigint,
                rows_quarantined bigint, rows_duplicates bigint, blank_lines bigint, date_format text, status text NOT NULL,
                error text, started_at timestamptz NOT NULL, finished_at timestamptz
            );
            CREATE INDEX IF NOT EXISTS sluice_files_sha256 ON \(filesTable.quoted) (sha256, status);
            CREATE INDEX IF NOT EXISTS sluice_files_run ON \(filesTable.quoted) (run_id);
            CREATE TABLE IF NOT EXISTS \(quarantine.quoted) (
                run_id text NOT NULL, source_file text NOT NULL, line bigint, raw jsonb, failures jsonb NOT NULL, reasons text NOT NULL,
                quarantined_at timestamptz NOT NULL DEFAULT now()
            );
            """)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Per-file figures of a finished run.
    struct Figures {
        var read = 0, loaded = 0, quarantined = 0, duplicates = 0, blank = 0
    }

    static func figures(_ file: File, outcome: JobOutcome) -> Figures {
        guard file.status == loadedStatus, let counts = outcome.sourceCounts.first(where: { $0.source == file.path }) else { return Figures() }
        // Superseded records and blank lines are both counted apart (CustomersRecords.superseded).
        return Figures(read: counts.read, loaded: counts.passed, quarantined: counts.rejected, duplicates: counts.apart - counts.blank,
                       blank: counts.blank)
    }

    /// Writes the files' audit rows and the quarantined records; runs in the load transaction.
    public func record(_ outcome: JobOutcome, on connection: PostgresConnection) throws {
        try Self.ensureTables(quarantineTable, on: connection)
        let runID = outcome.runID ?? ""
        for file in files {
            let figures = Self.figures(file, outcome: outcome)
            let counted = file.status == Self.loadedStatus
            try connection.execute("""
                INSERT INTO \(Self.filesTable.quoted) (run_id, file, size_bytes, sha256, rows_read, rows_loaded, rows_quarantined,
                    rows_duplicates, blank_lines, date_format, status, error, started_at, finished_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::timestamptz, now())
                """, [
                    .text(runID), .text(file.path), file.size.map { .int(Int64($0)) }, file.sha256.map(PostgresValue.text),
                    counted ? .int(Int64(figures.read)) : nil, counted ? .int(Int64(figures.loaded)) : nil,
                    counted ? .int(Int64(figures.quarantined)) : nil, counted ? .int(Int64(figures.duplicates)) : nil,
                    counted ? .int(Int64(figures.blank)) : nil, file.dateFormat.map { .text($0.rawValue) }, .text(file.status),
                    file.error.map(PostgresValue.text), .text(Self.timestamp(started)),
                ])
        }
        guard outcome.rejects.totalRejected > 0 else { return }
        let schema = Schema([Field("run_id", .string), Field("source_file", .string), Field("line", .int64), Field("raw", .string),
                             Field("failures", .string), Field("reasons", .string)])
        try outcome.rejects.forEachSorted { rejects in
            let batch = try RecordBatch(schema: schema, columns: [
                .string(Array(repeating: runID, count: rejects.count)), .string(rejects.map(\.source)), .int64(rejects.map { Int64($0.line) }),
                .string(rejects.map { $0.kind == CustomersRecords.quarantined ? $0.raw : TextJSON.quoted($0.raw) }),
                .string(rejects.map { Self.failures($0) }), .string(rejects.map(\.message)),
            ])
            _ = try connection.copyIn(table: quarantineTable, columns: schema.names, batches: [batch])
        }
    }

    /// A reject's failed rules as a JSON array of `{"rule", "reason"}`: a quarantined record's
    /// reason lists each rule as `rule: reason`, joined by `; `; a reader's reject (a row with
    /// the wrong number of fields) is one rule named by its kind.
    static func failures(_ reject: Reject) -> String {
        let pairs = reject.kind == CustomersRecords.quarantined ? splitReasons(reject.message) : [(reject.kind.rawValue, reject.message)]
        return "[" + pairs.map { "{\"rule\":\(TextJSON.quoted($0.0)),\"reason\":\(TextJSON.quoted($0.1))}" }.joined(separator: ",") + "]"
    }

    /// `email: 'a; b' is not …; website: …` → [(email, 'a; b' is not …), (website, …)]: split
    /// only where `; ` is followed by a rule's name, so a value holding `; ` stays whole.
    static func splitReasons(_ message: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var rest = Substring(message)
        while !rest.isEmpty {
            guard let rule = CustomersRecords.rules.first(where: { rest.hasPrefix($0 + ": ") }) else {
                pairs.append(("record", String(rest)))
                break
            }
            rest = rest.dropFirst(rule.count + 2)
            var end = rest.endIndex
            var search = rest.startIndex
            while let separator = rest[search...].range(of: "; ") {
                if CustomersRecords.rules.contains(where: { rest[separator.upperBound...].hasPrefix($0 + ": ") }) {
                    end = separator.lowerBound
                    break
                }
                search = separator.upperBound
            }
            pairs.append((rule, String(rest[..<end])))
            rest = end == rest.endIndex ? "" : rest[rest.index(end, offsetBy: 2)...]
        }
        return pairs
    }

    /// How many superseded records the summary lists (all of them are in `duplicates.csv`).
    public static let listedDuplicates = 20

    /// The summary's lines: per file, rows read = loaded + quarantined + duplicates (+ blank
    /// lines), or why it was skipped or failed; the first superseded records; and the ledger's
    /// figures.
    /// - Parameter duplicates: the first superseded records (`customer_id, file, line,
    ///   superseded_by_file, superseded_by_line`), as the duplicates step gave them.
    public static func report(_ outcome: JobOutcome, files: [File], duplicates: RowSample) -> JobReport {
        var lines: [String] = []
        var details: [(String, String)] = []
        var total = Figures()
        for file in files {
            guard file.status == loadedStatus else {
                lines.append("\(file.path): \(file.status)" + (file.failure.map { " — \($0.message)" } ?? ""))
                continue
            }
            let figures = figures(file, outcome: outcome)
            total.read += figures.read
            total.loaded += figures.loaded
            total.quarantined += figures.quarantined
            total.duplicates += figures.duplicates
            total.blank += figures.blank
            let form = file.dateFormat.map { ", dates \($0.rawValue)" } ?? ""
            lines.append("\(file.path): \(figures.read) rows = \(figures.loaded) loaded + \(figures.quarantined) quarantined + "
                         + "\(figures.duplicates) duplicates" + (figures.blank > 0 ? " + \(figures.blank) blank lines" : "") + form)
        }
        let superseded = outcome.observed("duplicates")
        if superseded > 0 {
            let file = outcome.files.first { $0.step == "duplicates" }?.path
            lines.append("\(superseded) superseded duplicate(s) (the last record of a customer_id wins)"
                         + (superseded > listedDuplicates ? ", the first \(listedDuplicates)" : "")
                         + (file.map { "; all in \($0)" } ?? "") + ":")
            for row in duplicates.rows.prefix(listedDuplicates) where row.count == 5 {
                lines.append("  \(row[0])  \(row[1]):\(row[2])  superseded by \(row[3]):\(row[4])")
            }
        }
        let kinds = outcome.rejects.totalsByKind.sorted { $0.key.rawValue < $1.key.rawValue }
        details += [("loaded", "\(total.loaded)"), ("quarantined", "\(total.quarantined)"), ("duplicates", "\(total.duplicates)"),
                    ("blank_lines", "\(total.blank)"), ("files", "\(files.count)"),
                    ("files_skipped", "\(files.filter { $0.status == skippedStatus }.count)"),
                    ("files_failed", "\(files.filter { $0.status == failedStatus }.count)")]
        details += kinds.map { ("rejects.\($0.key.rawValue)", "\($0.value)") }
        return JobReport(lines: lines, details: details, failure: failure(files))
    }

    /// The run's failure when some files failed: the file's own error when one did, else how
    /// many did and the first one's error. The run is `partial` when another file loaded,
    /// `failed` when none did (then nothing was loaded).
    static func failure(_ files: [File]) -> PartialFailure? {
        let failed = files.compactMap(\.failure)
        guard let first = failed.first else { return nil }
        let status = files.contains { $0.status == loadedStatus } ? "partial" : "failed"
        guard failed.count > 1 else { return PartialFailure(first, status: status) }
        let error = SluiceError(first.kind, "\(failed.count) of \(files.count) files failed (each is named in the summary and in sluice_files); the first: \(first.message)",
                                location: first.location, hint: first.hint)
        return PartialFailure(error, status: status)
    }
}
