import Foundation
public import SluiceCore
public import SluiceEngine
import SluiceIO
import SluiceSpark
import Synchronization

/// A run's steps computed on Apache Spark (`--engine spark`): their plans compiled into one
/// Spark SQL script, run with `spark-sql`, and each step's result read back from the part files
/// as the frame the runner streams into the step's outputs — so the CSV files, the loads, the
/// ledger, the checks and the summary are the local run's, byte for byte.
///
/// Sources: a CSV file is read by Spark itself (``SparkCSV``); any other source (nested ZIP
/// archives, PostgreSQL tables) is read by Sluice, with its limits and rejects, and staged as a
/// file for Spark. Spark's rejects, per-file counts and observed figures go into the run's
/// reject sink and observations as the local engine would have put them.
enum SparkExecution {
    /// What a Spark run leaves for the runner: the steps' frames over Spark's results, and
    /// the staging folder to remove once the outputs are written.
    struct Prepared {
        var frames: [DataFrame]
        /// Steps Spark computed only as later steps' input: nothing of theirs to stream.
        var inputsOnly: Set<Int> = []
        var staging: String
        var keep: Bool

        func cleanUp() {
            guard !keep else { return }
            try? FileManager.default.removeItem(atPath: staging)
        }
    }

    /// Runs the steps that `dispositions` says run (their `frames` with inlined producers) on
    /// Spark and returns the frames to stream instead.
    static func run(_ job: Job, dispositions: [StepDisposition], frames: [DataFrame], settings: SparkSettings, runtime: ExecutionRuntime) throws -> Prepared {
        let staging = settings.staging.map { ($0 as NSString).appendingPathComponent("sluice-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64(Date().timeIntervalSince1970 * 1000))") }
            ?? (runtime.config.temporaryDirectory as NSString).appendingPathComponent("sluice-spark-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64(Date().timeIntervalSince1970 * 1000))")
        // Spark runs in the staging folder, so every path it is given is absolute.
        let absolute = staging.hasPrefix("/") ? staging : FileManager.default.currentDirectoryPath + "/" + staging
        var prepared = Prepared(frames: frames, staging: absolute, keep: settings.keepStaging)
        let running = job.steps.indices.filter { dispositions[$0] == .run }
        let steps = running.map { job.sparkStep($0, frame: frames[$0]) }
        do {
            let script = try SparkJobCompiler.compile(steps, staging: absolute, rejects: runtime.rejects) { source, path in
                let frame = DataFrame(source)
                try SparkStagedInput.write(frame, to: path, runtime: runtime)
                return try frame.schema()
            }
            let progress = runtime.progress
            try SparkRunner.run(script, settings: settings, staging: absolute, runtime: runtime) { report in
                progress.externalStage.store(report.stage, ordering: .relaxed)
                progress.externalTasksDone.store(report.done, ordering: .relaxed)
                progress.externalTasksTotal.store(report.total, ordering: .relaxed)
            }
            progress.externalTasksTotal.store(0, ordering: .relaxed)
            try SparkOutcome.apply(script, staging: absolute, runtime: runtime)
            for (position, index) in running.enumerated() {
                guard steps[position].writes else {
                    prepared.inputsOnly.insert(index)
                    continue
                }
                guard let output = script.outputs.first(where: { $0.kind == .result(step: steps[position].name) }) else { continue }
                let source = try SparkResultSource(files: try SparkRunner.partFiles(output, staging: absolute), schema: output.schema,
                                                   name: "spark:\(steps[position].name)")
                prepared.frames[index] = DataFrame(source)
            }
        } catch {
            prepared.cleanUp()
            throw error
        }
        return prepared
    }
}

extension Job {
    /// The Spark SQL script a run of this job with `--engine spark` would run (`sluice explain
    /// <pipeline> --spark`): inputs Spark cannot read appear as the staged files they would be.
    /// - Throws: a plan error naming what has no Spark form.
    public func sparkScript(selection: Set<String>? = nil, staging: String = "<staging>") throws -> String {
        let (dispositions, frames) = try StepDisposition.plan(self, outputDirectory: "", hasDatabase: true, selection: selection)
        let steps = self.steps.indices.filter { dispositions[$0] == .run }.map { sparkStep($0, frame: frames[$0]) }
        let script = try SparkJobCompiler.compile(steps, staging: staging) { source, _ in source.schema }
        return script.text(staging: staging)
    }

    /// Step `index` as the Spark compiler takes it, over `frame` (its plan with inlined producers).
    func sparkStep(_ index: Int, frame: DataFrame) -> SparkStep {
        let step = steps[index]
        let feeds = step.outputs.compactMap { output -> (any TableSource)? in if case .feeds(let result) = output { result } else { nil } }
        return SparkStep(name: step.name, plan: frame.plan, schema: step.schema, feeds: feeds, writes: feeds.count < step.outputs.count)
    }
}
