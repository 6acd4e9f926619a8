import ArgumentParser
import SluiceCore
import SluiceEngine
import SluicePipelines

/// `sluice explain <pipeline>`: each result's physical plan with its stages and exchanges,
/// for every pipeline, over its declared inputs (nothing is read).
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Print a pipeline's physical plan: stages, shuffles and operators."
    )

    @Argument(help: ArgumentHelp("The pipeline: \(PipelineCatalog.names.joined(separator: ", ")).", valueName: "pipeline"))
    var pipeline: String

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard PipelineCatalog.named(pipeline) != nil else {
            throw ValidationError("unknown pipeline '\(pipeline)'; known: \(PipelineCatalog.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        guard let definition = PipelineCatalog.named(pipeline) else { return }
        let config = try engine.config()
        let job = try definition.declaredJob(config: config)
        for (index, step) in job.steps.enumerated() {
            if job.steps.count > 1 { print("\(index > 0 ? "\n" : "")result \(index + 1): \(step.name)") }
            print(try step.frame.explain(config: config))
        }
    }
}
