import ArgumentParser
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines

/// `sluice explain <pipeline>`: the physical plan with its stages and exchanges.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Print a pipeline's physical plan: stages, shuffles and operators."
    )

    @Argument(help: "The pipeline: transactions.")
    var pipeline: String

    @Option(help: "An input file, to show its real splits (default: a declared input).")
    var source: String?

    @OptionGroup var engine: EngineOptions

    func run() throws {
        switch pipeline {
        case TransactionsPipeline.name:
            let input: any TableSource
            if let source {
                input = try CSVSource(path: source, options: TransactionsPipeline.csvOptions())
            } else {
                input = DeclaredSource(name: "<transactions file>", schema: Schema(TransactionsPipeline.inputColumns.map {
                    Field($0, TransactionsPipeline.csvOptions().columnTypes[$0] ?? .string)
                }), scanName: "CSVScan")
            }
            print(try TransactionsPipeline.frame(input).explain(config: engine.config))
        default:
            throw ValidationError("unknown pipeline '\(pipeline)'; known: \(TransactionsPipeline.name)")
        }
    }
}
