public import SluiceCore

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
    public func appendRows(_ batch: RecordBatch, to out: inout [UInt8]) {
        for row in 0..<batch.rowCount {
            for (index, column) in batch.columns.enumerated() {
                if index > 0 { out.append(delimiter) }
                appendValue(column, row, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
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
        let needsQuotes = bytes.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard needsQuotes else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
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
