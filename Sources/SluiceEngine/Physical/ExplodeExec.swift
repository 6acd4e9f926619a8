public import SluiceCore

/// One row per element of a list column: the element in the column's place, every other
/// column repeated (Spark's `explode`, DuckDB's `unnest`). A null or empty list gives no row.
public final class ExplodeExec: ExecutionPlan {
    public let input: any ExecutionPlan
    public let column: String
    let index: Int
    public let schema: Schema
    public let metrics = OperatorMetrics()

    /// - Throws: a plan error when `column` is not a list.
    public init(input: any ExecutionPlan, column: String) throws(SluiceError) {
        self.input = input
        self.column = column
        index = try input.schema.requireIndex(of: column, in: "explode")
        schema = try LogicalPlan.exploded(input.schema, column: column)
    }

    public var name: String { "Explode" }
    public var details: String { column }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { input.partitioning }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        ExplodeStream(plan: self, input: try input.execute(partition: partition, context: context), context: context)
    }

    /// The rows of `batch` with the list column unnested.
    func explode(_ batch: RecordBatch) throws(SluiceError) -> RecordBatch {
        let lists = batch.columns[index]
        guard case .list(let offsets, let values) = lists.storage else {
            throw SluiceError.internal("explode of \(column): the column holds \(lists.type), not a list")
        }
        var rows: [Int32] = [], elements: [Int32] = []
        rows.reserveCapacity(values.count)
        elements.reserveCapacity(values.count)
        for row in 0..<batch.rowCount where !lists.isNull(row) {
            for element in offsets[row]..<offsets[row + 1] {
                rows.append(Int32(row))
                elements.append(element)
            }
        }
        let columns = batch.columns.indices.map { $0 == index ? values.take(elements) : batch.columns[$0].take(rows) }
        return RecordBatch(unchecked: schema, columns: columns, rowCount: rows.count)
    }
}

final class ExplodeStream: BatchStream {
    let plan: ExplodeExec
    let input: any BatchStream
    let context: TaskContext

    init(plan: ExplodeExec, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.input = input
        self.context = context
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while let batch = try input.next() {
            try context.checkCancelled()
            let start = SystemInfo.monotonicNanos()
            plan.metrics.recordInput(rows: batch.rowCount)
            let output = try plan.explode(batch)
            plan.metrics.addTime(since: start)
            if output.rowCount == 0 { continue }
            plan.metrics.recordOutput(rows: output.rowCount, bytes: output.byteSize)
            return output
        }
        return nil
    }
}
