public import SluiceCore

/// Decodes JSON documents — one array of objects, or newline-delimited objects — into typed
/// columns of a fixed schema.
///
/// Nested objects are flattened: `{"a": {"b": 1}}` fills column `a.b`. Arrays (and objects
/// no column asks for) are kept as their JSON text in string columns. Keys the schema does
/// not name are skipped; names it has that an object lacks are null. A value of the wrong
/// type (a string where a number belongs) makes the whole object a `type_conflict` reject
/// with the key path and byte position; numbers are read exactly (decimals never pass
/// through floating point).
///
/// Its builders and scratch buffers are touched for every value, so they carry
/// `@exclusivity(unchecked)`: a decoder belongs to one task and no access to it overlaps another.
public final class JSONRecordDecoder {
    public let schema: Schema
    private let names: [[UInt8]]
    /// Each name's first 8 bytes as a word (``ByteWord/prefix(_:)``), to turn most keys away
    /// without comparing bytes.
    private let nameWords: [UInt64]
    /// Columns of type string, which take a nested object as its text.
    let stringColumns: [Bool]
    /// Each column's parse plan, read where it lies: a plan copied out of an array for every
    /// value retained and released its date formats (two atomic operations a value).
    private let plans: UnsafeMutablePointer<FieldPlan>
    /// Prefixes of flattened names (`a.`), to know when to descend into an object.
    let objectPrefixes: Set<[UInt8]>
    @exclusivity(unchecked) private var builders: [ColumnBuilder]
    /// The text columns' values, written through raw memory the decoder reuses for every
    /// batch (their builders stay empty); one per column, the others at their minimum.
    @exclusivity(unchecked) private var writers: UnsafeMutableBufferPointer<TextColumnWriter>
    @exclusivity(unchecked) var seen: [Bool]
    @exclusivity(unchecked) var scratch: [UInt8] = []
    /// The current key path (`a.b.c`) in its first `pathLength` bytes; its storage only grows,
    /// since shortening an array goes through the generic range replacement (4 % of an
    /// ecommerce run when every key did).
    @exclusivity(unchecked) var path = [UInt8](repeating: 0, count: 64)
    @exclusivity(unchecked) var pathLength = 0
    @exclusivity(unchecked) var rows = 0
    @exclusivity(unchecked) private var caches: [ParseCache]
    /// Record, for every row, the line its object starts on (a source's provenance).
    @exclusivity(unchecked) public var recordsLines = false
    /// With ``recordsLines``, the 1-based line each row of the batch last taken starts on.
    public private(set) var batchLines: [Int64] = []
    @exclusivity(unchecked) var rowLines: [Int64] = []
    /// Newlines counted so far in the current document: up to `position`, `line` lines.
    @exclusivity(unchecked) var lineCursor = (position: 0, line: 1)
    /// The layouts of the last objects read member by member, replayed against the next
    /// objects (see `JSONRecordDecoder+Objects.swift`).
    @exclusivity(unchecked) var shapes = JSONObjectShapes()

    /// - Parameter formats: date / timestamp formats tried per column after ISO 8601.
    public init(schema: Schema, formats: [String: [DateTimeFormat]] = [:]) {
        self.schema = schema
        names = schema.names.map { Array($0.utf8) }
        nameWords = names.map { name in name.withUnsafeBufferPointer { ByteWord.prefix($0) } }
        stringColumns = schema.fields.map { $0.type == .string }
        plans = .allocate(capacity: max(1, schema.count))
        plans.initialize(from: schema.fields.map { FieldPlan(type: $0.type, formats: formats[$0.name] ?? []) }, count: schema.count)
        var prefixes = Set<[UInt8]>()
        for name in schema.names {
            var parts = name.split(separator: ".", omittingEmptySubsequences: false).dropLast()
            while !parts.isEmpty {
                prefixes.insert(Array(parts.joined(separator: ".").utf8) + [UInt8(ascii: ".")])
                parts = parts.dropLast()
            }
        }
        objectPrefixes = prefixes
        builders = schema.fields.map { ColumnBuilder(type: $0.type) }
        writers = TextColumnWriter.allocate(rows: schema.fields.map { $0.type == .string ? 4_096 : 0 })
        seen = Array(repeating: false, count: schema.count)
        caches = Array(repeating: ParseCache(), count: schema.count)
    }

    deinit {
        TextColumnWriter.deallocate(writers)
        plans.deinitialize(count: schema.count)
        plans.deallocate()
    }

    /// Rows decoded and not yet taken.
    public var pendingRows: Int { rows }

