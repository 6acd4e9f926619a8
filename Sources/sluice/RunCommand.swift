import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluicePostgres
import Synchronization

/// `sluice run <pipeline> …`
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline.",
        subcommands: [RunPipelineCommand<TransactionsOptions>.self, RunPipelineCommand<EcommerceOptions>.self, RunPipelineCommand<CreditsOptions>.self,
                      RunPipelineCommand<CustomersOptions>.self, RunPipelineCommand<SalesOptions>.self]
    )
}

/// `sluice run <name> [the pipeline's options] [--out DIR] [--db URL] [engine options]`: the
/// same command for every pipeline, built from its declaration and its own options.
///
/// Where results go: CSV files into `--out` (or the pipeline's default folder); PostgreSQL
/// when a database option is given, when the pipeline reads from the database, or when
/// there is nowhere else to write (no `--out` and no default folder).
struct RunPipelineCommand<Options: PipelineOptions>: ParsableCommand {
    typealias Definition = Options.Definition

    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Definition.name, abstract: Definition.summary, discussion: Definition.details)
    }

    @OptionGroup var options: Options
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var spark: SparkOptions

    func run() throws {
        let parameters = try options.parameters()
        let config = try engine.config()
        let runtime = ExecutionRuntime(config: config, rejects: engine.rejectSink())
        let directory = output.out ?? Definition.defaultOutputDirectory
        let usesDatabase = database.given || Definition.readsDatabase(parameters) || directory == nil
        let target = usesDatabase ? try database.target(defaultDatabase: Definition.privateDatabase) : nil
        let session = RunSession(runtime: runtime, showProgress: !engine.noProgress)
        let (job, outcome) = try session.run {
            let job = try Definition.job(parameters, context: JobContext(runtime: runtime, database: target))
            let settings = RunSettings(outputDirectory: directory, database: target, selection: output.selection, spark: try spark.settings(), onWait: {
                Terminal.err("waiting for another run of \(Definition.name) to finish…\n")
            })
            return (job, try PipelineRunner.run(job, pipeline: Definition.name, settings: settings, runtime: runtime))
        }
        RunReport.printSummary(outcome, job: job, runtime: runtime, target: target, directory: directory)
        if engine.stats { RunReport.printStages(outcome.stages) }
        // Part of the run failed (an input file) while the rest committed: exit 1 with it.
        if let failure = outcome.failure { throw failure.error }
    }
}

/// Runs a job with the progress bar and signal handling around it: SIGINT, SIGTERM, SIGHUP
/// and SIGQUIT cancel the run (its load rolls back, its spill files go), and the process then
/// exits 128 + the signal's number.
struct RunSession {
    let runtime: ExecutionRuntime
    let showProgress: Bool

    /// The signal that cancelled the run, or 0.
    static let receivedSignal = Atomic<Int32>(0)

    static let names: [Int32: String] = [SIGINT: "interrupted (SIGINT)", SIGTERM: "terminated (SIGTERM)", SIGHUP: "hung up (SIGHUP)",
                                          SIGQUIT: "quit (SIGQUIT)"]

    func run<T>(_ body: () throws -> T) throws -> T {
        let cancellation = runtime.cancellation
        let sources = [SIGINT, SIGTERM, SIGHUP, SIGQUIT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                _ = Self.receivedSignal.compareExchange(expected: 0, desired: number, ordering: .relaxed)
                cancellation.cancel(Self.names[number] ?? "signal \(number)")
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        let bar = ProgressBar(progress: runtime.progress)
        bar.start(enabled: showProgress && Terminal.stderrIsTerminal)
        defer { bar.stop() }
        return try body()
    }
}
