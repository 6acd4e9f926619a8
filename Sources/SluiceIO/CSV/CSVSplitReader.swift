import Synchronization
import SluiceCore
import SluiceEngine

/// Parses the records of one split of a CSV file into batches.
///
/// The split owns the records that start in its byte range, which begins and ends at record
/// starts (found by ``CSVSynchronizer``). Bytes come through `pread` into one reusable buffer that grows only for
/// a record longer than the buffer. Each row is appended straight into the column
/// builders (text columns into writers the reader reuses for every batch); a row that fails
/// is truncated off again and becomes a reject.
///
/// Its mutable state is touched for every field, so it carries `@exclusivity(unchecked)`: the
/// reader is used by one task at a time and no access to it overlaps another.
final class CSVSplitReader: BatchStream {
    private let source: CSVSource
    private let range: Range<Int>
    /// The projected columns that are fields of the file (builders are in this order).
    private let projection: [Int]
    private let plans: [FieldPlan]
    /// The file fields' schema, in `projection` order.
    private let schema: Schema
    /// The output, in the caller's projection order: a file field (index into `projection`),
    /// the source's name or the record's line.
    private let outputs: [Output]
    private let outputSchema: Schema
    private let wantsLines: Bool
    private var sourcePath: RepeatedTextColumn
    @exclusivity(unchecked) private var lines: [Int64] = []
    private let context: TaskContext
    private let tokenizer: CSVTokenizer
    private let stepper: CSVRecordStepper
    private let expectedFields: Int
    private let reservation: MemoryReservation
    private let blockBytes: Int

    @exclusivity(unchecked) private var buffer: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var bufferOffset: Int
    @exclusivity(unchecked) private var count = 0
    @exclusivity(unchecked) private var position = 0
    @exclusivity(unchecked) private var atFileEnd = false
    @exclusivity(unchecked) private var line: Int
    @exclusivity(unchecked) private var started = false
    @exclusivity(unchecked) private var finished = false
    @exclusivity(unchecked) private var spans: UnsafeMutableBufferPointer<FieldSpan>
    /// One per projected field, used by the text ones (the others keep their minimum).
    @exclusivity(unchecked) private var writers: UnsafeMutableBufferPointer<TextColumnWriter>
    /// A text column of the batch passed ``batchTextBytes``: the batch ends after this row.
    @exclusivity(unchecked) private var textFull = false
    /// Text one column of a batch may hold before the batch ends early: with a record of at
    /// most 1 GiB (the largest `maxLineBytes` anything sets), its offsets stay 32-bit.
    static let batchTextBytes = 512 << 20
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    @exclusivity(unchecked) private var caches: [ParseCache]
    @exclusivity(unchecked) private var reportedBytes: Int

    /// - Parameter trimmed: text columns (indices into the source's schema) read as
    ///   `nullIfEmpty(trim(field))`.
    init(source: CSVSource, range: Range<Int>, firstLine: Int, projection: [Int], trimmed: Set<Int> = [], context: TaskContext) throws(SluiceError) {
        self.source = source
        self.range = range
        self.line = firstLine
        let fileProjection = projection.filter { $0 < source.fileFieldCount }
        self.projection = fileProjection
        self.plans = fileProjection.map { column in
            var plan = source.fieldPlans[column]
            plan.trims = plan.kind == .string && trimmed.contains(column)
            return plan
        }
        self.schema = Schema(fileProjection.map { source.schema[$0] })
        var outputs: [Output] = []
        var fileIndex = 0
        for column in projection {
            if column < source.fileFieldCount {
                outputs.append(.field(fileIndex))
                fileIndex += 1
            } else {
                outputs.append(source.schema[column].name == Provenance.sourceColumn ? .source : .line)
            }
        }
        self.outputs = outputs
        self.outputSchema = Schema(projection.map { source.schema[$0] })
        self.sourcePath = RepeatedTextColumn(Array(source.file.path.utf8))
        self.wantsLines = outputs.contains { if case .line = $0 { true } else { false } }
        self.context = context
        self.stepper = source.stepper
        self.tokenizer = source.stepper.tokenizer
        self.expectedFields = source.fileFieldCount
        caches = Array(repeating: ParseCache(), count: fileProjection.count)
        // The read buffer is the scan's share of the budget: at most an eighth of a worker's
        // part of it, between 64 KB and 4 MB. It is the scan's minimum working memory, so it
        // is reserved but not refused.
        let share = context.runtime.config.memoryLimit.map { $0 / max(1, context.runtime.config.workers * 8) } ?? (4 << 20)
        blockBytes = min(4 << 20, max(64 << 10, min(share, range.count + 1)))
        buffer = .allocate(byteCount: blockBytes, alignment: 64)
        spans = .allocate(capacity: expectedFields + 1)
        let batchRows = min(context.batchRows, 8_192)
        writers = TextColumnWriter.allocate(rows: plans.map { $0.kind == .string ? batchRows : 0 })
        bufferOffset = range.lowerBound
        reportedBytes = range.lowerBound
        reservation = context.reservation("CSV reader")
        _ = reservation.tryResize(to: blockBytes)
    }