    /// Returns the rows decoded so far as a batch and starts a new one.
    public func takeBatch() -> RecordBatch {
        let columns = builders.indices.map { stringColumns[$0] ? writers[$0].finish() : builders[$0].finish() }
        let batch = RecordBatch(unchecked: schema, columns: columns, rowCount: rows)
        builders = schema.fields.map { ColumnBuilder(type: $0.type, capacity: $0.type == .string ? 0 : rows) }
        rows = 0
        batchLines = rowLines
        rowLines.removeAll(keepingCapacity: true)
        return batch
    }

    /// Decodes every object of `document`, appending rows and collecting rejects.
    ///
    /// A document is a sequence of top-level values, each an array of objects or one object
    /// (NDJSON), so concatenated arrays (`[…][…]`) are read whole, as DuckDB and Polars read
    /// them; UTF-8 byte order marks before a value are skipped. Bytes after an array that
    /// begin no other value are one `trailing_data` reject, counted as one object read.
    /// - Returns: the number of objects read (rows appended + rejected).
    /// - Throws: a data error for malformed JSON inside an array (the rest of the document
    ///   cannot be trusted), or for a document that starts with neither `[` nor `{` (it is not
    ///   JSON at all); malformed lines of NDJSON are rejects instead.
    public func decode(_ document: UnsafeBufferPointer<UInt8>, source: String, rejects: inout [Reject]) throws(SluiceError) -> Int {
        var scanner = JSONScanner(document)
        var lines = LineCounter()
        lineCursor = (0, 1)
        shapes.startDocument()
        var read = 0
        var previous = Previous.nothing
        while true {
            scanner.skipWhitespaceAndByteOrderMarks()
            guard let next = scanner.peek() else { return read }
            if next == UInt8(ascii: "[") {
                read += try array(&scanner, source: source, lines: &lines, rejects: &rejects)
                previous = .array
            } else if next == UInt8(ascii: "{") || previous == .objects {
                read += 1
                objectLine(&scanner, source: source, lines: &lines, rejects: &rejects)
                previous = .objects
            } else if previous == .array {
                let start = scanner.position
                let message = "trailing data after the last JSON document (\(document.count - start) bytes)"
                rejects.append(reject(document, start..<document.count, source: source, line: lines.line(at: start, in: document),
                                      failure: Failure(column: nil, kind: .trailingData, message: message)))
                return read + 1
            } else {
                let start = scanner.position
                throw SluiceError(.data, "not JSON: \(Self.describeStart(of: document, at: start))",
                                  location: "\(source) at byte \(start), line \(lines.line(at: start, in: document))",
                                  hint: "JSON input is an array of objects, or one object per line (NDJSON), in UTF-8")
            }
        }
    }

    /// The kind of the last top-level value: after an array, bytes that begin no value are
    /// trailing data; among NDJSON objects, a line that is not an object is a rejected line.
    private enum Previous {
        case nothing, array, objects
    }

    /// Counts lines up to a byte position; positions asked for only grow, so each byte is
    /// looked at once.
    private struct LineCounter {
        var line = 1
        var counted = 0

        mutating func line(at position: Int, in document: UnsafeBufferPointer<UInt8>) -> Int {
            while counted < min(position, document.count) {
                if document[counted] == 0x0A { line += 1 }
                counted += 1
            }
            return line
        }
    }

    /// Reads one array of objects from its `[` through its `]`; returns the objects read.
    private func array(_ scanner: inout JSONScanner, source: String, lines: inout LineCounter, rejects: inout [Reject]) throws(SluiceError) -> Int {
        let document = scanner.bytes
        scanner.position += 1
        if scanner.consume(UInt8(ascii: "]")) { return 0 }
        var read = 0
        while true {
            scanner.skipWhitespace()
            let start = scanner.position
            do {
                if let failure = try object(&scanner) {
                    rejects.append(reject(document, start..<scanner.position, source: source, line: lines.line(at: start, in: document), failure: failure))
                }
            } catch {
                throw SluiceError(.data, "malformed JSON: \(error.message)",
                                  location: "\(source) at byte \(error.position), line \(lines.line(at: error.position, in: document))",
                                  hint: "the file is truncated or not JSON")
            }
            read += 1
            if scanner.consume(UInt8(ascii: ",")) { continue }
            if scanner.consume(UInt8(ascii: "]")) { return read }
            throw SluiceError(.data, "malformed JSON: expected ',' or ']' after an object",
                              location: "\(source) at byte \(scanner.position), line \(lines.line(at: scanner.position, in: document))")
        }
    }

