public import SluiceCore
import Synchronization

/// A shuffle: the child stage runs one task per child partition and hashes every row into
/// one of `count` buckets (or gathers everything into one); each output partition then
/// reads one bucket.
///
/// A bucket's batches are read in map-task order, so the order of rows inside a bucket does
/// not depend on which worker finished first. Buffered bytes are held against the memory
/// budget until the consuming stage is done.
public final class ExchangeExec: StageBoundary {
    public let input: any ExecutionPlan
    public let partitioning: Partitioning
    public let metrics = OperatorMetrics()
    private let partitioner: HashPartitioner
    private let buffers = Mutex<Materialized?>(nil)

    private struct Materialized: @unchecked Sendable {
        var byTask: [[[RecordBatch]]]
        var reservations: [MemoryReservation]
    }

    /// - Parameter partitioning: `.hash(keys:count:)` with keys among the input's columns,
    ///   or `.single`.
    public init(input: any ExecutionPlan, partitioning: Partitioning) throws(SluiceError) {
        self.input = input
        self.partitioning = partitioning
        switch partitioning {
        case .hash(let keys, let count):
            var indices: [Int] = []
            for key in keys { indices.append(try input.schema.requireIndex(of: key, in: "shuffle input")) }
            partitioner = HashPartitioner(keyIndices: indices, bucketCount: count)
        case .single, .unknown:
            partitioner = HashPartitioner(keyIndices: [], bucketCount: 1)
        }
    }

    public var name: String { "ShuffleRead" }
    public var details: String { partitioning.description }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var boundaryDescription: String {
        partitioning.count == 1 ? "gathers into 1 partition" : "shuffles by \(partitioning)"
    }

    public func materialize(runtime: ExecutionRuntime, stage: Int) throws {
        let input = self.input
        let partitioner = self.partitioner
        let metrics = self.metrics
        let results = try runtime.runTasks(stage: stage, taskCount: input.partitioning.count) { context in
            let reservation = context.reservation("shuffle buffers")
            var buckets = [[RecordBatch]](repeating: [], count: partitioner.bucketCount)
            let stream = try input.execute(partition: context.partition, context: context)
            while let batch = try stream.next() {
                try context.checkCancelled()
                let start = SystemInfo.monotonicNanos()
                for (bucket, part) in partitioner.partition(batch).enumerated() {
                    guard let part else { continue }
                    try reservation.grow(by: part.byteSize)
                    buckets[bucket].append(part)
                    metrics.recordOutput(rows: part.rowCount, bytes: part.byteSize)
                }
                metrics.addTime(since: start)
            }
            return TaskOutput(buckets: buckets, reservation: reservation)
        }
        buffers.withLock {
            $0 = Materialized(byTask: results.map(\.buckets), reservations: results.map(\.reservation))
        }
    }

    public func release() {
        buffers.withLock { $0 = nil }
    }

    public func execute(partition: Int, context: TaskContext) throws -> any BatchStream {
        let batches = try buffers.withLock { (state: inout Materialized?) throws(SluiceError) -> [RecordBatch] in
            guard let state else { throw SluiceError.internal("shuffle read before its map stage ran") }
            return state.byTask.flatMap { $0[partition] }
        }
        return MemoryBatchStream(batches)
    }
}

private struct TaskOutput: @unchecked Sendable {
    var buckets: [[RecordBatch]]
    var reservation: MemoryReservation
}
