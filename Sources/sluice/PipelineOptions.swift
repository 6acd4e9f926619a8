import ArgumentParser
import SluiceCore
import SluicePipelines
import SluicePostgres

/// The options of one pipeline's `run` subcommand: the only part of the CLI a pipeline adds.
/// Everything else — engine, database and output options, the run, the summary — is
/// ``RunPipelineCommand``'s, the same for every pipeline.
protocol PipelineOptions: ParsableArguments {
    associatedtype Definition: Pipeline
    /// The run's parameters from the parsed options.
    func parameters() throws -> Definition.Parameters
}

/// `--out DIR`: where CSV outputs and rejects.csv go.
struct OutputOptions: ParsableArguments {
    @Option(help: "Write the CSV outputs and rejects.csv into this folder (for some pipelines the default is a folder of its own).")
    var out: String?

    @Option(name: .customLong("select"), help: ArgumentHelp(
        "Write only this output (a CSV file, with or without .csv, or a table); repeat for more. Steps that then only feed another are computed inside it, in one pass.",
        valueName: "output"))
    var select: [String] = []

    /// The `--select` names, or nil when none was given (every output).
    var selection: Set<String>? { select.isEmpty ? nil : Set(select) }
}

/// Table-name options are checked while the command line is parsed, so a bad name is one
/// line and exit 2.
enum TableNameOption {
    static func validate(_ text: String, option: String) throws {
        do {
            _ = try QualifiedName(parsing: text)
        } catch {
            throw ValidationError("\(option) '\(text)': \(error.message)")
        }
    }
}

/// Pipelines that read one file take it as `--source PATH` or as the one positional
/// argument (the original tasks' interface and the shorter form).
enum SingleInputOption {
    /// Checks that exactly one of the two forms names one file.
    static func validate(source: String?, inputs: [String], pipeline: String, what: String) throws {
        guard source != nil || !inputs.isEmpty else { throw ValidationError("give \(what) with --source PATH") }
        guard (source == nil ? 0 : 1) + inputs.count == 1 else { throw ValidationError("\(pipeline) takes exactly one input file") }
    }

    /// The file named, once ``validate(source:inputs:pipeline:what:)`` has passed.
    static func path(source: String?, inputs: [String]) -> String {
        source ?? inputs.first ?? ""
    }
}
