public import SluiceCore
import Synchronization

/// Gathers sorted partitions into one globally sorted partition: the child stage runs its
/// partitions in parallel, then one task merges the sorted runs (ties go to the lower
/// partition, so the result is deterministic).
public final class MergeSortedExec: StageBoundary {
    public let input: any ExecutionPlan
    public let keys: [SortKey]
    let comparator: RowComparator
    public let metrics = OperatorMetrics()
    private let runs = Mutex<[[RecordBatch]]?>(nil)

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

    public func materialize(runtime: ExecutionRuntime, stage: Int) throws {
        let input = self.input
        let metrics = self.metrics
        let results = try runtime.runTasks(stage: stage, taskCount: input.partitioning.count) { context in
            let stream = try input.execute(partition: context.partition, context: context)
            var batches: [RecordBatch] = []
            while let batch = try stream.next() {
                guard batch.rowCount > 0 else { continue }
                batches.append(batch)
                metrics.recordInput(rows: batch.rowCount)
            }
            return SendableBatches(batches: batches)
        }
        runs.withLock { $0 = results.map(\.batches) }
    }

    public func release() {
        runs.withLock { $0 = nil }
    }

    public func execute(partition: Int, context: TaskContext) throws -> any BatchStream {
        let runs = try self.runs.withLock { (state: inout [[RecordBatch]]?) throws(SluiceError) -> [[RecordBatch]] in
            guard let state else { throw SluiceError.internal("merge read before its input stage ran") }
            return state
        }
        // Each run is concatenated so the merge can address rows directly.
        let sortedRuns = runs.filter { !$0.isEmpty }.map { RecordBatch.concat($0, schema: schema) }
        return MergeStream(plan: self, runs: sortedRuns, batchRows: context.batchRows)
    }
}

struct SendableBatches: @unchecked Sendable {
    var batches: [RecordBatch]
}

final class MergeStream: BatchStream {
    let plan: MergeSortedExec
    let runs: [RecordBatch]
    var positions: [Int]
    let batchRows: Int

    init(plan: MergeSortedExec, runs: [RecordBatch], batchRows: Int) {
        self.plan = plan
        self.runs = runs
        self.positions = Array(repeating: 0, count: runs.count)
        self.batchRows = batchRows
    }

    func next() throws -> RecordBatch? {
        if runs.count == 1 {
            guard positions[0] < runs[0].rowCount else { return nil }
            let end = min(runs[0].rowCount, positions[0] + batchRows)
            let batch = runs[0].slice(positions[0]..<end)
            positions[0] = end
            plan.metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize)
            return batch
        }
        var builders = plan.schema.fields.map { ColumnBuilder(type: $0.type, capacity: batchRows) }
        var produced = 0
        while produced < batchRows {
            var best = -1
            for run in 0..<runs.count where positions[run] < runs[run].rowCount {
                if best < 0 || plan.comparator.compare(runs[run], positions[run], runs[best], positions[best]) < 0 {
                    best = run
                }
            }
            guard best >= 0 else { break }
            for (index, column) in runs[best].columns.enumerated() {
                builders[index].append(from: column, at: positions[best])
            }
            positions[best] += 1
            produced += 1
        }
        guard produced > 0 else { return nil }
        let batch = RecordBatch(unchecked: plan.schema, columns: builders.map { $0.finish() }, rowCount: produced)
        plan.metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize)
        return batch
    }
}
