public import SluiceCore

/// Keeps the rows where a boolean predicate is true (null counts as false).
public final class FilterExec: ExecutionPlan {
    public let input: any ExecutionPlan
    public let predicate: Expr
    let bound: BoundExpr
    public let metrics = OperatorMetrics()

    public init(input: any ExecutionPlan, predicate: Expr) throws(SluiceError) {
        self.input = input
        self.predicate = predicate
        bound = try BoundExpr.bind(predicate, to: input.schema)
        guard bound.type == .bool else {
            throw SluiceError.plan("filter predicate must be bool, got \(bound.type): \(predicate)")
        }
    }

    public var name: String { "Filter" }
    public var details: String { predicate.description }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { input.partitioning }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        FilterStream(plan: self, input: try input.execute(partition: partition, context: context), context: context)
    }
}

final class FilterStream: BatchStream {
    let plan: FilterExec
    let input: any BatchStream
    let context: TaskContext

    init(plan: FilterExec, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.input = input
        self.context = context
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while let batch = try input.next() {
            try context.checkCancelled()
            let start = SystemInfo.monotonicNanos()
            plan.metrics.recordInput(rows: batch.rowCount)
            let selected = try plan.bound.selectedRows(batch)
            plan.metrics.addTime(since: start)
            if selected.isEmpty { continue }
            let output = selected.count == batch.rowCount ? batch : batch.take(selected)
            plan.metrics.recordOutput(rows: output.rowCount, bytes: output.byteSize)
            return output
        }
        return nil
    }
}