    /// Reads one NDJSON object; a broken one is a reject up to the end of its line, and
    /// reading goes on at the next line.
    private func objectLine(_ scanner: inout JSONScanner, source: String, lines: inout LineCounter, rejects: inout [Reject]) {
        let document = scanner.bytes
        let start = scanner.position
        do {
            if let failure = try object(&scanner) {
                rejects.append(reject(document, start..<scanner.position, source: source, line: lines.line(at: start, in: document), failure: failure))
            }
        } catch {
            var end = start
            while end < document.count, document[end] != 0x0A { end += 1 }
            truncateRow()
            rejects.append(reject(document, start..<end, source: source, line: lines.line(at: start, in: document),
                                  failure: Failure(column: nil, kind: .typeConflict, message: "malformed JSON: \(error.message) at byte \(error.position)")))
            scanner.position = end
        }
    }

    /// What a document that is not JSON starts with, for the error message.
    private static func describeStart(of document: UnsafeBufferPointer<UInt8>, at start: Int) -> String {
        let head = UnsafeBufferPointer(rebasing: document[start..<min(document.count, start + 2)])
        if head.elementsEqual([0xFF, 0xFE]) || head.elementsEqual([0xFE, 0xFF]) { return "UTF-16 text (only UTF-8 is read)" }
        let window = document[start..<min(document.count, start + 40)]
        let preview = UnsafeBufferPointer(rebasing: window.prefix { (0x20..<0x7F).contains($0) })
        return "neither an array nor newline-delimited objects" + (preview.isEmpty ? "" : " (starts with '\(String(decoding: preview, as: UTF8.self))')")
    }

    /// Drops the current object's values from every column (it became a reject).
    func truncateRow() {
        for index in builders.indices {
            builders[index].truncate(to: rows)
            writers[index].truncate(to: rows)
        }
    }

    /// Text into column `column`'s writer; a failure when the batch's text in the column
    /// would pass 2 GiB (its offsets are 32-bit).
    private func appendText(_ text: UnsafeBufferPointer<UInt8>, column: Int) -> Failure? {
        if writers[column].append(text) { return nil }
        let name = schema[column].name
        return Failure(column: name, kind: .overflow,
                       message: "\(name) would hold over 2 GiB of text in one document's batch; split the document into smaller files")
    }

    /// A null in column `column`, in its writer for text columns.
    func appendNull(column: Int) {
        if stringColumns[column] { writers[column].appendNull() } else { builders[column].appendNull() }
    }

    struct Failure {
        var column: String?
        var kind: RejectKind
        var message: String
    }

    /// Cuts the key path back to its first `length` bytes.
    @inline(__always)
    func truncatePath(to length: Int) {
        pathLength = min(pathLength, length)
    }

    /// Appends `bytes` to the key path, growing its storage when needed.
    @inline(__always)
    func appendPath(_ bytes: UnsafeBufferPointer<UInt8>) {
        let start = pathLength, end = start + bytes.count
        if end > path.count { path += [UInt8](repeating: 0, count: max(end - path.count, path.count)) }
        path.withUnsafeMutableBufferPointer { out in
            guard let target = out.baseAddress, let source = bytes.baseAddress else { return }
            (target + start).update(from: source, count: bytes.count)
        }
        pathLength = end
    }

    static let dot: [UInt8] = [UInt8(ascii: ".")]

    /// The column named `key` (a flattened path), or nil: names whose length and first 8
    /// bytes differ are passed over without a byte comparison.
    func columnIndex(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let word = ByteWord.prefix(key)
        for index in names.indices where nameWords[index] == word && names[index].count == key.count {
            let equal = names[index].withUnsafeBufferPointer { name in
                var position = 8
                while position < name.count, name[position] == key[position] { position += 1 }
                return position >= name.count
            }
            if equal { return index }
        }
        return nil
    }

