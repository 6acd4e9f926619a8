public import SluiceCore
import Dispatch

/// Formats batches as CSV text: a header, `,` between fields, `\n` after each row; fields
/// are quoted only when they contain the delimiter, a quote or a line break. Nulls are empty.
public struct CSVWriter: Sendable {
    public var delimiter: UInt8

    public init(delimiter: UInt8 = UInt8(ascii: ",")) {
        self.delimiter = delimiter
    }

    /// Appends the header line for `schema`.
    public func appendHeader(_ schema: Schema, to out: inout [UInt8]) {
        for (index, name) in schema.names.enumerated() {
            if index > 0 { out.append(delimiter) }
            name.utf8.withContiguousStorageIfAvailable { appendField($0, to: &out) } ?? appendField(Array(name.utf8), to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// Appends every row of `batch`.
    ///
    /// Column by column, then row by row: each column's fields are first formatted into one
    /// shared buffer (a string column that needs no quoting is taken as it is, one copy), and
    /// the rows are then laid out by copying slices. One type dispatch per column, not one
    /// per value, and no per-value access to the column's enum storage. A large batch is cut
    /// into pieces formatted on several threads and joined in order.
    public func appendRows(_ batch: RecordBatch, to out: inout [UInt8]) {
        let rows = batch.rowCount
        guard rows > 0 else { return }
        let pieceRows = Self.parallelPieceRows
        guard rows >= 2 * pieceRows else {
            appendRows(batch, range: 0..<rows, to: &out)
            return
        }
        let pieces = (rows + pieceRows - 1) / pieceRows
        let texts = Locked([[UInt8]](repeating: [], count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            var text: [UInt8] = []
            appendRows(batch, range: piece * pieceRows..<min(rows, (piece + 1) * pieceRows), to: &text)
            texts.withLock { $0[piece] = text }
        }
        for text in texts.withLock({ $0 }) { out.append(contentsOf: text) }
    }

    /// Rows per piece when a batch is formatted on several threads.
    static let parallelPieceRows = 16_384

    private func appendRows(_ batch: RecordBatch, range: Range<Int>, to out: inout [UInt8]) {
        let rows = range.count, columns = batch.columns.count
        guard columns > 0 else {
            out.append(contentsOf: repeatElement(UInt8(ascii: "\n"), count: rows))
            return
        }
        var text: [UInt8] = []
        // Column c's row r is text[spans[2 * (c * rows + r)] ..< spans[2 * (c * rows + r) + 1]].
        var spans: [Int] = []
        spans.reserveCapacity(2 * columns * rows)
        for column in batch.columns { appendColumn(column, range: range, text: &text, spans: &spans) }
        var total = rows * columns
        spans.withUnsafeBufferPointer { spans in
            for index in stride(from: 0, to: spans.count, by: 2) { total += spans[index + 1] - spans[index] }
        }
        let base = out.count
        out.append(contentsOf: repeatElement(0, count: total))
        let delimiter = self.delimiter
        out.withUnsafeMutableBufferPointer { output in
            text.withUnsafeBufferPointer { text in
                spans.withUnsafeBufferPointer { spans in
                    guard let source = text.baseAddress ?? UnsafePointer(bitPattern: 1), let target = output.baseAddress else { return }
                    var position = base
                    for row in 0..<rows {
                        for column in 0..<columns {
                            let index = 2 * (column * rows + row)
                            let start = spans[index], length = spans[index + 1] - start
                            if length > 0 { (target + position).update(from: source + start, count: length) }
                            position += length
                            target[position] = column == columns - 1 ? UInt8(ascii: "\n") : delimiter
                            position += 1
                        }
                    }
                }
            }
        }
    }

    /// Formats one column's fields in `range` onto `text`, recording each one's span. A string
    /// column that needs no quotes is copied whole, its nulls empty spans.
    private func appendColumn(_ column: Column, range: Range<Int>, text: inout [UInt8], spans: inout [Int]) {
        if case .string(let storage) = column.storage, !needsQuoting(storage, range) {
            let first = Int(storage.offsets[range.lowerBound])
            let shift = text.count - first
            text.append(contentsOf: storage.bytes[first..<Int(storage.offsets[range.upperBound])])
            storage.offsets.withUnsafeBufferPointer { offsets in
                if let validity = column.validity {
                    for row in range {
                        let valid = validity.isValid(row)
                        spans.append(Int(offsets[row]) + shift)
                        spans.append(valid ? Int(offsets[row + 1]) + shift : Int(offsets[row]) + shift)
                    }
                } else {
                    for row in range {
                        spans.append(Int(offsets[row]) + shift)
                        spans.append(Int(offsets[row + 1]) + shift)
                    }
                }
            }
            return
        }
        for row in range {
            spans.append(text.count)
            appendValue(column, row, to: &text)
            spans.append(text.count)
        }
    }

    /// Whether any byte of the rows in `range` would force quotes (delimiter, quote, line break).
    private func needsQuoting(_ storage: StringStorage, _ range: Range<Int>) -> Bool {
        let delimiter = self.delimiter
        let first = Int(storage.offsets[range.lowerBound]), last = Int(storage.offsets[range.upperBound])
        return storage.bytes.withUnsafeBufferPointer { buffer in
            var found = false
            for index in first..<last {
                let byte = buffer[index]
                found = found || byte == delimiter || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            }
            return found
        }
    }

    private func appendValue(_ column: Column, _ row: Int, to out: inout [UInt8]) {
        if column.isNull(row) { return }
        switch column.storage {
        case .int64(let values):
            switch column.type {
            case .decimal(_, let scale): DecimalMath.append(values[row], scale: scale, to: &out)
            case .timestamp: DateEncoding.appendTimestamp(values[row], to: &out)
            default: appendInteger(values[row], to: &out)
            }
        case .int32(let values): DateEncoding.appendISODate(values[row], to: &out)
        case .float64(let values): out.append(contentsOf: String(values[row]).utf8)
        case .bool(let values): out.append(contentsOf: (values[row] ? "true" : "false").utf8)
        case .string(let storage): storage.withBytes(at: row) { appendField($0, to: &out) }
        case .list:
            let text = column.value(at: row).description
            appendField(Array(text.utf8), to: &out)
        }
    }

    @inline(__always)
    func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        DecimalMath.append(value, scale: 0, to: &out)
    }

    private func appendField<C: Collection>(_ bytes: C, to out: inout [UInt8]) where C.Element == UInt8 {
        CSVField.append(bytes, delimiter: delimiter, to: &out)
    }
}

/// Writes a whole result to one CSV file atomically (temporary name, then rename).
public enum CSVFileSink {
    /// Writes `batches` (all of `schema`) with a header to `path`.
    public static func write(_ batches: [RecordBatch], schema: Schema, to path: String, writer: CSVWriter = CSVWriter()) throws(SluiceError) {
        let file = try CSVFileOutput(path: path, schema: schema, writer: writer)
        for batch in batches { try file.append(batch) }
        try file.finish()
    }
}
