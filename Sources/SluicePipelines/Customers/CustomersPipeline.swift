public import SluiceCore
public import SluiceEngine
public import SluiceIO
public import SluicePostgres
import Foundation

/// Pipeline 4, **customers**: customer master data dropped by partners as CSV or JSON files →
/// snake_case, trimmed, typed, validated, quarantined with reasons, de-duplicated, upserted
/// into `customers`, and every file audited in `sluice_files`.
///
/// Per file: the header is matched to the table's columns (``CustomerColumns``), the
/// `subscription_date` form is chosen from all of the column's values (``CustomerDateFormat``),
/// and each record is checked: `customer_id` present, `index` an integer, `email` an address,
/// the date real in the file's form, `website` an http(s) URL. A record failing any rule is
/// quarantined with every failed rule (``CustomersRecords``) and is a reject of its file.
/// The records that pass are grouped by `customer_id`: the last in file order (files in
/// the order given) wins, the others are duplicates. So, per file, rows read = loaded +
/// quarantined + duplicates + blank lines.
public enum CustomersPipeline: Pipeline {
    public static let name = "customers"
    public static let summary = "Partner customer files (CSV or JSON) → validated, de-duplicated customers, quarantine with reasons, an audit row per file."
    public static let details = """
        Input: files, folders or globs of CSV (customers-100.csv's shape: Index,Customer Id,First Name,…) or JSON (an array or \
        newline-delimited; nested objects flattened to parent_child). Upserts table customers by customer_id (ingested_at moves only \
        when a row changes); quarantines failing records in customers_quarantine and sluice_rejects; records each file in sluice_files \
        (a file already loaded, by sha-256, is skipped unless --force). With --out, writes OUT/customers.csv, OUT/duplicates.csv (the superseded records) and OUT/rejects.csv.
        """
    public static let privateDatabase = "customers"

    /// One run's inputs and policies.
    public struct Parameters: Sendable {
        /// Files, folders (their `.csv`, `.json`, `.ndjson` and `.jsonl` files) or glob patterns.
        public var sources: [String]
        public var table: QualifiedName
        /// The `subscription_date` form of a file whose values all read both day-first and
        /// month-first; every file's form is inferred from its values first.
        public var dateFormat: CustomerDateFormat?
        /// Load files whose content was already loaded.
        public var force: Bool
        public var maxQuotedLines: Int

        public init(sources: [String], table: QualifiedName = QualifiedName(name: "customers"), dateFormat: CustomerDateFormat? = nil,
                    force: Bool = false, maxQuotedLines: Int = CSVOptions.defaultMaxQuotedLines) {
            self.sources = sources
            self.table = table
            self.dateFormat = dateFormat
            self.force = force
            self.maxQuotedLines = maxQuotedLines
        }
    }

    /// The customers table over HTTP, as the original task's Django REST framework view serves it:
    /// searched on names, company, e-mail and place, filtered and ordered on the fields a
    /// partner manager asks about.
    public static let served = [
        ServedTable(route: "customers", relation: QualifiedName(name: "customers"), key: ["customer_id"],
                    filters: ["index", "customer_id", "first_name", "last_name", "company", "city", "country", "email",
                              "subscription_date", "source_file", "ingested_at"],
                    search: ["first_name", "last_name", "company", "email", "city", "country"],
                    ordering: ["index", "customer_id", "first_name", "last_name", "company", "city", "country", "email",
                               "subscription_date", "ingested_at"],
                    // `?country=…&subscription_date__gte=…&ordering=-subscription_date`: a range of one index.
                    indexes: [["country", "subscription_date"]],
                    pipeline: name, privateDatabase: privateDatabase),
    ]

    /// The loaded table's PostgreSQL types where Sluice's would differ.
    static let tableTypes = ["index": "integer", "attributes": "jsonb"]

