public import SluiceCore

/// A pull-based stream of batches: one partition of one operator, running in one task.
///
/// Nothing happens until the first `next()`; errors come out of `next()` with the batches;
/// dropping the stream frees whatever it holds (memory reservations included).
public protocol BatchStream: AnyObject {
    /// The next batch, or nil when the partition is exhausted.
    func next() throws(SluiceError) -> RecordBatch?
}

/// How an operator's output rows are spread over its partitions.
public enum Partitioning: Sendable, Equatable, CustomStringConvertible {
    /// `count` partitions with no known relation between keys and partitions.
    case unknown(Int)
    /// Rows with equal values of `keys` are all in the same one of `count` partitions.
    case hash(keys: [String], count: Int)
    /// Everything in one partition.
    case single

    public var count: Int {
        switch self {
        case .unknown(let count), .hash(_, let count): count
        case .single: 1
        }
    }

    /// True when rows equal on `groupKeys` are guaranteed to share a partition: the data is
    /// hashed on a non-empty subset of them, or there is only one partition.
    public func colocates(_ groupKeys: [String]) -> Bool {
        switch self {
        case .single: return true
        case .unknown(let count): return count == 1
        case .hash(let keys, _): return !keys.isEmpty && Set(keys).isSubset(of: Set(groupKeys))
        }
    }

    public var description: String {
        switch self {
        case .unknown(let count): "\(count) partitions"
        case .hash(let keys, let count): "hash(\(keys.joined(separator: ", "))) × \(count)"
        case .single: "single partition"
        }
    }
}

/// A node of the physical plan: an immutable description of an operator (its children,
/// output schema and partitioning, the text EXPLAIN prints) that can open a ``BatchStream``
/// for any of its output partitions.
///
/// Implementations are `final class`es, shared by all tasks; per-partition running state
/// lives in the stream that `execute` returns.
public protocol ExecutionPlan: AnyObject, Sendable {
    /// The operator's name as EXPLAIN prints it (`HashAggregate`, `CSVScan`, …).
    var name: String { get }
    /// One line of details for EXPLAIN (keys, expressions, source).
    var details: String { get }
    var schema: Schema { get }
    var children: [any ExecutionPlan] { get }
    var partitioning: Partitioning { get }
    var metrics: OperatorMetrics { get }

    /// Opens the stream for output partition `partition` in the given task.
    /// - Precondition: every exchange below this node has been materialised by the scheduler.
    func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream
}

/// A node whose input must be produced by an earlier stage: the scheduler runs its child
/// stage first (a shuffle, a broadcast, a gather), then the node serves the result.
public protocol StageBoundary: ExecutionPlan {
    /// Runs the child stage and keeps its output for `execute`.
    func materialize(runtime: ExecutionRuntime, stage: Int) throws(SluiceError)
    /// Frees the materialised output once the consuming stage is done.
    func release()
    /// How the child stage's output is written, for EXPLAIN (`shuffle hash(x) × 16`).
    var boundaryDescription: String { get }
}

/// A leaf that needs work before its stage starts (finding record boundaries in a file).
public protocol PreparableSource: ExecutionPlan {
    func prepare(runtime: ExecutionRuntime) throws(SluiceError)
}

/// A stream over batches already in memory.
public final class MemoryBatchStream: BatchStream {
    private var batches: [RecordBatch]
    private var position = 0

    public init(_ batches: [RecordBatch]) {
        self.batches = batches
    }

    public func next() throws(SluiceError) -> RecordBatch? {
        guard position < batches.count else {
            batches = []
            return nil
        }
        defer { position += 1 }
        return batches[position]
    }
}

/// A stream with no batches.
public final class EmptyBatchStream: BatchStream {
    public init() {}
    public func next() throws(SluiceError) -> RecordBatch? { nil }
}