    deinit {
        buffer.deallocate()
        spans.deallocate()
        TextColumnWriter.deallocate(writers)
    }

    private var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// Moves the bytes from `keep` on to the front and reads more after them, growing the
    /// buffer when a single record fills it.
    private func refill(keeping keep: Int) throws(SluiceError) {
        guard let base = buffer.baseAddress else { return }
        let kept = count - keep
        if keep > 0, kept > 0 { base.copyMemory(from: base + keep, byteCount: kept) }
        bufferOffset += keep
        position -= keep
        count = kept
        if count == buffer.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 64)
            if let target = grown.baseAddress { target.copyMemory(from: base, byteCount: count) }
            buffer.deallocate()
            buffer = grown
            _ = reservation.tryResize(to: buffer.count)
        }
        let fileOffset = bufferOffset + count
        // Read to the split's end, where its last record ends.
        var want = buffer.count - count
        if fileOffset >= range.upperBound { want = min(want, 64 << 10) } else { want = min(want, range.upperBound - fileOffset) }
        let got = try source.file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count..<count + want]), at: fileOffset, count: want)
        count += got
        atFileEnd = bufferOffset + count >= source.file.size
        let consumed = min(bufferOffset + count, range.upperBound)
        if consumed > reportedBytes {
            context.runtime.progress.bytesRead.wrappingAdd(consumed - reportedBytes, ordering: .relaxed)
            reportedBytes = consumed
        }
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while !finished {
            if let batch = try readBatch() { return batch }
        }
        return nil
    }

    /// Parses up to a batch of rows; nil when every record read was rejected or skipped.
    private func readBatch() throws(SluiceError) -> RecordBatch? {
        if !started {
            started = true
            try refill(keeping: 0)
        }
        let batchRows = context.batchRows
        var builders = plans.indices.map { ColumnBuilder(type: schema[$0].type, capacity: plans[$0].kind == .string ? 0 : min(batchRows, 8_192)) }
        for index in plans.indices { writers[index].truncate(to: 0) }
        textFull = false
        var rows = 0
        var read = 0
        var blank = 0
        let countsBlankLines = source.options.countBlankLines
        var rejects: [Reject] = []
        // The per-field tables are borrowed once per batch, not once per field: reading them
        // through the reader's arrays cost a retain, a release and a uniqueness check per field.
        let notNull = source.notNullIndices
        try builders.withUnsafeMutableBufferPointer { (builders: inout UnsafeMutableBufferPointer<ColumnBuilder>) throws(SluiceError) in
        try caches.withUnsafeMutableBufferPointer { (caches: inout UnsafeMutableBufferPointer<ParseCache>) throws(SluiceError) in
        try plans.withUnsafeBufferPointer { (plans: UnsafeBufferPointer<FieldPlan>) throws(SluiceError) in
        try projection.withUnsafeBufferPointer { (projection: UnsafeBufferPointer<Int>) throws(SluiceError) in
        try notNull.withUnsafeBufferPointer { (notNull: UnsafeBufferPointer<Int>) throws(SluiceError) in
        let rowFields = RowFields(projection: projection, plans: plans, notNull: notNull, writers: writers)
        while rows < batchRows, !textFull {
            let recordOffset = bufferOffset + position
            if recordOffset >= range.upperBound || (atFileEnd && position >= count) {
                try finish(at: recordOffset)
                break
            }
            if position >= count {
                try refill(keeping: position)
                continue
            }
            let next: Int, fields: Int, newlines: Int
            switch stepper.step(bytes, from: position, atEnd: atFileEnd, spans: spans) {
            case .record(let recordFields, let recordNext, let recordNewlines):
                (fields, next, newlines) = (recordFields, recordNext, recordNewlines)
            case .resync(let kind):
                read += 1
                let lineEnd = stepper.nextLine(bytes, from: position, atEnd: true) ?? count
                rejects.append(reject(from: position, to: lineEnd, line: line, column: nil, kind: kind, message: stepper.message(for: kind)))
                try skipLine()
                continue
            case .needMore:
                try refill(keeping: position)
                continue
            }
            let recordLine = line
            let recordStart = position
            line += newlines
            position = next
            if fields == 1, spans[0].start >= spans[0].end, spans[0].flags & FieldSpan.quoted == 0 {
                if countsBlankLines {
                    read += 1
                    blank += 1
                }
                continue
            }
            read += 1
            if fields != expectedFields {
                rejects.append(reject(from: recordStart, to: next, line: recordLine, column: nil, kind: .fieldCount,
                                      message: "expected \(expectedFields) fields, found \(fields)"))
                continue
            }
            if let failure = appendRow(rowFields, to: builders, caches: caches) {
                for index in builders.indices {
                    builders[index].truncate(to: rows)
                    writers[index].truncate(to: rows)
                }
                rejects.append(reject(from: recordStart, to: next, line: recordLine, column: failure.column, kind: failure.kind, message: failure.message))
                continue
            }
            if wantsLines { lines.append(Int64(recordLine)) }
            rows += 1
        }
        }
        }
        }
        }
        }
        context.runtime.progress.rowsRead.wrappingAdd(read, ordering: .relaxed)
        source.rejects.count(source: source.file.path, read: read, passed: rows, rejected: rejects.count, apart: blank, blank: blank)
        try source.rejects.add(rejects)
        try context.checkCancelled()
        guard rows > 0 else { return nil }
        var fields = builders.indices.map { plans[$0].kind == .string ? writers[$0].finish() : builders[$0].finish() }
        let columns = outputs.map { output -> Column in
            switch output {
            case .field(let index): return fields[index]
            case .line: return .int64(lines)
            case .source: return sourcePath.column(rows: rows)
            }
        }
        fields = []
        lines.removeAll(keepingCapacity: true)
        return RecordBatch(unchecked: outputSchema, columns: columns, rowCount: rows)
    }

    private enum Output {
        case field(Int)
        case source
        case line
    }

    private struct Failure {
        var column: String
        var kind: RejectKind
        var message: String
    }

    /// The tables ``appendRow(_:to:caches:)`` reads for every field, borrowed for one batch.
    private struct RowFields {
        let projection: UnsafeBufferPointer<Int>
        let plans: UnsafeBufferPointer<FieldPlan>
        let notNull: UnsafeBufferPointer<Int>
        let writers: UnsafeMutableBufferPointer<TextColumnWriter>
    }

    /// Appends the projected fields of the scanned record; returns the first failure.
    @inline(__always)
    private func appendRow(_ fields: RowFields, to builders: UnsafeMutableBufferPointer<ColumnBuilder>,
                           caches: UnsafeMutableBufferPointer<ParseCache>) -> Failure? {
        let all = bytes
        let plans = fields.plans
        for column in fields.notNull {
            let span = spans[column]
            // A field that starts with a byte other than a blank is not empty: no trim needed
            // (trimming both ends of every key field was an eighth of this function's work).
            if span.end > span.start, all[span.start] != 0x20, all[span.start] != 0x09 { continue }
            let field = CSVFieldParser.trimmed(UnsafeBufferPointer(rebasing: all[span.start..<max(span.start, span.end)]))
            if field.isEmpty {
                let name = source.schema[column].name
                return Failure(column: name, kind: .invalidValue, message: "\(name) is empty")
            }
        }
        // One plan per projected field: none only when nothing is projected.
        guard let planBase = plans.baseAddress else { return nil }
        for (output, column) in fields.projection.enumerated() {
            let span = spans[column]
            if span.flags & FieldSpan.malformed != 0 {
                return Failure(column: schema[output].name, kind: .castFailure, message: "text after the closing quote or an unclosed quote")
            }
            var field = UnsafeBufferPointer(rebasing: all[span.start..<max(span.start, span.end)])
            if span.flags & FieldSpan.nonASCII != 0, !CSVFieldParser.isValidUTF8(field) {
                return Failure(column: schema[output].name, kind: .invalidUTF8, message: "invalid UTF-8 in column \(schema[output].name)")
            }
            let quoted = span.flags & FieldSpan.quoted != 0
            let ok: Bool
            if plans[output].kind == .string {
                let appended: Bool
                if span.flags & FieldSpan.escaped != 0 {
                    tokenizer.unescape(field, into: &scratch)
                    appended = scratch.withUnsafeBufferPointer { CSVFieldParser.appendText($0, quoted: quoted, trims: plans[output].trims, to: &fields.writers[output]) }
                } else {
                    appended = CSVFieldParser.appendText(field, quoted: quoted, trims: plans[output].trims, to: &fields.writers[output])
                }
                guard appended else {
                    return Failure(column: schema[output].name, kind: .lineTooLong,
                                   message: "column \(schema[output].name) would hold over 2 GiB of text in one batch (a field of \(field.count) bytes)")
                }
                if fields.writers[output].byteCount > Self.batchTextBytes { textFull = true }
                continue
            }
            if span.flags & FieldSpan.escaped != 0 {
                tokenizer.unescape(field, into: &scratch)
                ok = scratch.withUnsafeBufferPointer {
                    CSVFieldParser.append($0, quoted: quoted, planAt: planBase + output, to: &builders[output], cache: &caches[output])
                }
            } else {
                ok = CSVFieldParser.append(field, quoted: quoted, planAt: planBase + output, to: &builders[output], cache: &caches[output])
            }
            if !ok {
                field = UnsafeBufferPointer(rebasing: field[0..<min(field.count, 200)])
                if plans[output].kind == .int64 || plans[output].kind == .decimal, CSVFieldParser.isPlainNumber(field) {
                    return Failure(column: schema[output].name, kind: .overflow,
                                   message: "\(String(decoding: field, as: UTF8.self)) does not fit column \(schema[output].name) (\(schema[output].type))")
                }
                return Failure(column: schema[output].name, kind: .castFailure,
                               message: "'\(String(decoding: field, as: UTF8.self))' is not a valid \(schema[output].type) for column \(schema[output].name)")
            }
        }
        return nil
    }

    private func reject(from start: Int, to end: Int, line: Int, column: String?, kind: RejectKind, message: String) -> Reject {
        var stop = min(end, count)
        while stop > start, bytes[stop - 1] == UInt8(ascii: "\n") || bytes[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
        let raw = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<min(stop, start + 4_096)]), as: UTF8.self)
        return Reject(source: source.file.path, line: line, byteOffset: bufferOffset + start, column: column, kind: kind, raw: raw, message: message)
    }

    /// Skips past the next newline, ignoring quotes: resynchronises after a record too long
    /// to be one (usually an unclosed quote).
    private func skipLine() throws(SluiceError) {
        while true {
            while position < count {
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    return
                }
            }
            if atFileEnd { return }
            try refill(keeping: position)
        }
    }

    /// Ends the split; its last record must have ended exactly where the next split's first
    /// begins, which the synchronizer guarantees.
    private func finish(at offset: Int) throws(SluiceError) {
        finished = true
        reservation.free()
        if offset != range.upperBound, offset < source.file.size {
            throw SluiceError.internal("CSV split \(range) of \(source.file.path) ended its records at byte \(offset)")
        }
    }
}
