public import SluiceCore
public import SluiceEngine
public import SluicePostgres

/// One pipeline, declared once: its name and what it does, how a run's parameters become a
/// ``Job`` (its sources, plan, outputs, checks), and the plan over declared inputs that
/// `explain` prints. The CLI, the summary, `--stats`, the progress display, the ledger and
/// the loads are generic over it (``PipelineRunner``); adding a pipeline is one file that
/// conforms to this protocol, its tests, and the CLI struct of its own options.
///
/// ```swift
/// enum WordCount: Pipeline {
///     struct Parameters: Sendable { var source: String }
///     static let name = "wordcount"
///     static let summary = "Words per file."
///     static func job(_ p: Parameters, context: JobContext) throws -> Job { … }
///     static func declaredJob(config: ExecutionConfig) throws -> Job { … }
/// }
/// ```
public protocol Pipeline: SendableMetatype {
    /// What one run is given (paths, table names, policies), parsed by the CLI.
    associatedtype Parameters: Sendable
    /// The settings of the pipeline's generator (sizes, seed): `sluice generate <name>`.
    associatedtype Sample: Sendable

    /// The name users type: `sluice run <name>`.
    static var name: String { get }
    /// One line: what the pipeline computes.
    static var summary: String { get }
    /// A paragraph: inputs, outputs, where they go.
    static var details: String { get }
    /// The database a run uses on the private cluster when none is named, so the tables of
    /// different pipelines (three of them call one `customers`) never meet.
    static var privateDatabase: String { get }
    /// Where CSV outputs go when no `--out` is given (nil: written only with `--out`).
    static var defaultOutputDirectory: String? { get }

    /// The tables and views `sluice serve` publishes (``ServedTable``); none by default.
    static var served: [ServedTable] { get }

    /// True when the run reads from PostgreSQL (dimension tables), so it needs a database
    /// even when its results only go to files.
    static func readsDatabase(_ parameters: Parameters) -> Bool

    /// Opens and checks the run's sources and builds its plan; reads no data yet.
    /// - Throws: a `.configuration` error for a missing input or table, a `.data` error for
    ///   an input that cannot be read as the pipeline needs (a wrong header, join keys of
    ///   types that cannot meet), naming the file or table.
    static func job(_ parameters: Parameters, context: JobContext) throws -> Job

    /// The same plan over declared, unread inputs, for `sluice explain`.
    /// - Throws: a `.plan` error when the plan itself is wrong (a bug in the pipeline).
    static func declaredJob(config: ExecutionConfig) throws -> Job

    /// Writes deterministic sample input in the original task's shape to `destination` (a
    /// file or a folder, as the pipeline reads it), using up to `workers` threads; the same
    /// settings give the same bytes.
    static func generate(_ sample: Sample, to destination: String, workers: Int) throws -> GeneratedSample
}

/// What a generator wrote.
public struct GeneratedSample: Sendable {
    public var files: [String]
    /// Rows (or events) written.
    public var rows: Int
    public var bytes: Int
    /// One phrase on what the rows are (`for 100,000 customers and 12 products`).
    public var description: String

    public init(files: [String], rows: Int, bytes: Int, description: String) {
        self.files = files
        self.rows = rows
        self.bytes = bytes
        self.description = description
    }
}

extension Pipeline {
    public static var privateDatabase: String { "sluice" }
    public static var defaultOutputDirectory: String? { nil }
    public static func readsDatabase(_ parameters: Parameters) -> Bool { false }
}

/// What building a job may use: the run's runtime (its rejects, budget, workers) and the
/// database, when the run has one.
public struct JobContext {
    public let runtime: ExecutionRuntime
    public let database: DatabaseTarget?

    public init(runtime: ExecutionRuntime, database: DatabaseTarget?) {
        self.runtime = runtime
        self.database = database
    }

    /// The database, or a configuration error saying what needs one.
    public func requireDatabase(for what: String) throws(SluiceError) -> DatabaseTarget {
        guard let database else {
            throw SluiceError(.configuration, "\(what) needs a database", hint: "give --db URL, or the CSV files instead")
        }
        return database
    }
}

/// Every pipeline Sluice ships, for the commands that are generic over all of them
/// (`explain`, `runs`).
public enum PipelineCatalog {
    /// Every pipeline, in the order the CLI lists them.
    public static let all: [any Pipeline.Type] = [TransactionsPipeline.self, EcommercePipeline.self, CreditsPipeline.self, CustomersPipeline.self,
                                                   SalesPipeline.self]

    /// The pipeline users call `name`, or nil.
    public static func named(_ name: String) -> (any Pipeline.Type)? {
        all.first { $0.name == name }
    }

    /// The names users can type.
    public static var names: [String] { all.map { $0.name } }
}
