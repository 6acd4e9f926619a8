public import SluiceCore

/// Parses PostgreSQL `COPY … TO STDOUT` text format into record batches of a given schema.
///
/// The input is rows ending in `\n` with tab-separated fields; `\N` is null, and backslash
/// escapes (`\\ \t \n \r \b \f \v`, octal `\123`, hex `\x7F`, and `\c` for any other `c`) are
/// undone. A raw newline or tab that follows a backslash is data, not a row or field break.
/// A `\.` line ends the data. Text is read into typed builders without a `String` per value:
/// `int64` and `decimal` as digits, `date` and `timestamp` in ISO form (with `BC` and UTC
/// offsets), `bool` as PostgreSQL spells it, list columns as array literals.
///
/// Feed bytes in chunks of any size (whole rows, as `PQgetCopyData` gives them, or arbitrary
/// slices); a batch comes out every ``batchRows`` rows and ``finish()`` returns the rest.
/// After an error the decoder drops the bad row and stays usable. Not thread-safe.
///
/// ```swift
/// var decoder = CopyTextDecoder(schema: schema, batchRows: 10_000)
/// for batch in try decoder.decode(chunk) { … }
/// if let last = try decoder.finish() { … }
/// ```
public struct CopyTextDecoder: Sendable {
    /// The shape of every batch produced.
    public let schema: Schema
    /// Rows per batch (at least 1).
    public let batchRows: Int
    /// Rows decoded so far, over the whole stream.
    public private(set) var rowsDecoded = 0

    private var builders: [ColumnBuilder]
    private var rowsInBatch = 0
    /// The start of a row whose end has not arrived yet.
    private var pending: [UInt8] = []
    /// True when `pending` ends in a backslash whose escaped byte has not arrived yet.
    private var pendingEscape = false
    /// Scratch space for unescaping one field.
    private var scratch: [UInt8] = []
    private var ended = false

    /// A decoder for rows of `schema`, emitting batches of `batchRows` rows.
    public init(schema: Schema, batchRows: Int = 65_536) {
        self.schema = schema
        self.batchRows = max(1, batchRows)
        self.builders = schema.fields.map { ColumnBuilder(type: $0.type, capacity: min(max(1, batchRows), 4096)) }
    }

