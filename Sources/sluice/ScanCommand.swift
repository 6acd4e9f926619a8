import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO

/// `sluice scan FILE`: parse a CSV file completely (every column, typed) and report its
/// dialect, schema, rows, rejects and parse throughput. A quick check of a file before a
/// job, and the CSV parse benchmark.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Parse a CSV file fully and report schema, rows, rejects and MB/s."
    )

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: "Field delimiter: , | ; or tab (default: detected).")
    var delimiter: String?

    @Option(help: "Type for a column, as name=type (int64, float64, decimal(p,s), date, timestamp, bool, string); repeatable.")
    var type: [String] = []

    @OptionGroup var engine: EngineOptions

    func run() throws {
        var options = CSVOptions(delimiter: delimiter.flatMap(CSVDialect.delimiter(named:)))
        for entry in type {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let parsed = DataType(parsing: parts[1]) else {
                throw ValidationError("--type '\(entry)' is not name=type")
            }
            options.columnTypes[parts[0]] = parsed
        }
        let rejects = engine.rejectSink()
        let source = try CSVSource(path: file, options: options, rejects: rejects)
        let runtime = ExecutionRuntime(config: engine.config)
        let started = SystemInfo.monotonicNanos()
        let counted = try RunSession(runtime: runtime, showProgress: !engine.noProgress).run {
            try DataFrame(source).groupBy([]).agg(Agg.count().as("rows")).collectBatch(runtime: runtime)
        }
        let elapsed = SystemInfo.monotonicNanos() - started
        let rows = counted.rowCount == 1 ? counted.row(0)[0].description : "0"
        let megabytes = Double(source.file.size) / 1_048_576
        let seconds = Double(elapsed) / 1e9
        print("file      \(file) (\(Terminal.bytes(source.file.size)))")
        print("dialect   \(source.dialect)")
        print("schema    \(source.schema)")
        print("rows      \(rows) passed · \(Terminal.count(rejects.totalRejected)) rejected")
        print(String(format: "time      %.3f s · %.0f MB/s · %.0f MB/s per worker (%d workers)", seconds, megabytes / seconds,
                     megabytes / seconds / Double(engine.workers), engine.workers))
        for reject in rejects.rejects.prefix(5) {
            print("reject    line \(reject.line) \(reject.kind.rawValue): \(reject.message)")
        }
    }
}
