import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines

/// `sluice scan FILE`: parse a CSV file — or the JSON files inside ZIP archives — completely
/// (every column, typed) and report the schema, rows, rejects and throughput. A quick check
/// of an input before a job, and the parse benchmark.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Parse a CSV file (or the JSON inside ZIP archives) fully and report schema, rows, rejects and MB/s."
    )

    @Argument(help: "A CSV file, or ZIP archives of JSON: one archive, a folder of events_*.zip, or a glob.")
    var file: String

    @Option(help: "Field delimiter: , | ; or tab (default: detected).")
    var delimiter: String?

    @Option(help: "Type for a column, as name=type (int64, float64, decimal(p,s), date, timestamp, bool, string); repeatable.")
    var type: [String] = []

    @OptionGroup var engine: EngineOptions
    @OptionGroup var csv: CSVReadOptions
    @OptionGroup(title: "Archive limits") var archiveLimits: ZipLimitOptions

    func validate() throws {
        if let delimiter, CSVDialect.delimiter(named: delimiter) == nil {
            throw ValidationError("--delimiter '\(delimiter)' cannot separate fields: give , | ; tab or another punctuation character")
        }
    }

    func run() throws {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory)
        if isDirectory.boolValue || file.lowercased().hasSuffix(".zip") || file.contains("*") {
            try scanArchives()
            return
        }
        var options = CSVOptions(delimiter: delimiter.flatMap(CSVDialect.delimiter(named:)))
        options.maxQuotedLines = csv.maxQuotedLines
        for entry in type {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let parsed = DataType(parsing: parts[1]) else {
                throw ValidationError("--type '\(entry)' is not name=type")
            }
            options.columnTypes[parts[0]] = parsed
        }
        let rejects = engine.rejectSink()
        let source = try CSVSource(path: file, options: options, rejects: rejects)
        let runtime = ExecutionRuntime(config: try engine.config(), rejects: rejects)
        let started = SystemInfo.monotonicNanos()
        let counted = try RunSession(runtime: runtime, showProgress: !engine.noProgress).run {
            try Self.countingEveryColumn(DataFrame(source), schema: source.schema).collectBatch(runtime: runtime)
        }
        let elapsed = SystemInfo.monotonicNanos() - started
        let rows = counted.rowCount == 1 ? counted.row(0)[0].description : "0"
        let megabytes = Double(source.file.size) / 1_048_576
        let seconds = Double(elapsed) / 1e9
        print("file      \(file) (\(Terminal.bytes(source.file.size)))")
        print("dialect   \(source.dialect)")
        print("schema    \(source.schema)")
        print("rows      \(rows) passed · \(Terminal.count(rejects.totalRejected)) rejected")
        print("nulls     \(Self.nulls(counted, schema: source.schema))")
        print(String(format: "time      %.3f s · %.0f MB/s · %.0f MB/s per worker (%d workers)", seconds, megabytes / seconds,
                     megabytes / seconds / Double(engine.workers), engine.workers))
        for reject in try rejects.firstRejects(5) {
            print("reject    line \(reject.line) \(reject.kind.rawValue): \(reject.message)")
        }
    }

    /// Scans the JSON entries of ZIP archives, with columns inferred from the first entry.
    private func scanArchives() throws {
        let archives = try EcommercePipeline.archives(at: file)
        let zip = try NestedZipSource(archivePaths: archives, pattern: "*.json", limits: archiveLimits.limits())
        guard let first = try zip.entries().first else {
            throw SluiceError(.data, "no JSON entries in the archives", location: file)
        }
        let sample = try zip.read(first)
        let schema = sample.withUnsafeBufferPointer { JSONSchemaInference.infer($0) }
        let rejects = engine.rejectSink()
        let config = try engine.config()
        let source = try ArchiveJSONSource(archives: archives, schema: schema, limits: archiveLimits.limits(), rejects: rejects,
                                           memory: ZipMemoryPolicy(memoryLimit: config.memoryLimit, workers: config.workers,
                                                                   temporaryDirectory: config.temporaryDirectory))
        let runtime = ExecutionRuntime(config: config, rejects: rejects)
        let started = SystemInfo.monotonicNanos()
        let counted = try RunSession(runtime: runtime, showProgress: !engine.noProgress).run {
            try Self.countingEveryColumn(DataFrame(source), schema: schema).collectBatch(runtime: runtime)
        }
        let seconds = Double(SystemInfo.monotonicNanos() - started) / 1e9
        let compressed = archives.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        let json = source.partitions.joined().reduce(0) { $0 + $1.uncompressedSize }
        print("archives  \(archives.count) (\(Terminal.bytes(compressed)) compressed, \(Terminal.bytes(json)) of JSON in \(source.partitions.joined().count) entries)")
        print("schema    \(schema)")
        print("rows      \(counted.rowCount == 1 ? counted.row(0)[0].description : "0") passed · \(Terminal.count(rejects.totalRejected)) rejected")
        print("nulls     \(Self.nulls(counted, schema: schema))")
        print(String(format: "time      %.3f s · %.0f MB/s of JSON (%d workers)", seconds, Double(json) / 1_048_576 / seconds, engine.workers))
    }

    /// The rows, then each column's non-null values. Counting values reads every column, so
    /// each is parsed and typed and a value that does not parse is a reject; a plain row count
    /// needs no column and would only find where records end.
    static func countingEveryColumn(_ frame: DataFrame, schema: Schema) -> DataFrame {
        frame.groupBy([]).agg([Agg.count().as("rows")] + schema.names.enumerated().map { Agg.count(col($1)).as("values_\($0)") })
    }

    /// The columns with nulls and how many, from ``countingEveryColumn(_:schema:)``'s row.
    static func nulls(_ counted: RecordBatch, schema: Schema) -> String {
        guard counted.rowCount == 1, case .int64(let rows) = counted.row(0)[0] else { return "none" }
        let values = counted.row(0)
        let withNulls = schema.names.enumerated().compactMap { index, name -> String? in
            guard index + 1 < values.count, case .int64(let present) = values[index + 1], present < rows else { return nil }
            return "\(name) \(Terminal.count(Int(rows - present)))"
        }
        return withNulls.isEmpty ? "none" : withNulls.joined(separator: ", ")
    }
}
