public import SluiceCore

/// Sorts each partition on its own (stable, so equal keys keep their input order). A global
/// order comes from ``MergeSortedExec`` on top, which merges the sorted partitions.
public final class SortExec: ExecutionPlan {
    public let input: any ExecutionPlan
    public let keys: [SortKey]
    let comparator: RowComparator
    public let metrics = OperatorMetrics()

    public init(input: any ExecutionPlan, keys: [SortKey]) throws(SluiceError) {
        self.input = input
        self.keys = keys
        comparator = try RowComparator(keys: keys, schema: input.schema)
    }

    public var name: String { "Sort" }
    public var details: String { keys.map(\.description).joined(separator: ", ") }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { input.partitioning }

    public func execute(partition: Int, context: TaskContext) throws -> any BatchStream {
        SortStream(plan: self, input: try input.execute(partition: partition, context: context), context: context)
    }
}

final class SortStream: BatchStream {
    let plan: SortExec
    let input: any BatchStream
    let context: TaskContext
    let reservation: MemoryReservation
    var output: [RecordBatch]?

    init(plan: SortExec, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.input = input
        self.context = context
        reservation = context.reservation("Sort")
    }

    func next() throws -> RecordBatch? {
        if output == nil { output = try sortAll() }
        guard var remaining = output, !remaining.isEmpty else {
            reservation.free()
            return nil
        }
        let batch = remaining.removeFirst()
        output = remaining
        plan.metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize)
        return batch
    }

    private func sortAll() throws -> [RecordBatch] {
        var batches: [RecordBatch] = []
        while let batch = try input.next() {
            try context.checkCancelled()
            plan.metrics.recordInput(rows: batch.rowCount)
            try reservation.grow(by: batch.byteSize)
            batches.append(batch)
        }
        let began = SystemInfo.monotonicNanos()
        defer { plan.metrics.addTime(since: began) }
        guard !batches.isEmpty else { return [] }
        let all = RecordBatch.concat(batches, schema: plan.schema)
        try reservation.resize(to: all.byteSize * 2)
        let comparator = plan.comparator
        var order = (0..<Int32(all.rowCount)).map { $0 }
        order.sort { a, b in
            let result = comparator.compare(all, Int(a), all, Int(b))
            return result != 0 ? result < 0 : a < b
        }
        let sorted = all.take(order)
        var result: [RecordBatch] = []
        var start = 0
        while start < sorted.rowCount {
            let end = min(sorted.rowCount, start + context.batchRows)
            result.append(start == 0 && end == sorted.rowCount ? sorted : sorted.slice(start..<end))
            start = end
        }
        return result
    }
}
