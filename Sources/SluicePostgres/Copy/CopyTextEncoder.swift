public import SluiceCore

/// Encodes the rows of record batches as PostgreSQL `COPY … FROM STDIN` text format, straight
/// from the column buffers.
///
/// Fields are separated by a tab and rows end with `\n`; null is `\N`; in text, backslash, tab,
/// newline and carriage return are written `\\`, `\t`, `\n`, `\r`. Integers and decimals are
/// plain digits (decimals through `DecimalMath.append`), dates `YYYY-MM-DD`, timestamps UTC
/// `YYYY-MM-DD HH:MM:SS[.ffffff]` (load them into `timestamp` columns, or set
/// ``includeUTCOffset`` for `timestamptz`; ``PostgresConnection`` sessions are UTC either way),
/// booleans `t`/`f`, doubles in their shortest round-trip form, and list columns as array
/// literals (`{1,2,NULL}`, `{"a","b c"}`).
///
/// Encoding works column by column into one scratch buffer (no `String` per row or value), then
/// interleaves the cells row by row. The scratch buffers are kept between calls, so reuse one
/// encoder for a stream of batches. Not thread-safe; use one encoder per thread.
///
/// ```swift
/// var encoder = CopyTextEncoder()
/// var bytes: [UInt8] = []
/// try encoder.encode(batch, into: &bytes)
/// ```
public struct CopyTextEncoder: Sendable {
    /// Appends `+00` to timestamps, for `timestamptz` columns in sessions of any time zone.
    public var includeUTCOffset: Bool
    /// Cells of the current batch, column after column.
    private var cells: [UInt8] = []
    /// End offset in `cells` of every cell, column-major: `ends[column * rows + row]`.
    private var ends: [Int] = []

    /// An encoder; `includeUTCOffset` appends `+00` to timestamps.
    public init(includeUTCOffset: Bool = false) {
        self.includeUTCOffset = includeUTCOffset
    }

    /// Appends every row of `batch` to `out`.
    /// - Throws: a `.data` ``SluiceError`` naming the row and column of a string that holds a
    ///   NUL byte, which PostgreSQL text cannot store; `out` is then left unchanged.
    /// - Complexity: O(bytes written).
    public mutating func encode(_ batch: RecordBatch, into out: inout [UInt8]) throws(SluiceError) {
        let rows = batch.rowCount
        let columnCount = batch.columns.count
        guard rows > 0, columnCount > 0 else { return }
        cells.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        ends.reserveCapacity(rows * columnCount)
        for (index, column) in batch.columns.enumerated() {
            if let badRow = encodeColumn(column, rows: rows) {
                throw SluiceError(
                    .data,
                    "row \(badRow + 1), column '\(batch.schema[index].name)': text contains a NUL byte, which PostgreSQL cannot store",
                    hint: "remove NUL characters from the input or replace them in the job"
                )
            }
        }
        out.reserveCapacity(out.count + cells.count + rows * columnCount)
        cells.withUnsafeBufferPointer { cellBytes in
            ends.withUnsafeBufferPointer { ends in
                for row in 0..<rows {
                    for column in 0..<columnCount {
                        let slot = column * rows + row
                        let start = slot == 0 ? 0 : ends[slot - 1]
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: cellBytes[start..<ends[slot]]))
                        out.append(column == columnCount - 1 ? PostgresText.newline : PostgresText.tab)
                    }
                }
            }
        }
    }

    /// The COPY text of a batch; convenience for tests and small loads.
    public static func encode(_ batch: RecordBatch, includeUTCOffset: Bool = false) throws(SluiceError) -> [UInt8] {
        var encoder = CopyTextEncoder(includeUTCOffset: includeUTCOffset)
        var out: [UInt8] = []
        try encoder.encode(batch, into: &out)
        return out
    }

    /// Writes the cells of one column; returns the first row whose text holds a NUL byte.
    private mutating func encodeColumn(_ column: Column, rows: Int) -> Int? {
        let hasNulls = column.validity != nil
        switch column.storage {
        case .int64(let values):
            let scale = column.type.scale
            let isTimestamp = column.type == .timestamp
            for row in 0..<rows {
                if hasNulls && column.isNull(row) {
                    appendNull()
                } else if isTimestamp {
                    PostgresText.appendTimestamp(values[row], utcOffset: includeUTCOffset, to: &cells)
                } else {
                    DecimalMath.append(values[row], scale: scale, to: &cells)
                }
                ends.append(cells.count)
            }
        case .float64(let values):
            for row in 0..<rows {
                if hasNulls && column.isNull(row) { appendNull() } else { PostgresText.appendFloat(values[row], to: &cells) }
                ends.append(cells.count)
            }
        case .int32(let values):
            for row in 0..<rows {
                if hasNulls && column.isNull(row) { appendNull() } else { PostgresText.appendDate(values[row], to: &cells) }
                ends.append(cells.count)
            }
        case .bool(let values):
            for row in 0..<rows {
                if hasNulls && column.isNull(row) { appendNull() } else { PostgresText.appendBool(values[row], to: &cells) }
                ends.append(cells.count)
            }
        case .string(let storage):
            return encodeStrings(storage, column: column, rows: rows)
        case .list:
            var literal: [UInt8] = []
            for row in 0..<rows {
                if hasNulls && column.isNull(row) {
                    appendNull()
                } else {
                    literal.removeAll(keepingCapacity: true)
                    PostgresText.appendArray(column, at: row, to: &literal)
                    if let failed = literal.withUnsafeBufferPointer({ appendEscaped($0) ? nil : row }) { return failed }
                }
                ends.append(cells.count)
            }
        }
        return nil
    }

    private mutating func encodeStrings(_ storage: StringStorage, column: Column, rows: Int) -> Int? {
        CopyStrings.firstRefused(storage, column, rows: rows) { text in
            if let text {
                guard appendEscaped(text) else { return false }
            } else {
                appendNull()
            }
            ends.append(cells.count)
            return true
        }
    }

    /// Appends text with COPY escapes; returns false (and appends nothing more) on a NUL byte.
    private mutating func appendEscaped(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var clean = true
        for byte in text where byte <= PostgresText.backslash {
            if byte == PostgresText.backslash || byte == PostgresText.tab || byte == PostgresText.newline
                || byte == PostgresText.carriageReturn || byte == 0 {
                clean = false
                break
            }
        }
        if clean {
            cells.append(contentsOf: text)
            return true
        }
        for byte in text {
            switch byte {
            case PostgresText.backslash: cells.append(PostgresText.backslash); cells.append(PostgresText.backslash)
            case PostgresText.tab: cells.append(PostgresText.backslash); cells.append(UInt8(ascii: "t"))
            case PostgresText.newline: cells.append(PostgresText.backslash); cells.append(UInt8(ascii: "n"))
            case PostgresText.carriageReturn: cells.append(PostgresText.backslash); cells.append(UInt8(ascii: "r"))
            case 0: return false
            default: cells.append(byte)
            }
        }
        return true
    }

    private mutating func appendNull() {
        cells.append(PostgresText.backslash)
        cells.append(UInt8(ascii: "N"))
    }
}
