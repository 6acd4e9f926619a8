import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines

/// `sluice run <pipeline> …`
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline.",
        subcommands: [RunTransactions.self, RunEcommerce.self]
    )
}

/// `sluice run transactions --source PATH [--out DIR]`
struct RunTransactions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "Favourite product and longest purchase streak per customer.",
        discussion: "Input: transactionId|custId|transactionDate|productSold|unitsSold (pipe or comma). Writes OUT/customers.csv sorted by customer_id."
    )

    @Option(help: "The transactions CSV file.")
    var source: String?

    @Argument(help: "The transactions CSV file (instead of --source).")
    var inputs: [String] = []

    @Option(help: "Output directory for customers.csv (and rejects.csv).")
    var out: String = "out"

    @Option(help: "Field delimiter: , | ; or tab (default: detected).")
    var delimiter: String?

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard source != nil || !inputs.isEmpty else { throw ValidationError("give the input file with --source PATH") }
        guard (source == nil ? 0 : 1) + inputs.count == 1 else { throw ValidationError("transactions takes exactly one input file") }
        if let delimiter, CSVDialect.delimiter(named: delimiter) == nil { throw ValidationError("--delimiter must be one character or 'tab'") }
    }

    func run() throws {
        let path = source ?? inputs[0]
        let runtime = ExecutionRuntime(config: engine.config)
        let session = RunSession(runtime: runtime, showProgress: !engine.noProgress)
        let result = try session.run {
            try TransactionsPipeline.run(path: path, runtime: runtime, rejects: engine.rejectSink(),
                                         delimiter: delimiter.flatMap(CSVDialect.delimiter(named:)))
        }
        let output = (out as NSString).appendingPathComponent("customers.csv")
        try CSVFileSink.write(result.batches, schema: result.schema, to: output)
        let rejectsPath = try RunReport.writeRejects(result.rejects, directory: out)
        RunReport.printSummary(result, runtime: runtime, inputs: [path], outputs: ["\(Terminal.count(result.rowCount)) customers → \(output)"],
                               rejectsPath: rejectsPath)
        if engine.stats { RunReport.printStages(result.stages) }
    }
}

/// Runs a job with the progress bar and SIGINT / SIGTERM handling around it.
struct RunSession {
    let runtime: ExecutionRuntime
    let showProgress: Bool

    func run<T>(_ body: () throws -> T) throws -> T {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let cancellation = runtime.cancellation
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancellation.cancel(number == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)") }
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