    /// Reads one value into column `column`; returns a failure on a type conflict.
    func value(_ scanner: inout JSONScanner, column: Int) throws(JSONSyntaxError) -> Failure? {
        let planAt = UnsafePointer(plans + column)
        let kind = planAt.pointee.kind
        let bytes = scanner.bytes
        func conflict(_ found: String) -> Failure {
            let name = schema[column].name
            return Failure(column: name, kind: .typeConflict, message: "\(name) is \(found), expected \(schema[column].type)")
        }
        switch scanner.peek() {
        case UInt8(ascii: "\""):
            let token = try scanner.string()
            guard kind == .string || kind == .date || kind == .timestamp else {
                let text = UnsafeBufferPointer(rebasing: bytes[token.range.lowerBound..<min(token.range.upperBound, token.range.lowerBound + 100)])
                return conflict("the string '\(String(decoding: text, as: UTF8.self))'")
            }
            func appendToken(_ text: UnsafeBufferPointer<UInt8>) -> Failure? {
                if token.nonASCII, !CSVFieldParser.isValidUTF8(text) {
                    // The name only on failure: copying it out of the schema cost a retain and a release a value.
                    let name = schema[column].name
                    return Failure(column: name, kind: .invalidUTF8, message: "invalid UTF-8 in \(name)")
                }
                if stringColumns[column] { return appendText(text, column: column) }
                if CSVFieldParser.append(text, quoted: true, planAt: planAt, to: &builders[column], cache: &caches[column]) { return nil }
                return conflict("'\(String(decoding: text.prefix(100), as: UTF8.self))'")
            }
            guard token.escaped else { return appendToken(UnsafeBufferPointer(rebasing: bytes[token.range])) }
            try scanner.decode(token, into: &scratch)
            let decoded = scratch
            return decoded.withUnsafeBufferPointer { appendToken($0) }
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let isTrue = scanner.peek() == UInt8(ascii: "t")
            try scanner.literal(isTrue ? "true" : "false")
            switch kind {
            case .bool: builders[column].append(bool: isTrue)
            case .string where stringColumns[column]:
                var literal = isTrue ? "true" : "false"
                return literal.withUTF8 { appendText($0, column: column) }
            case .string: builders[column].append(string: isTrue ? "true" : "false")
            default: return conflict("a boolean")
            }
            return nil
        case UInt8(ascii: "n"):
            try scanner.literal("null")
            appendNull(column: column)
            return nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let range = try scanner.skipValue()
            guard kind == .string else { return conflict(bytes[range.lowerBound] == UInt8(ascii: "[") ? "an array" : "an object") }
            if stringColumns[column] {
                return appendText(UnsafeBufferPointer(rebasing: bytes[range]), column: column)
            } else {
                builders[column].append(bytes: UnsafeBufferPointer(rebasing: bytes[range]))
            }
            return nil
        default:
            let (range, integral) = try scanner.number()
            let text = UnsafeBufferPointer(rebasing: bytes[range])
            // A well-formed number that its column cannot hold is an `overflow`, not a conflict.
            func overflow() -> Failure { overflowFailure(column: column, text: text) }
            switch kind {
            case .int64:
                guard integral else { return conflict("\(String(decoding: text, as: UTF8.self))") }
                guard let number = CSVFieldParser.parseInt(text) else { return overflow() }
                builders[column].append(int64: number)
            case .string where stringColumns[column]:
                return appendText(text, column: column)
            case .float64, .decimal, .string:
                guard CSVFieldParser.append(text, quoted: false, planAt: planAt, to: &builders[column], cache: &caches[column]) else {
                    // Plain digits with a point that a decimal column refuses are too large for it.
                    let exponent = text.contains(UInt8(ascii: "e")) || text.contains(UInt8(ascii: "E"))
                    if kind == .decimal, !exponent { return overflow() }
                    return conflict("\(String(decoding: text, as: UTF8.self))")
                }
            case .timestamp:
                guard integral else { return conflict("a number") }
                guard let seconds = CSVFieldParser.parseInt(text) else { return overflow() }
                let (micros, wrapped) = seconds.multipliedReportingOverflow(by: DateEncoding.microsPerSecond)
                if wrapped { return overflow() }
                builders[column].append(int64: micros)
            default:
                return conflict("a number")
            }
            return nil
        }
    }

    /// The 1-based line of byte `position` of `bytes`, counting on from the last position
    /// asked for (rows come in document order, so a document is scanned for newlines once).
    func line(at position: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int64 {
        if position < lineCursor.position { lineCursor = (0, 1) }
        let line = lineCursor.line + NewlineCounter.count(in: bytes, from: lineCursor.position, to: min(position, bytes.count))
        lineCursor = (position, line)
        return Int64(line)
    }

    private func overflowFailure(column: Int, text: UnsafeBufferPointer<UInt8>) -> Failure {
        let name = schema[column].name
        return Failure(column: name, kind: .overflow, message: "\(name) \(String(decoding: text.prefix(100), as: UTF8.self)) does not fit \(schema[column].type)")
    }

    private func reject(_ document: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, source: String, line: Int, failure: Failure) -> Reject {
        let end = min(range.upperBound, range.lowerBound + 4_096, document.count)
        let raw = String(decoding: UnsafeBufferPointer(rebasing: document[range.lowerBound..<max(range.lowerBound, end)]), as: UTF8.self)
        return Reject(source: source, line: line, byteOffset: range.lowerBound, column: failure.column, kind: failure.kind, raw: raw,
                      message: failure.message)
    }
}
