public import SluiceCore

/// The rows of several inputs of one schema; partitions are the inputs' partitions in order.
public final class UnionExec: ExecutionPlan {
    public let inputs: [any ExecutionPlan]
    public let metrics = OperatorMetrics()

    public init(inputs: [any ExecutionPlan]) throws(SluiceError) {
        guard let first = inputs.first else { throw SluiceError.plan("union needs at least one input") }
        for input in inputs.dropFirst() where input.schema.fields.map(\.type) != first.schema.fields.map(\.type) {
            throw SluiceError.plan("union inputs differ: \(first.schema) vs \(input.schema)")
        }
        self.inputs = inputs
    }

    public var name: String { "Union" }
    public var details: String { "\(inputs.count) inputs" }
    public var schema: Schema { inputs[0].schema }
    public var children: [any ExecutionPlan] { inputs }
    public var partitioning: Partitioning { .unknown(inputs.reduce(0) { $0 + $1.partitioning.count }) }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        var remaining = partition
        for input in inputs {
            if remaining < input.partitioning.count {
                let stream = try input.execute(partition: remaining, context: context)
                return RenamingStream(inner: stream, schema: schema)
            }
            remaining -= input.partitioning.count
        }
        throw SluiceError.internal("union partition \(partition) out of range")
    }
}

/// Presents batches under another schema of the same types (union inputs' column names).
final class RenamingStream: BatchStream {
    let inner: any BatchStream
    let schema: Schema

    init(inner: any BatchStream, schema: Schema) {
        self.inner = inner
        self.schema = schema
    }

    func next() throws(SluiceError) -> RecordBatch? {
        try inner.next().map { $0.withSchema(schema) }
    }
}
