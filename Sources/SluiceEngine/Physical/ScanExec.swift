public import SluiceCore

/// Reads a ``TableSource``: one output partition per source partition, only the projected
/// columns.
public final class ScanExec: PreparableSource {
    public let source: any TableSource
    public let projection: [Int]
    public let schema: Schema
    public let partitionCount: Int
    public let metrics = OperatorMetrics()

    public init(source: any TableSource, projection: [Int], config: ExecutionConfig) {
        self.source = source
        self.projection = projection
        self.schema = Schema(projection.map { source.schema[$0] })
        self.partitionCount = max(1, source.partitionCount(config: config))
    }

    public var name: String { source.scanName }
    public var children: [any ExecutionPlan] { [] }
    public var partitioning: Partitioning { .unknown(partitionCount) }

    public var details: String {
        "\(source.displayName) columns=[\(schema.names.joined(separator: ", "))] partitions=\(partitionCount)"
    }

    public func prepare(runtime: ExecutionRuntime) throws(SluiceError) {
        try source.prepare(runtime: runtime)
    }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        CountingStream(inner: try source.open(partition: partition, projection: projection, context: context), metrics: metrics)
    }
}

/// Passes batches through, counting them in an operator's metrics.
final class CountingStream: BatchStream {
    let inner: any BatchStream
    let metrics: OperatorMetrics

    init(inner: any BatchStream, metrics: OperatorMetrics) {
        self.inner = inner
        self.metrics = metrics
    }

    func next() throws(SluiceError) -> RecordBatch? {
        let start = SystemInfo.monotonicNanos()
        let batch = try inner.next()
        metrics.addTime(since: start)
        if let batch { metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize) }
        return batch
    }
}
