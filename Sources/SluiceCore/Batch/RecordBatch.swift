/// A schema plus columns of equal length: the unit of work, of memory accounting and of
/// spilling. Batches are immutable values; operators make new ones.
///
/// ```swift
/// let batch = try RecordBatch(
///     schema: Schema([Field("id", .int64), Field("name", .string)]),
///     columns: [.int64([1, 2]), .string(["a", "b"])]
/// )
/// ```
public struct RecordBatch: Sendable {
    public let schema: Schema
    public let columns: [Column]
    public let rowCount: Int

    /// Checks that there is one column per field, of the field's type, all of one length.
    public init(schema: Schema, columns: [Column]) throws(SluiceError) {
        guard schema.count == columns.count else {
            throw SluiceError.internal("batch has \(columns.count) columns for a schema of \(schema.count)")
        }
        let rows = columns.first?.count ?? 0
        for (field, column) in zip(schema.fields, columns) {
            guard column.count == rows else {
                throw SluiceError.internal("column '\(field.name)' has \(column.count) rows, expected \(rows)")
            }
            guard column.type == field.type else {
                throw SluiceError.internal("column '\(field.name)' is \(column.type), schema says \(field.type)")
            }
        }
        self.schema = schema
        self.columns = columns
        self.rowCount = rows
    }

    /// A batch whose invariants the caller has already established (operators' hot paths).
    public init(unchecked schema: Schema, columns: [Column], rowCount: Int) {
        self.schema = schema
        self.columns = columns
        self.rowCount = rowCount
    }

    /// A batch with no rows.
    public static func empty(_ schema: Schema) -> RecordBatch {
        RecordBatch(unchecked: schema, columns: schema.fields.map { Column(empty: $0.type) }, rowCount: 0)
    }

    /// The column called `name`, or nil.
    public func column(named name: String) -> Column? {
        schema.index(of: name).map { columns[$0] }
    }

    /// Bytes held by the columns, for memory accounting.
    public var byteSize: Int { columns.reduce(0) { $0 + $1.byteSize } }

    /// The rows at `indices`, in that order.
    ///
    /// A 64-bit column whose every row is null (a sum's state with no carry) has values no
    /// one reads, so it shares the buffer of an integer column taken before it and costs only
    /// its bitmap, instead of a gather of 8 bytes a row.
    public func take(_ indices: [Int32]) -> RecordBatch {
        var taken: [Column] = []
        taken.reserveCapacity(columns.count)
        for column in columns {
            if column.isAllNullInt64, let donor = taken.first(where: \.isInt64Storage) {
                taken.append(Column(type: column.type, storage: donor.storage, validity: ValidityBitmap(count: indices.count, allValid: false)))
            } else {
                taken.append(column.take(indices))
            }
        }
        return RecordBatch(unchecked: schema, columns: taken, rowCount: indices.count)
    }

    /// Rows `range`.
    public func slice(_ range: Range<Int>) -> RecordBatch {
        RecordBatch(unchecked: schema, columns: columns.map { $0.slice(range) }, rowCount: range.count)
    }

    /// The batch cut into consecutive pieces of at most `maxRows` rows (the batch itself when
    /// it is small enough; nothing when it is empty).
    public func chunks(maxRows: Int) -> [RecordBatch] {
        guard rowCount > maxRows else { return rowCount == 0 ? [] : [self] }
        let size = max(1, maxRows)
        return stride(from: 0, to: rowCount, by: size).map { slice($0..<min(rowCount, $0 + size)) }
    }

    /// Only the columns at `indices`, in that order.
    public func project(_ indices: [Int]) -> RecordBatch {
        RecordBatch(
            unchecked: Schema(indices.map { schema[$0] }),
            columns: indices.map { columns[$0] },
            rowCount: rowCount
        )
    }

    /// The same columns under another schema with the same types (a rename).
    public func withSchema(_ newSchema: Schema) -> RecordBatch {
        RecordBatch(unchecked: newSchema, columns: columns, rowCount: rowCount)
    }

    /// The rows of several batches of one schema, one after another.
    public static func concat(_ batches: [RecordBatch], schema: Schema) -> RecordBatch {
        if batches.count == 1 { return batches[0] }
        let columns = schema.fields.indices.map { index in
            Column.concat(batches.map { $0.columns[index] }, type: schema[index].type)
        }
        return RecordBatch(unchecked: schema, columns: columns, rowCount: batches.reduce(0) { $0 + $1.rowCount })
    }

    /// Row `index` as values; for tests and small outputs.
    public func row(_ index: Int) -> [Value] {
        columns.map { $0.value(at: index) }
    }

    /// All rows as values; for tests.
    public var rows: [[Value]] { (0..<rowCount).map(row) }
}
