import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluicePostgres

/// `sluice run <pipeline> …`
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline.",
        subcommands: [RunTransactions.self, RunEcommerce.self]
    )
}

/// `sluice run transactions --source PATH [--database NAME --table NAME] [--out DIR]`
struct RunTransactions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "Favourite product and longest purchase streak per customer.",
        discussion: """
        Input: transactionId|custId|transactionDate|productSold|unitsSold (pipe or comma). Upserts table customers(customer_id text \
        primary key, favourite_product text, longest_streak int) in PostgreSQL; with only --out, writes OUT/customers.csv instead.
        """
    )

    @Option(help: "The transactions CSV file.")
    var source: String?

    @Argument(help: "The transactions CSV file (instead of --source).")
    var inputs: [String] = []

    @Option(help: "Table to upsert into.")
    var table: String = "customers"

    @Option(help: "Also (or, without database options, only) write OUT/customers.csv and OUT/rejects.csv.")
    var out: String?

    @Option(help: "Field delimiter: , | ; or tab (default: detected).")
    var delimiter: String?

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard source != nil || !inputs.isEmpty else { throw ValidationError("give the input file with --source PATH") }
        guard (source == nil ? 0 : 1) + inputs.count == 1 else { throw ValidationError("transactions takes exactly one input file") }
        if let delimiter, CSVDialect.delimiter(named: delimiter) == nil { throw ValidationError("--delimiter must be one character or 'tab'") }
        _ = try QualifiedName(parsing: table)
    }

    /// Loads into PostgreSQL unless only --out was given.
    var loadsDatabase: Bool { out == nil || database.given }

    func run() throws {
        let path = source ?? inputs[0]
        let runtime = ExecutionRuntime(config: engine.config)
        let session = RunSession(runtime: runtime, showProgress: !engine.noProgress)
        let compute = {
            try session.run {
                try TransactionsPipeline.run(path: path, runtime: runtime, rejects: engine.rejectSink(),
                                             delimiter: delimiter.flatMap(CSVDialect.delimiter(named:)))
            }
        }
        var result: PipelineResult
        var outputs: [String] = []
        if loadsDatabase {
            let target = try database.target()
            let tableName = try QualifiedName(parsing: table)
            let load = DatabaseLoad(target: target, job: "transactions", parameters: "source=\(path) table=\(tableName)",
                                    fingerprint: DatabaseLoad.fingerprint(of: [path]))
            var computed: PipelineResult?
            let outcome = try load.run(onWait: { Terminal.err("waiting for another run of transactions to finish…\n") }) {
                let result = try compute()
                computed = result
                let target = TargetTable(name: tableName, schema: result.schema, key: ["customer_id"], types: ["longest_streak": "integer"])
                return ([(target, result.batches)], result, runtime.spill.filesWritten, [])
            }
            guard let computed else { throw SluiceError.internal("the load finished without a result") }
            result = computed
            outputs += RunReport.loadLines(outcome, target: target)
        } else {
            result = try compute()
        }
        if let out {
            let output = (out as NSString).appendingPathComponent("customers.csv")
            try CSVFileSink.write(result.batches, schema: result.schema, to: output)
            outputs.append("\(Terminal.count(result.rowCount)) customers → \(output)")
        } else {
            outputs.insert("\(Terminal.count(result.rowCount)) customers", at: 0)
        }
        let rejectsPath = try out.flatMap { try RunReport.writeRejects(result.rejects, directory: $0) }
        RunReport.printSummary(result, runtime: runtime, inputs: [path], outputs: outputs, rejectsPath: rejectsPath ?? (loadsDatabase ? "sluice_rejects" : nil))
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
