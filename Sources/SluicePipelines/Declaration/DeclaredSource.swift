public import SluiceCore
public import SluiceEngine

/// A source known only by its schema, for `explain` without an input file: it plans like
/// the real source (one partition per split, two splits per worker) but cannot be read.
public final class DeclaredSource: TrimmingTableSource {
    public let displayName: String
    public let schema: Schema
    public let scanName: String

    public init(name: String, schema: Schema, scanName: String) {
        self.displayName = name
        self.schema = schema
        self.scanName = scanName
    }

    public func partitionCount(config: ExecutionConfig) -> Int { config.workers * 2 }

    /// A CSV file's stand-in shows the cleaning its scan would do.
    public var trimsWhileParsing: Bool { scanName == "CSVScan" }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        throw SluiceError.plan("\(displayName) is a declared input for explain; it cannot be read")
    }

    public func open(partition: Int, projection: [Int], trimmed: Set<Int>, context: TaskContext) throws(SluiceError) -> any BatchStream {
        try open(partition: partition, projection: projection, context: context)
    }
}
