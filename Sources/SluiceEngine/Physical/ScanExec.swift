public import SluiceCore

/// Reads a ``TableSource``: one output partition per source partition, only the projected
/// columns, the `trimmed` ones cleaned as they are parsed (``TrimmingTableSource``).
public final class ScanExec: PreparableSource {
    public let source: any TableSource
    public let projection: [Int]
    /// Text columns (indices into the source's schema) read as `nullIfEmpty(trim(c))`.
    public let trimmed: Set<Int>
    public let schema: Schema
    public let partitionCount: Int
    public let metrics = OperatorMetrics()

    /// - Parameter trimmed: non-empty only for a ``TrimmingTableSource``.
    public init(source: any TableSource, projection: [Int], trimmed: Set<Int> = [], config: ExecutionConfig) {
        self.source = source
        self.projection = projection
        self.trimmed = source.acceptsTrimPushdown ? trimmed : []
        self.schema = Schema(projection.map { source.schema[$0] })
        self.partitionCount = max(1, source.partitionCount(config: config))
    }

    public var name: String { source.scanName }
    public var children: [any ExecutionPlan] { [] }
    public var partitioning: Partitioning { .unknown(partitionCount) }

    public var details: String {
        let cleaned = projection.filter(trimmed.contains).map { source.schema[$0].name }
        return "\(source.displayName) columns=[\(schema.names.joined(separator: ", "))]"
            + (cleaned.isEmpty ? "" : " trimmed=[\(cleaned.joined(separator: ", "))]") + " partitions=\(partitionCount)"
    }

    public func prepare(runtime: ExecutionRuntime) throws(SluiceError) {
        try source.prepare(runtime: runtime)
    }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        let stream: any BatchStream
        if !trimmed.isEmpty, let trimming = source as? any TrimmingTableSource {
            stream = try trimming.open(partition: partition, projection: projection, trimmed: trimmed, context: context)
        } else {
            stream = try source.open(partition: partition, projection: projection, context: context)
        }
        return CountingStream(inner: stream, metrics: metrics)
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