    public static func job(_ parameters: Parameters, context: JobContext) throws -> Job {
        let paths = try CustomerFiles.expand(parameters.sources)
        let started = Date()
        var audit = CustomersAudit(files: [], table: parameters.table, started: started)
        var frames: [DataFrame] = []
        var skipped: Set<String> = []
        let loaded = try context.database.map { try CustomersAudit.loadedDigests(of: paths, on: $0) } ?? [:]
        for (ordinal, path) in paths.enumerated() {
            var file = CustomersAudit.File(ordinal: ordinal, path: path)
            // The sha-256 (a pass over the file) runs beside the date form's pass.
            let digest = context.database != nil ? FileDigest.Pending(path) : nil
            do {
                let opened: CustomerFiles.Opened, columns: CustomerColumns, format: CustomerDateFormat
                do {
                    opened = try CustomerFiles.open(path, maxQuotedLines: parameters.maxQuotedLines, rejects: context.runtime.rejects)
                    columns = try CustomerColumns(header: opened.header, file: path)
                    format = try CustomerDateFormat.infer(
                        column: columns.mapping["subscription_date"] ?? "", source: try opened.reopen(RejectSink()), file: path,
                        preferred: parameters.dateFormat, config: context.runtime.config)
                } catch {
                    if let digest { (file.size, file.sha256) = (try? digest.wait()).map { ($0.0, $0.1) } ?? (nil, nil) }
                    throw error
                }
                if let digest {
                    (file.size, file.sha256) = try digest.wait()
                    if !parameters.force, let sha256 = file.sha256, loaded[sha256] != nil {
                        file.status = CustomersAudit.skippedStatus
                        skipped.insert(path)
                        audit.files.append(file)
                        continue
                    }
                }
                file.dateFormat = format
                frames.append(CustomersRecords.validated(opened.source, columns: columns, format: format, ordinal: ordinal))
                audit.files.append(file)
            } catch {
                // A bad file (its header, its date column) fails alone: the run loads the
                // others and records this one, in the run, as failed with its error.
                file.status = CustomersAudit.failedStatus
                file.error = "\(error)"
                file.failure = (error as? SluiceError) ?? SluiceError(.io, "\(error)", location: path)
                audit.files.append(file)
            }
        }
        return try job(frames: frames, audit: audit, paths: paths, parameters: parameters, inputs: paths.filter { !skipped.contains($0) })
    }

    public static func declaredJob(config: ExecutionConfig) throws -> Job {
        let names = ["Index", "Customer Id", "First Name", "Last Name", "Company", "City", "Country", "Phone 1", "Phone 2", "Email",
                     "Subscription Date", "Website"]
        let source = DeclaredSource(name: "<customers file>", schema: Schema(names.map { Field($0, .string) } + Provenance.fields),
                                    scanName: "CSVScan")
        let columns = try CustomerColumns(header: names, file: "<customers file>")
        let frame = CustomersRecords.validated(source, columns: columns, format: .iso, ordinal: 0)
        return try job(frames: [frame], audit: CustomersAudit(files: [], table: QualifiedName(name: "customers"), started: Date()),
                       paths: ["<customers file>"], parameters: Parameters(sources: ["<customers file>"]), inputs: [])
    }

    public static func generate(_ sample: CustomersGenerator, to destination: String, workers: Int) throws -> GeneratedSample {
        try sample.write(to: destination, workers: max(1, workers))
    }

    /// The job over the files' checked records: one row per customer, the last record winning
    /// (held for the two steps that read it), the customers into the table (and
    /// `customers.csv`), and the records they superseded into `duplicates.csv` (the first few
    /// also in the summary).
    static func job(frames: [DataFrame], audit: CustomersAudit, paths: [String], parameters: Parameters, inputs: [String]) throws -> Job {
        var steps: [JobStep] = []
        let listed = RowSample(limit: CustomersAudit.listedDuplicates)
        if let first = frames.first {
            let all = frames.count == 1 ? first : DataFrame(.union(frames.map(\.plan)))
            let grouped = CustomersRecords.grouped(all)
            let held = try SpooledResult(schema: try grouped.schema(), name: "customers")
            steps.append(JobStep(name: "grouped", frame: grouped, outputs: [.feeds(held)]))
            steps.append(JobStep(name: "customers", frame: CustomersRecords.customers(DataFrame(held)), outputs: [
                .csv("customers.csv"),
                .table(TableOutput(name: parameters.table, key: ["customer_id"], types: tableTypes, uncompared: ["source_file"],
                                   changeStamp: "ingested_at")),
            ]))
            steps.append(JobStep(name: "duplicates", frame: CustomersRecords.superseded(DataFrame(held), paths: paths),
                                 outputs: [.csv("duplicates.csv"), .sample(listed)]))
        }
        let files = audit.files
        var job = Job(
            inputs: inputs,
            parameters: "sources=\(parameters.sources.joined(separator: ",")) table=\(parameters.table)"
                + (parameters.dateFormat.map { " date-format=\($0.rawValue)" } ?? "") + (parameters.force ? " force" : ""),
            steps: steps,
            report: { outcome in CustomersAudit.report(outcome, files: files, duplicates: listed) },
            record: { outcome, connection in try audit.record(outcome, on: connection) }
        )
        job.indexes = served[0].indexDefinitions(on: parameters.table)
        return job
    }
}
