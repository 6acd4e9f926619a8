import ArgumentParser
import SluiceIO
import SluicePipelines
import SluicePostgres

/// `sluice run customers --source PATH... [--table NAME] [--date-format FORM] [--force]`
struct CustomersOptions: PipelineOptions {
    typealias Definition = CustomersPipeline

    @Option(help: "Customer files, folders or glob patterns (CSV or JSON); repeat for more.")
    var source: [String] = []

    @Argument(help: "Customer files, folders or glob patterns (instead of --source).")
    var inputs: [String] = []

    @Option(help: "Table to upsert into (its quarantine is <table>_quarantine).")
    var table: String = "customers"

    @Option(name: .customLong("date-format"), help: "subscription_date form for a file whose values all read both day-first and month-first: day-first or month-first (each file's form is otherwise inferred from all its values).")
    var dateFormat: String?

    @Flag(help: "Load files even when a file with the same sha-256 was already loaded.")
    var force = false

    @OptionGroup var csv: CSVReadOptions

    func validate() throws {
        guard !(source + inputs).isEmpty else { throw ValidationError("give the customer files with --source PATH") }
        try TableNameOption.validate(table, option: "--table")
        if let dateFormat, ![CustomerDateFormat.dayFirst, .monthFirst].contains(CustomerDateFormat(rawValue: dateFormat)) {
            throw ValidationError("--date-format '\(dateFormat)' is not day-first or month-first (it decides only files whose dates read both ways)")
        }
    }

    func parameters() throws -> CustomersPipeline.Parameters {
        CustomersPipeline.Parameters(sources: source + inputs, table: try QualifiedName(parsing: table),
                                     dateFormat: dateFormat.flatMap(CustomerDateFormat.init(rawValue:)), force: force,
                                     maxQuotedLines: csv.maxQuotedLines)
    }
}

/// `sluice generate customers --rows N --seed S --out FILE [--format csv|json|ndjson] [--mess LEVEL]`
struct CustomersSampleOptions: PipelineSampleOptions {
    typealias Definition = CustomersPipeline
    static let abstract = "Partner customer files in customers-100.csv's shape, with optional mess (duplicates, bad e-mails and dates, shifted rows, stripped zeros, CRLF)."
    static let discussion = ""

    @Option(help: "Rows to write (suffixes k, M accepted: 5M).")
    var rows: String = "100k"

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    @Option(help: "csv, json (one array) or ndjson.")
    var format: String = "csv"

    @Option(help: "Mess level 0–3: 0 clean, 1 about 5% of rows messy, 2 about 15%, 3 about half.")
    var mess: Int = 0

    func validate() throws {
        guard RowCount.parse(rows) != nil else { throw ValidationError("--rows '\(rows)' is not a count like 5M") }
        guard CustomersGenerator.Format(rawValue: format) != nil else { throw ValidationError("--format must be csv, json or ndjson") }
        guard (0...3).contains(mess) else { throw ValidationError("--mess must be between 0 and 3") }
    }

    func sample() -> CustomersGenerator {
        CustomersGenerator(rows: RowCount.parse(rows) ?? 0, seed: seed, format: CustomersGenerator.Format(rawValue: format) ?? .csv, mess: mess)
    }
}
