public import SluiceCore

/// Something a plan can scan: a file, a set of archive entries, a database table, batches in
/// memory. Sources live in the layers above the engine (SluiceIO, SluicePostgres); the engine
/// only asks for a schema, a partition count and a stream per partition.
public protocol TableSource: AnyObject, Sendable {
    /// The operator name EXPLAIN prints (`CSVScan`, `MemoryScan`).
    var scanName: String { get }
    /// What is scanned, for EXPLAIN and error messages (a path, a table).
    var displayName: String { get }
    var schema: Schema { get }
    /// How many partitions the scan has under `config` (splits, archive entries, …).
    func partitionCount(config: ExecutionConfig) -> Int
    /// Work before the scan's stage starts (for example finding record boundaries), which
    /// may use the worker pool. Called once per run.
    func prepare(runtime: ExecutionRuntime) throws(SluiceError)
    /// Opens partition `partition`, producing only the columns at `projection` (indices into
    /// `schema`, in that order).
    func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream
    /// The bytes the scan reads, when known before it runs (a file's size); the planner
    /// sizes shuffles by it. Nil when unknown.
    var estimatedBytes: Int? { get }
}

extension TableSource {
    public func prepare(runtime: ExecutionRuntime) throws(SluiceError) {}

    public var estimatedBytes: Int? { nil }

    /// Whether the planner may push `nullIfEmpty(trim(c))` into this source's scan.
    var acceptsTrimPushdown: Bool { (self as? any TrimmingTableSource)?.trimsWhileParsing ?? false }
}

extension TrimmingTableSource {
    public var trimsWhileParsing: Bool { true }
}

/// A source that can trim text fields and read a blank one as null while it parses them, so
/// the cleaning every messy-input pipeline starts with, `nullIfEmpty(trim(c))`, costs no pass
/// of its own over the column (the planner pushes it down: see ``ScanCleaning``).
public protocol TrimmingTableSource: TableSource {
    /// False for a source that only sometimes can (a stand-in for explain that names the
    /// source it stands for).
    var trimsWhileParsing: Bool { get }
    /// Opens partition `partition` like ``TableSource/open(partition:projection:context:)``,
    /// with each text column in `trimmed` (indices into `schema`) trimmed as `trim()` does
    /// (``TextTrim``) and made null when nothing is left.
    func open(partition: Int, projection: [Int], trimmed: Set<Int>, context: TaskContext) throws(SluiceError) -> any BatchStream
}

/// A table held in memory as batches, one partition per batch group; for tests, small
/// dimension tables and results fed back into a plan.
public final class MemoryTable: TableSource {
    public let schema: Schema
    public let partitions: [[RecordBatch]]
    public let displayName: String

    /// - Parameter partitions: the batches of each partition, all with `schema`.
    public init(schema: Schema, partitions: [[RecordBatch]], name: String = "memory") {
        self.schema = schema
        self.partitions = partitions.isEmpty ? [[]] : partitions
        self.displayName = name
    }

    /// A one-partition table of `batches`.
    public convenience init(_ batches: [RecordBatch], schema: Schema, name: String = "memory") {
        self.init(schema: schema, partitions: [batches], name: name)
    }

    public var scanName: String { "MemoryScan" }
    public func partitionCount(config: ExecutionConfig) -> Int { partitions.count }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        MemoryBatchStream(partitions[partition].map { $0.project(projection) })
    }
}
