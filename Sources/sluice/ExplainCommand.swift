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

    @Option(name: .customLong("select"), help: ArgumentHelp("Explain the run that writes only this output (as `run --select`); repeat for more.",
                                                          valueName: "output"))
    var select: [String] = []

    @Flag(help: "Print the Spark SQL script a run with --engine spark would run, instead of the local plan.")
    var spark = false

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
        if spark {
            print(try job.sparkScript(selection: select.isEmpty ? nil : Set(select)), terminator: "")
            return
        }
        let steps = try job.plannedSteps(selection: select.isEmpty ? nil : Set(select))
        for (index, step) in steps.enumerated() {
            if steps.count > 1 { print("\(index > 0 ? "\n" : "")result \(index + 1): \(step.name)" + (step.note.map { " (\($0))" } ?? "")) }
            if let frame = step.frame { print(try frame.explain(config: config)) }
        }
    }
}
