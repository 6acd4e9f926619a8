public import SluiceCore

/// Gathers sorted partitions into one globally sorted partition: the child stage runs its
/// partitions in parallel, each into a ``BatchSpool`` (held in memory while the budget
/// allows, spilled otherwise, so a sorted result larger than the budget still fits), then one
/// task merges the sorted runs a batch at a time (ties go to the lower partition, so the
/// result is deterministic).
public final class MergeSortedExec: StageBoundary {
    public let input: any ExecutionPlan
    public let keys: [SortKey]
    let comparator: RowComparator
    public let metrics = OperatorMetrics()
    private let runs = Locked<[BatchSpool]?>(nil)

    public init(input: any ExecutionPlan, keys: [SortKey]) throws(SluiceError) {
        self.input = input
        self.keys = keys
        comparator = try RowComparator(keys: keys, schema: input.schema)
    }

    public var name: String { "MergeSorted" }
    public var details: String { keys.map(\.description).joined(separator: ", ") }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { .single }
    public var boundaryDescription: String { "merges \(input.partitioning.count) sorted partitions into 1" }

    public func materialize(runtime: ExecutionRuntime, stage: Int) throws(SluiceError) {
        let input = self.input
        let metrics = self.metrics
        let schema = input.schema
        let results = try runtime.runTasks(stage: stage, taskCount: input.partitioning.count) { (context) throws(SluiceError) in
            let stream = try input.execute(partition: context.partition, context: context)
            let spool = BatchSpool(schema: schema, purpose: "merge-s\(stage)-t\(context.partition)", context: context)
            while let batch = try stream.next() {
                guard batch.rowCount > 0 else { continue }
                try spool.append(batch)
                metrics.recordInput(rows: batch.rowCount)
            }
            metrics.recordSpill(bytes: spool.spilledBytes)
            return spool
        }
        runs.withLock { $0 = results }
    }

    public func release() {
        runs.withLock { $0 = nil }
    }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        let runs = try self.runs.withLock { (state: inout [BatchSpool]?) throws(SluiceError) -> [BatchSpool] in
            guard let state else { throw SluiceError.internal("merge read before its input stage ran") }
            return state
        }
        let cursors = runs.filter { $0.rows > 0 }.map { RunCursor(stream: $0.stream()) }
        return CountingStream(
            inner: try RunMerger(schema: schema, comparator: comparator, cursors: cursors, batchRows: context.batchRows,
                                 cancellation: context.runtime.cancellation),
            metrics: metrics
        )
    }
}

struct SendableBatches: @unchecked Sendable {
    var batches: [RecordBatch]
}
