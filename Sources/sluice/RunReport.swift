import Foundation
import Logging
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluicePostgres

/// The one-screen summary after a run and the `--stats` table, the same for every pipeline.
enum RunReport {
    static func printSummary(_ outcome: JobOutcome, job: Job, runtime: ExecutionRuntime, target: DatabaseTarget?, directory: String?) {
        let config = runtime.config
        var lines: [String] = []
        lines.append("sluice · \(outcome.pipeline) · done in \(Terminal.seconds(outcome.elapsedNanos))")
        for input in job.inputs { lines.append("  input     \(input)") }
        var rows = "  rows      \(Terminal.count(outcome.rowsRead)) read · \(Terminal.count(outcome.rowsPassed)) passed · \(Terminal.count(outcome.rowsRejected)) rejected"
        if outcome.rowsApart > 0 { rows += " · \(Terminal.count(outcome.rowsApart)) counted apart" }
        lines.append(rows)
        for output in outputLines(outcome, job: job, target: target) { lines.append("  output    \(output)") }
        let budget = config.memoryLimit.map(Terminal.bytes) ?? "unbounded"
        lines.append("  memory    budget \(budget) · pool peak \(Terminal.bytes(outcome.peakPoolBytes)) · process peak RSS \(Terminal.bytes(SystemInfo.peakResidentBytes))")
        lines.append("  workers   \(config.workers) · spilled \(Terminal.bytes(outcome.spillBytes)) in \(outcome.spillFiles) file(s)")
        if let first = try? outcome.rejects.firstRejects(1).first {
            let place = directory.map { ($0 as NSString).appendingPathComponent("rejects.csv") } ?? (target != nil ? "sluice_rejects" : "-")
            let also = directory != nil && target != nil ? " and sluice_rejects" : ""
            lines.append("  rejects   \(Terminal.count(outcome.rejects.totalRejected)) → \(place)\(also) (first: line \(first.line), \(first.kind.rawValue): \(first.message))")
        }
        for note in outcome.notes { lines.append("  note      \(note)") }
        print(lines.joined(separator: "\n"))
        if !Terminal.stderrIsTerminal {
            let logger = Logger(label: "sluice")
            for stage in outcome.stages {
                logger.info("stage finished", metadata: [
                    "stage": "\(stage.id)", "tasks": "\(stage.tasks)", "rows_in": "\(stage.rowsIn)", "rows_out": "\(stage.rowsOut)",
                    "bytes_out": "\(stage.bytesOut)", "seconds": "\(Double(stage.wallNanos) / 1e9)", "peak_memory": "\(stage.peakMemory)",
                ])
            }
        }
    }

    /// Per step: its rows and the files it wrote; then the tables loaded; then the
    /// pipeline's own lines.
    static func outputLines(_ outcome: JobOutcome, job: Job, target: DatabaseTarget?) -> [String] {
        var lines: [String] = []
        for (step, rows) in outcome.stepRows where !outcome.skippedSteps.contains(step) {
            let files = outcome.files.filter { $0.step == step }.map(\.path)
            let written: String
            switch files.count {
            case 0: written = ""
            case 1...2: written = " → " + files.joined(separator: ", ")
            default:
                let folder = (files[1] as NSString).deletingLastPathComponent
                written = " → \(files[0]), \(files.count - 1) files in \(folder)"
            }
            lines.append("\(Terminal.count(rows)) \(step) rows\(written)")
        }
        lines += job.report(outcome).lines
        for (table, load) in outcome.loads {
            lines.append("\(table) ← \(Terminal.count(load.staged)) rows: \(Terminal.count(load.inserted)) inserted · \(Terminal.count(load.updated)) updated · \(Terminal.count(load.unchanged)) unchanged · \(Terminal.count(load.deleted)) deleted")
        }
        if let runID = outcome.runID, let target {
            let place = target.isPrivateCluster ? "private cluster .sluice/postgres" : target.url.redacted
            lines.append("run \(runID) recorded in sluice_runs (\(place))")
        }
        return lines
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
}
