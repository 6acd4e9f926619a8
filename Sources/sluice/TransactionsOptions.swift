import ArgumentParser
import SluiceIO
import SluicePipelines
import SluicePostgres

/// `sluice run transactions --source PATH [--table NAME] [--delimiter C]`
struct TransactionsOptions: PipelineOptions {
    typealias Definition = TransactionsPipeline

    @Option(help: "The transactions CSV file.")
    var source: String?

    @Argument(help: "The transactions CSV file (instead of --source).")
    var inputs: [String] = []

    @Option(help: "Table to upsert into.")
    var table: String = "customers"

    @Option(help: "Field delimiter: , | ; or tab (default: detected).")
    var delimiter: String?

    @OptionGroup var csv: CSVReadOptions

    func validate() throws {
        guard source != nil || !inputs.isEmpty else { throw ValidationError("give the input file with --source PATH") }
        guard (source == nil ? 0 : 1) + inputs.count == 1 else { throw ValidationError("transactions takes exactly one input file") }
        if let delimiter, CSVDialect.delimiter(named: delimiter) == nil { throw ValidationError("--delimiter '\(delimiter)' cannot separate fields: give , | ; tab or another punctuation character") }
        try TableNameOption.validate(table, option: "--table")
    }

    func parameters() throws -> TransactionsPipeline.Parameters {
        TransactionsPipeline.Parameters(source: source ?? inputs[0], delimiter: delimiter.flatMap(CSVDialect.delimiter(named:)),
                                        table: try QualifiedName(parsing: table), maxQuotedLines: csv.maxQuotedLines)
    }
}
