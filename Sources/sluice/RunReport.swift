import Foundation
import Logging
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines

/// The one-screen summary after a run, the `--stats` table, and the rejects file.
enum RunReport {
    static func printSummary(_ result: PipelineResult, runtime: ExecutionRuntime, inputs: [String], outputs: [String], rejectsPath: String?) {
        let config = runtime.config
        var lines: [String] = []
        lines.append("sluice · \(result.pipeline) · done in \(Terminal.seconds(result.elapsedNanos))")
        for input in inputs { lines.append("  input     \(input)") }
        lines.append("  rows      \(Terminal.count(result.rowsRead)) read · \(Terminal.count(result.rowsPassed)) passed · \(Terminal.count(result.rowsRejected)) rejected")
        for output in outputs { lines.append("  output    \(output)") }
        let budget = config.memoryLimit.map(Terminal.bytes) ?? "unbounded"
        lines.append("  memory    budget \(budget) · pool peak \(Terminal.bytes(result.peakPoolBytes)) · process peak RSS \(Terminal.bytes(SystemInfo.peakResidentBytes))")
        let spilled = result.stages.reduce(0) { $0 + $1.spillBytes }
        lines.append("  workers   \(config.workers) · spilled \(Terminal.bytes(spilled)) in \(runtime.spill.filesWritten) file(s)")
        if let first = result.rejects.rejects.first {
            lines.append("  rejects   \(Terminal.count(result.rowsRejected)) → \(rejectsPath ?? "-") (first: line \(first.line), \(first.kind.rawValue): \(first.message))")
        }
        print(lines.joined(separator: "\n"))
        if !Terminal.stderrIsTerminal {
            let logger = Logger(label: "sluice")
            for stage in result.stages {
                logger.info("stage finished", metadata: [
                    "stage": "\(stage.id)", "tasks": "\(stage.tasks)", "rows_in": "\(stage.rowsIn)", "rows_out": "\(stage.rowsOut)",
                    "bytes_out": "\(stage.bytesOut)", "seconds": "\(Double(stage.wallNanos) / 1e9)", "peak_memory": "\(stage.peakMemory)",
                ])
            }
        }
    }

    static func printStages(_ stages: [StageMetrics]) {
        let header = ["stage", "tasks", "rows in", "rows out", "bytes out", "spilled", "time", "peak mem", "operators"]
        var rows: [[String]] = [header]
        for stage in stages {
            rows.append([
                "\(stage.id)", "\(stage.tasks)", Terminal.count(stage.rowsIn), Terminal.count(stage.rowsOut),
                Terminal.bytes(stage.bytesOut), Terminal.bytes(stage.spillBytes), Terminal.seconds(stage.wallNanos),
                Terminal.bytes(stage.peakMemory), stage.summary,
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : Terminal.pad(cell, widths[index], right: index > 0 && index < row.count - 1)
            }
            print("  " + cells.joined(separator: "  "))
        }
    }

    /// Writes the kept rejects to `DIR/rejects.csv`; returns its path, or nil when none.
    static func writeRejects(_ rejects: RejectSink, directory: String) throws -> String? {
        let kept = rejects.rejects
        guard !kept.isEmpty else { return nil }
        let schema = Schema([
            Field("source", .string), Field("line", .int64), Field("byte_offset", .int64), Field("column", .string),
            Field("kind", .string), Field("raw", .string), Field("message", .string),
        ])
        let batch = try RecordBatch(schema: schema, columns: [
            .string(kept.map(\.source)), .int64(kept.map { Int64($0.line) }), .int64(kept.map { Int64($0.byteOffset) }),
            .string(kept.map { $0.column ?? "" }), .string(kept.map(\.kind.rawValue)), .string(kept.map(\.raw)), .string(kept.map(\.message)),
        ])
        let path = (directory as NSString).appendingPathComponent("rejects.csv")
        try CSVFileSink.write([batch], schema: schema, to: path)
        return path
    }
}
