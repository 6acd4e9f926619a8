import Foundation
import SluiceCore
import SluiceEngine
import SluicePipelines
import SluiceSpark
import SluiceTestSupport

/// Runs a pipeline's job the way `sluice run … --out DIR` does (no database) and reads back
/// the files it wrote.
struct PipelineRun {
    var outcome: JobOutcome
    var directory: URL
    /// The job that ran, for its report.
    var job: Job

    /// The text of an output file, or "" when it was not written.
    func file(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    /// An output file without its header line.
    func rows(_ name: String) -> String {
        let text = file(name)
        guard let newline = text.firstIndex(of: "\n") else { return "" }
        return String(text[text.index(after: newline)...])
    }

    static func run<P: Pipeline>(_ pipeline: P.Type, _ parameters: P.Parameters, runtime: ExecutionRuntime,
                                 selection: Set<String>? = nil, spark: SparkSettings? = nil) throws -> PipelineRun {
        let directory = try TestSupport.temporaryDirectory()
        let job = try P.job(parameters, context: JobContext(runtime: runtime, database: nil))
        let settings = RunSettings(outputDirectory: directory.path, database: nil, selection: selection, spark: spark)
        let outcome = try PipelineRunner.run(job, pipeline: P.name, settings: settings, runtime: runtime)
        return PipelineRun(outcome: outcome, directory: directory, job: job)
    }
}
