public import SluiceCore

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
    private let buffers = Locked<Materialized?>(nil)

    private struct Materialized: @unchecked Sendable {
        var byTask: [[[BucketItem]]]
        /// What each bucket holds in memory, released as the bucket is read.
        var bucketReservations: [MemoryReservation?]
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

    /// Runs the map stage. Each task keeps its buckets in memory while the pool allows; when
    /// it refuses, the task writes every bucket it holds to its spill file (one segment per
    /// bucket) and carries on, so a shuffle of any size fits any budget.
    public func materialize(runtime: ExecutionRuntime, stage: Int) throws(SluiceError) {
        let input = self.input
        let partitioner = self.partitioner
        let metrics = self.metrics
        let schema = self.schema
        let results = try runtime.runTasks(stage: stage, taskCount: input.partitioning.count) { (context) throws(SluiceError) in
            let reservation = context.reservation("shuffle buffers")
            var items = [[BucketItem]](repeating: [], count: partitioner.bucketCount)
            var held = [[RecordBatch]](repeating: [], count: partitioner.bucketCount)
            // Rows the map-side aggregate passed on ungrouped, as keys and arguments, until the
            // combiner folds them or they are made states (see BucketCombiner).
            var projected = [[RecordBatch]](repeating: [], count: partitioner.bucketCount)
            var writer: SpillWriter?
            var combiner = BucketCombiner(input: input, bucketCount: partitioner.bucketCount)
            let stream = try input.execute(partition: context.partition, context: context)
            let aggregate = stream as? HashAggregateStream
            if combiner != nil { aggregate?.passesProjectedRows = true }
            // Folds `bucket`'s projected rows into its held states while the combiner merges;
            // else, when `converting` (for a spill file, which holds states), makes them one-row
            // states, or leaves them for the reduce side to fold as they are.
            func settle(_ bucket: Int, converting: Bool) throws(SluiceError) {
                guard !projected[bucket].isEmpty else { return }
                guard let aggregate else { throw SluiceError.internal("projected rows with no aggregate to make states of them") }
                if var current = combiner, current.merging {
                    held[bucket] = try current.merge(states: held[bucket], projected: projected[bucket], context: context)
                    combiner = current
                } else if converting {
                    for piece in projected[bucket] { held[bucket].append(try aggregate.states(ofProjected: piece)) }
                } else {
                    return
                }
                projected[bucket] = []
            }
            func spillHeld() throws(SluiceError) {
                let file: SpillWriter
                if let writer { file = writer } else { file = try context.runtime.spill.createFile("shuffle-s\(stage)-t\(context.partition)") }
                writer = file
                for bucket in held.indices {
                    try settle(bucket, converting: true)
                    guard !held[bucket].isEmpty else { continue }
                    for part in held[bucket] { metrics.recordOutput(rows: part.rowCount, bytes: part.byteSize) }
                    for segment in try file.write(held[bucket], schema: schema) {
                        metrics.recordSpill(bytes: segment.length)
                        items[bucket].append(.spilled(segment))
                    }
                    held[bucket].removeAll()
                }
                reservation.free()
            }
            while let batch = try stream.next() {
                let isProjected = aggregate?.lastBatchProjected ?? false
                try context.checkCancelled()
                let start = SystemInfo.monotonicNanos()
                // One bucket's rows are copied out at a time, and reserved (or the held
                // buckets spilled) before the next, so a large batch is never copied whole.
                let rowsByBucket = partitioner.bucketCount == 1 ? [] : partitioner.bucketRows(batch)
                for bucket in 0..<partitioner.bucketCount {
                    let part: RecordBatch
                    if partitioner.bucketCount == 1 {
                        part = batch
                    } else {
                        guard !rowsByBucket[bucket].isEmpty else { continue }
                        part = batch.take(rowsByBucket[bucket])
                    }
                    if !reservation.tryResize(to: reservation.size + part.byteSize) {
                        try spillHeld()
                        _ = reservation.tryResize(to: part.byteSize)
                    }
                    if isProjected { projected[bucket].append(part) } else { held[bucket].append(part) }
                }
                metrics.addTime(since: start)
            }
            // Folding replaces each bucket's projected rows by their states (rows the combiner
            // no longer folds stay projected for the reduce side), then the held bytes are
            // reserved again: a refused reservation may have left pieces uncovered.
            let settleStart = SystemInfo.monotonicNanos()
            for bucket in held.indices { try settle(bucket, converting: false) }
            _ = reservation.tryResize(to: (held + projected).reduce(0) { $0 + $1.reduce(0) { $0 + $1.byteSize } })
            metrics.addTime(since: settleStart)
            // Finished tasks keep at most half the budget in memory between them, so the
            // reduce side always has room to work; the rest of their output goes to disk.
            if let limit = context.memoryPool.limit, context.memoryPool.reserved > limit / 2 { try spillHeld() }
            for bucket in held.indices {
                for part in held[bucket] + projected[bucket] { metrics.recordOutput(rows: part.rowCount, bytes: part.byteSize) }
            }
            var heldBytes = [Int](repeating: 0, count: held.count)
            for bucket in held.indices {
                items[bucket] += held[bucket].map(BucketItem.memory) + projected[bucket].map(BucketItem.projected)
                heldBytes[bucket] = (held[bucket] + projected[bucket]).reduce(0) { $0 + $1.byteSize }
            }
            return TaskOutput(items: items, heldBytes: heldBytes, reservation: reservation)
        }
        // Move the tasks' reservations onto the buckets so each is released once read.
        var perBucket = [Int](repeating: 0, count: partitioner.bucketCount)
        for result in results {
            for bucket in perBucket.indices { perBucket[bucket] += result.heldBytes[bucket] }
            result.reservation.free()
        }
        let reservations = perBucket.enumerated().map { bucket, bytes -> MemoryReservation? in
            guard bytes > 0 else { return nil }
            let reservation = MemoryReservation(pool: runtime.memoryPool, consumer: "shuffle bucket \(bucket) (stage \(stage))")
            _ = reservation.tryResize(to: bytes)
            return reservation
        }
        buffers.withLock {
            $0 = Materialized(byTask: results.map(\.items), bucketReservations: reservations)
        }
    }

    public func release() {
        buffers.withLock { $0 = nil }
    }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        let (items, reservation) = try buffers.withLock { (state: inout Materialized?) throws(SluiceError) -> ([BucketItem], MemoryReservation?) in
            guard var current = state else { throw SluiceError.internal("shuffle read before its map stage ran") }
            let items = current.byTask.flatMap { $0[partition] }
            let reservation = current.bucketReservations[partition]
            current.bucketReservations[partition] = nil
            for task in current.byTask.indices { current.byTask[task][partition] = [] }
            state = current
            return (items, reservation)
        }
        return BucketStream(items: items, schema: schema, reservation: reservation, partial: input as? HashAggregateExec)
    }
}