    /// Decodes a chunk of COPY text and returns the batches it completed (often none).
    /// - Throws: a `.data` ``SluiceError`` naming the row, column and text that could not be
    ///   read (wrong field count, a value that is not of the column's type).
    public mutating func decode(_ chunk: UnsafeRawBufferPointer) throws(SluiceError) -> [RecordBatch] {
        var batches: [RecordBatch] = []
        let bytes = chunk.bindMemory(to: UInt8.self)
        var start = 0
        var escaped = pendingEscape
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if byte == PostgresText.backslash {
                escaped = true
            } else if byte == PostgresText.newline {
                let line = UnsafeBufferPointer(rebasing: bytes[start..<index])
                if pending.isEmpty {
                    try decodeLine(line)
                } else {
                    pending.append(contentsOf: line)
                    let whole = pending
                    pending.removeAll(keepingCapacity: true)
                    try whole.withBuffer { (line) throws(SluiceError) in try decodeLine(line) }
                }
                if rowsInBatch >= batchRows { batches.append(takeBatch()) }
                start = index + 1
            }
            index += 1
        }
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        pendingEscape = escaped
        return batches
    }

    /// Decodes a chunk of COPY text held in an array.
    public mutating func decode(_ chunk: [UInt8]) throws(SluiceError) -> [RecordBatch] {
        let result = chunk.withUnsafeBytes { raw in
            Result { () throws(SluiceError) -> [RecordBatch] in try decode(raw) }
        }
        return try result.get()
    }

    /// The rows decoded since the last batch, or nil when there are none.
    /// - Throws: a `.data` ``SluiceError`` when the input ended inside a row (no final `\n`).
    public mutating func finish() throws(SluiceError) -> RecordBatch? {
        if !pending.isEmpty {
            let rest = pending
            pending.removeAll()
            pendingEscape = false
            if !(rest == [PostgresText.backslash, UInt8(ascii: ".")]) {
                throw SluiceError(.data, "COPY data ended inside row \(rowsDecoded + 1) (no final newline)")
            }
        }
        return rowsInBatch > 0 ? takeBatch() : nil
    }

    /// Decodes a whole COPY text into batches of `batchRows` rows; convenience for tests.
    public static func decode(_ bytes: [UInt8], schema: Schema, batchRows: Int = 65_536) throws(SluiceError) -> [RecordBatch] {
        var decoder = CopyTextDecoder(schema: schema, batchRows: batchRows)
        var batches = try decoder.decode(bytes)
        if let last = try decoder.finish() { batches.append(last) }
        return batches
    }

    private mutating func takeBatch() -> RecordBatch {
        let columns = builders.map { $0.finish() }
        let batch = RecordBatch(unchecked: schema, columns: columns, rowCount: rowsInBatch)
        builders = schema.fields.map { ColumnBuilder(type: $0.type, capacity: batchRows) }
        rowsInBatch = 0
        return batch
    }

    // MARK: Rows and fields

    /// Decodes one row (without its `\n`); on error the builders are rolled back to the row start.
    private mutating func decodeLine(_ line: UnsafeBufferPointer<UInt8>) throws(SluiceError) {
        var line = line
        if let last = line.last, last == PostgresText.carriageReturn, !Self.endsInEscape(line, before: line.count - 1) {
            line = UnsafeBufferPointer(rebasing: line[0..<(line.count - 1)])
        }
        if ended { return }
        if line.count == 2, line[0] == PostgresText.backslash, line[1] == UInt8(ascii: ".") {
            ended = true
            return
        }
        guard !schema.fields.isEmpty else { return }
        do {
            try decodeFields(line)
        } catch {
            for index in builders.indices { builders[index].truncate(to: rowsInBatch) }
            throw error
        }
        rowsInBatch += 1
        rowsDecoded += 1
    }

    private mutating func decodeFields(_ line: UnsafeBufferPointer<UInt8>) throws(SluiceError) {
        var column = 0
        var start = 0
        var index = 0
        var hasEscape = false
        while true {
            let atEnd = index == line.count
            if atEnd || line[index] == PostgresText.tab {
                guard column < builders.count else {
                    throw rowError("has more than \(builders.count) fields", column: nil, line: line)
                }
                try decodeField(UnsafeBufferPointer(rebasing: line[start..<index]), column: column, hasEscape: hasEscape)
                column += 1
                if atEnd { break }
                start = index + 1
                hasEscape = false
            } else if line[index] == PostgresText.backslash {
                hasEscape = true
                index += 1 // the escaped byte is data, even a tab
                if index == line.count { break }
            }
            index += 1
        }
        guard column == builders.count else {
            throw rowError("has \(column) fields, expected \(builders.count)", column: nil, line: line)
        }
    }

    private mutating func decodeField(_ field: UnsafeBufferPointer<UInt8>, column: Int, hasEscape: Bool) throws(SluiceError) {
        if field.count == 2, field[0] == PostgresText.backslash, field[1] == UInt8(ascii: "N") {
            builders[column].appendNull()
            return
        }
        guard hasEscape else {
            try append(field, column: column)
            return
        }
        var text = scratch
        scratch = []
        defer { scratch = text }
        Self.unescape(field, into: &text)
        try text.withBuffer { (value) throws(SluiceError) in try append(value, column: column) }
    }

    /// Appends one field's unescaped text to its column's builder.
    private mutating func append(_ text: UnsafeBufferPointer<UInt8>, column: Int) throws(SluiceError) {
        let type = schema[column].type
        switch type {
        case .string:
            builders[column].append(bytes: text)
            return
        case .int64:
            if let value = PostgresText.parseInt64(text) { builders[column].append(int64: value); return }
        case .decimal(_, let scale):
            if let value = DecimalMath.parse(text, scale: scale) { builders[column].append(int64: value); return }
        case .timestamp:
            if let value = PostgresText.parseTimestamp(text) { builders[column].append(int64: value); return }
        case .float64:
            if let value = PostgresText.parseFloat64(text) { builders[column].append(float64: value); return }
        case .date:
            if let value = PostgresText.parseDate(text) { builders[column].append(date: value); return }
        case .bool:
            if let value = PostgresText.parseBool(text) { builders[column].append(bool: value); return }
        case .list(let element):
            if let values = PostgresText.parseArray(text, element: element) {
                try builders[column].append(list: values)
                return
            }
        }
        throw rowError("cannot read '\(Self.excerpt(text))' as \(type)", column: column, line: nil)
    }

    private func rowError(_ problem: String, column: Int?, line: UnsafeBufferPointer<UInt8>?) -> SluiceError {
        var message = "COPY row \(rowsDecoded + 1)"
        if let column { message += ", column '\(schema[column].name)'" }
        message += ": \(problem)"
        if let line { message += " in '\(Self.excerpt(line))'" }
        return SluiceError(.data, message, hint: "check that the query's columns match the schema \(schema)")
    }

    // MARK: Escapes

    /// Undoes COPY text escapes.
    static func unescape(_ field: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var index = 0
        while index < field.count {
            let byte = field[index]
            index += 1
            guard byte == PostgresText.backslash, index < field.count else {
                out.append(byte)
                continue
            }
            let code = field[index]
            index += 1
            switch code {
            case UInt8(ascii: "n"): out.append(PostgresText.newline)
            case UInt8(ascii: "t"): out.append(PostgresText.tab)
            case UInt8(ascii: "r"): out.append(PostgresText.carriageReturn)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(code - 48)
                var digits = 1
                while digits < 3, index < field.count, (48...55).contains(field[index]) {
                    value = value * 8 + Int(field[index] - 48)
                    index += 1
                    digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x"):
                var value = 0
                var digits = 0
                while digits < 2, index < field.count, let digit = hexValue(field[index]) {
                    value = value * 16 + digit
                    index += 1
                    digits += 1
                }
                if digits == 0 { out.append(UInt8(ascii: "x")) } else { out.append(UInt8(value)) }
            default:
                out.append(code)
            }
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 65...70: Int(byte - 55)
        case 97...102: Int(byte - 87)
        default: nil
        }
    }

    /// True when the byte at `position` is preceded by an odd number of backslashes.
    private static func endsInEscape(_ line: UnsafeBufferPointer<UInt8>, before position: Int) -> Bool {
        var count = 0
        var index = position - 1
        while index >= 0, line[index] == PostgresText.backslash {
            count += 1
            index -= 1
        }
        return count % 2 == 1
    }

    /// At most 60 bytes of text for an error message.
    private static func excerpt(_ text: UnsafeBufferPointer<UInt8>) -> String {
        let shown = String(decoding: UnsafeBufferPointer(rebasing: text[0..<min(text.count, 60)]), as: UTF8.self)
        return text.count > 60 ? shown + "…" : shown
    }
}

extension [UInt8] {
    /// `withUnsafeBufferPointer` for a body with typed throws.
    func withBuffer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws(SluiceError) -> R) throws(SluiceError) -> R {
        let result = withUnsafeBufferPointer { buffer in
            Result { () throws(SluiceError) -> R in try body(buffer) }
        }
        return try result.get()
    }
}
