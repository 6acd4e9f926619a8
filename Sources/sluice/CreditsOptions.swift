import ArgumentParser
import SluicePipelines
import SluicePostgres

/// `sluice run credits --source PATH [--table NAME]`
struct CreditsOptions: PipelineOptions {
    typealias Definition = CreditsPipeline

    @Option(help: "The credits log (org_id,user_id,credit_type,action,credits,timestamp).")
    var source: String?

    @Argument(help: "The credits log (instead of --source).")
    var inputs: [String] = []

    @Option(help: "Table for the events.")
    var table: String = "credit_events"

    @OptionGroup var csv: CSVReadOptions

    func validate() throws {
        try SingleInputOption.validate(source: source, inputs: inputs, pipeline: "credits", what: "the credits log")
        try TableNameOption.validate(table, option: "--table")
    }

    func parameters() throws -> CreditsPipeline.Parameters {
        CreditsPipeline.Parameters(source: SingleInputOption.path(source: source, inputs: inputs), table: try QualifiedName(parsing: table), maxQuotedLines: csv.maxQuotedLines)
    }
}

/// `sluice generate credits --rows N --orgs O --users U --seed S --out FILE`
struct CreditsSampleOptions: PipelineSampleOptions {
    typealias Definition = CreditsPipeline
    static let abstract = "A credits log with the seed file's messiness: every timestamp form and garbage ones, blanks, duplicates, padding."
    static let discussion = ""

    @Option(help: "Rows to write (suffixes k, M accepted: 10M).")
    var rows: String = "100k"

    @Option(help: "Organisations (org_000 …).")
    var orgs: Int = 10

    @Option(help: "Users (user_000 …), spread over the organisations.")
    var users: Int = 20

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    func validate() throws {
        guard RowCount.parse(rows) != nil else { throw ValidationError("--rows '\(rows)' is not a count like 10M") }
        guard orgs >= 1, users >= 1 else { throw ValidationError("--orgs and --users must be at least 1") }
    }

    func sample() -> CreditsGenerator {
        CreditsGenerator(rows: RowCount.parse(rows) ?? 0, orgs: orgs, users: users, seed: seed)
    }
}