private struct TaskOutput: @unchecked Sendable {
    var items: [[BucketItem]]
    var heldBytes: [Int]
    var reservation: MemoryReservation
}

/// One piece of a shuffle bucket: a batch still in memory, rows a map-side aggregate passed
/// on as keys and arguments (``HashAggregateExec/projectedSchema``), or a batch written to a
/// spill file.
enum BucketItem {
    case memory(RecordBatch)
    case projected(RecordBatch)
    case spilled(SpillSegment)
}

/// Reads a bucket's pieces in order, loading spilled ones one at a time.
///
/// Projected pieces go to a consumer that folds them as they are (a final aggregate sets
/// ``passesProjected``); any other gets them as one-row states of the `partial` aggregate.
final class BucketStream: BatchStream {
    private var items: ArraySlice<BucketItem>
    private let schema: Schema
    private let reservation: MemoryReservation?
    private let partial: HashAggregateExec?
    /// The rows of every piece, in memory or spilled.
    let rows: Int
    /// Set by a consumer that takes projected pieces as they are.
    var passesProjected = false
    /// Whether the batch `next()` returned last is projected rather than states.
    private(set) var lastBatchProjected = false

    init(items: [BucketItem], schema: Schema, reservation: MemoryReservation?, partial: HashAggregateExec? = nil) {
        self.partial = partial
        rows = items.reduce(0) { total, item in
            switch item {
            case .memory(let batch), .projected(let batch): total + batch.rowCount
            case .spilled(let segment): total + segment.rows
            }
        }
        self.items = items[...]
        self.schema = schema
        self.reservation = reservation
    }

    func next() throws(SluiceError) -> RecordBatch? {
        lastBatchProjected = false
        switch items.popFirst() {
        case .memory(let batch):
            // The batch now belongs to the consumer, which reserves what it keeps.
            reservation.map { _ = $0.tryResize(to: max(0, $0.size - batch.byteSize)) }
            return batch
        case .projected(let batch):
            reservation.map { _ = $0.tryResize(to: max(0, $0.size - batch.byteSize)) }
            if passesProjected {
                lastBatchProjected = true
                return batch
            }
            guard let partial else { throw SluiceError.internal("a shuffle bucket holds projected rows but no aggregate to make states of them") }
            return try partial.states(ofProjected: batch)
        case .spilled(let segment): return try segment.read(schema: schema)
        case nil:
            reservation?.free()
            return nil
        }
    }
}
