/// The rows of a result as libpq holds them, for reading cells as bytes without making a
/// `String` of each (``PostgresConnection/executePrepared(_:_:rows:)``). Valid only inside the
/// closure it is given to (it borrows the result, which is freed after); the bytes are PostgreSQL's text format.
public struct PostgresRowView {
    private let result: OpaquePointer
    /// Rows in the result.
    public let count: Int
    /// Columns in each row.
    public let columnCount: Int

    init(result: OpaquePointer) {
        self.result = result
        self.count = PQ.rowCount(result)
        self.columnCount = PQ.columnCount(result)
    }

    /// The bytes of a cell, or nil for NULL; valid while the view is.
    public func bytes(row: Int, column: Int) -> UnsafeBufferPointer<UInt8>? {
        PQ.bytes(result, row, column)
    }

    /// A cell copied out as a string, or nil for NULL.
    public func string(row: Int, column: Int) -> String? {
        PQ.value(result, row, column)
    }
}
