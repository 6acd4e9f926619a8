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
        try SingleInputOption.validate(source: source, inputs: inputs, pipeline: "transactions", what: "the input file")
        if let delimiter, CSVDialect.delimiter(named: delimiter) == nil { throw ValidationError("--delimiter '\(delimiter)' cannot separate fields: give , | ; tab or another punctuation character") }
        try TableNameOption.validate(table, option: "--table")
    }

    func parameters() throws -> TransactionsPipeline.Parameters {
        TransactionsPipeline.Parameters(source: SingleInputOption.path(source: source, inputs: inputs), delimiter: delimiter.flatMap(CSVDialect.delimiter(named:)),
                                        table: try QualifiedName(parsing: table), maxQuotedLines: csv.maxQuotedLines)
    }
}
