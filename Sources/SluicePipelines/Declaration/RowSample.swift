public import SluiceCore
public import SluiceEngine

/// The first rows of a step's result, kept for the run's summary (``JobOutput/sample(_:)``):
/// a listing of the first few, on either engine, without holding the result.
public final class RowSample: BatchSink, Sendable {
    /// Rows kept at the most.
    public let limit: Int
    private let kept = Locked<[[Value]]>([])

    public init(limit: Int) {
        self.limit = limit
    }

    /// The rows kept, in the order the result gave them.
    public var rows: [[Value]] { kept.withLock { $0 } }

    public func write(_ batch: RecordBatch) throws {
        kept.withLock { rows in
            var row = 0
            while rows.count < limit, row < batch.rowCount {
                rows.append(batch.columns.map { $0.value(at: row) })
                row += 1
            }
        }
    }

    public func commit() throws {}
}
