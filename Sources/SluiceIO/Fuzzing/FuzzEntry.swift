import SluiceCore

/// Entry points for coverage-guided fuzzing: the libFuzzer targets in `Fuzz/` call them with
/// arbitrary bytes, and the tests replay the seed corpus and seeded mutants through them.
///
/// Each one reads the bytes with the real internal readers and checks the invariants the
/// rest of Sluice relies on — that a CSV file's records do not depend on how it is split,
/// that every JSON object read is passed or rejected. The first broken invariant is
/// returned as a ``Violation`` naming it; the libFuzzer targets turn it into the crash a
/// fuzzer detects and keeps the input of, and the tests expect none.
/// Not API: it is reached only through `@_spi(Fuzzing) import SluiceIO`.
@_spi(Fuzzing) public enum FuzzEntry {
    /// Reads `bytes` as CSV under a few dialects and bounds, checking the tokenizer, the
    /// record stepper and the split synchronizer against each other; traps on a violation.
    ///
    /// For each setting: records are stepped from the start of the input, from just after
    /// the header (where ``CSVSource`` starts) and from a few arbitrary offsets, and every
    /// step must advance, count exactly the newlines it spans, keep its field spans inside
    /// the record, and be decided the same way from any buffer that ends earlier (or ask for
    /// more). Then for a dozen split points, ``CSVSynchronizer/meetingPoint(_:atEnd:stepper:)``
    /// must find a record start at or after the split that every one of those readings
    /// passes through — the property that makes the rows independent of the split size —
    /// with the rest of the input, and also with a window that ends early (or give up).
    public static func csv(_ bytes: UnsafeBufferPointer<UInt8>) -> Violation? {
        _ = CSVSniffer.detectDelimiter(bytes, quote: UInt8(ascii: "\""), atEnd: true)
        _ = CSVSniffer.records(bytes, dialect: CSVDialect(delimiter: UInt8(ascii: "|")), atEnd: true, limit: 64)
        do throws(Violation) {
            for setting in CSVFuzzSetting.all {
                let check = CSVFuzzCheck(bytes: bytes, setting: setting)
                defer { check.release() }
                try check.run()
            }
            return nil
        } catch {
            return error
        }
    }

    /// Decodes `bytes` as a JSON document against a fixed event schema and against the
    /// schema inferred from the bytes themselves; traps on a violation.
    ///
    /// Every object read must be passed or rejected (`read == passed + rejected`), every
    /// column must have a value per row, rejects must come in document order with the line
    /// of their byte offset, errors must be data errors that name the line of their byte,
    /// and a decoder used again after a document (finished or failed) must give exactly the
    /// same outcome, as ``ArchiveJSONSource`` reuses one decoder for a task's entries.
    public static func json(_ bytes: UnsafeBufferPointer<UInt8>) -> Violation? {
        do throws(Violation) {
            try JSONFuzzCheck(bytes: bytes, schema: JSONFuzzCheck.events).run()
            let inferred = JSONSchemaInference.infer(bytes)
            if inferred.count > 0 { try JSONFuzzCheck(bytes: bytes, schema: inferred).run() }
            return nil
        } catch {
            return error
        }
    }

    /// A broken invariant, named.
    public struct Violation: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { "fuzz invariant broken: \(message)" }
    }

    /// Throws a ``Violation`` with `message` when `condition` is false.
    @inline(__always)
    static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(Violation) {
        if !condition { throw Violation(message: message()) }
    }
}

/// A dialect and the two record bounds the CSV fuzz entry reads each input with.
struct CSVFuzzSetting: Sendable {
    var dialect: CSVDialect
    var maxLineBytes: Int
    var maxQuotedLines: Int

    /// The seed files' shape with the default bounds; tight bounds, so long records and
    /// stray quotes resynchronise often; backslash escapes; and no quoting at all.
    static let all: [CSVFuzzSetting] = [
        CSVFuzzSetting(dialect: CSVDialect(delimiter: UInt8(ascii: "|")), maxLineBytes: 1 << 20, maxQuotedLines: CSVOptions.defaultMaxQuotedLines),
        CSVFuzzSetting(dialect: CSVDialect(delimiter: UInt8(ascii: ",")), maxLineBytes: 96, maxQuotedLines: 2),
        CSVFuzzSetting(dialect: CSVDialect(delimiter: UInt8(ascii: ";"), escape: UInt8(ascii: "\\")), maxLineBytes: 4_096, maxQuotedLines: 3),
        CSVFuzzSetting(dialect: CSVDialect(delimiter: UInt8(ascii: "\t"), quote: nil), maxLineBytes: 64, maxQuotedLines: 1),
    ]
}

/// One input under one setting: the checks of ``FuzzEntry/csv(_:)``.
final class CSVFuzzCheck {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let stepper: CSVRecordStepper
    private let spans: UnsafeMutableBufferPointer<FieldSpan>
    /// The end of the step from each offset once checked (-1: not yet stepped).
    private var nextOf: [Int]
    private var scratch: [UInt8] = []
    private var builders: [ColumnBuilder]
    private var caches: [ParseCache]
    private let plans: [FieldPlan]

    /// The field types each record's fields are parsed as, in turn.
    private static let types: [DataType] = [.string, .int64, .date, .decimal(precision: 12, scale: 2), .timestamp, .float64, .bool]

    init(bytes: UnsafeBufferPointer<UInt8>, setting: CSVFuzzSetting) {
        self.bytes = bytes
        stepper = CSVRecordStepper(dialect: setting.dialect, maxLineBytes: setting.maxLineBytes, maxQuotedLines: setting.maxQuotedLines)
        spans = .allocate(capacity: 16)
        nextOf = Array(repeating: -1, count: bytes.count)
        let formats = ["%d/%m/%Y", "%m/%d/%Y %I:%M %p"].compactMap { try? DateTimeFormat($0) }
        plans = Self.types.map { FieldPlan(type: $0, formats: formats) }
        builders = Self.types.map { ColumnBuilder(type: $0) }
        caches = Array(repeating: ParseCache(), count: Self.types.count)
    }

    func release() {
        spans.deallocate()
    }

    func run() throws(FuzzEntry.Violation) {
        let count = bytes.count
        guard count > 0 else { return }
        let dataStart = headerEnd()
        // Readings from the input's start, from after the header, and from arbitrary bytes:
        // the record holding a split's byte before it ends at one of the split's candidate
        // line starts whichever way it was reached, so every reading must pass the meeting point.
        var readings: [(origin: Int, starts: Set<Int>)] = []
        for origin in Set([0, count / 3, count / 2 + 1, dataStart ?? 0]).sorted() where origin < count {
            readings.append((origin, try chain(from: origin)))
        }
        for split in splitPoints(after: dataStart ?? 0) {
            try checkSplit(split, readings: readings)
        }
    }

    /// Where ``CSVSource`` starts reading records: after a BOM and the header, which is
    /// scanned without the record bounds; nil when the header never ends.
    private func headerEnd() -> Int? {
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        guard bom < bytes.count else { return nil }
        let rest = UnsafeBufferPointer(rebasing: bytes[bom...])
        guard case .complete(_, let next, _) = stepper.tokenizer.scan(rest, from: 0, atEnd: true, spans: spans) else { return nil }
        return bom + next
    }

    /// The record starts of the reading that begins at `origin`, with the input's end.
    private func chain(from origin: Int) throws(FuzzEntry.Violation) -> Set<Int> {
        var starts: Set<Int> = [bytes.count]
        var position = origin
        while position < bytes.count {
            starts.insert(position)
            position = try next(after: position)
        }
        return starts
    }

    /// The start of the record after the one at `start`, checking that step once.
    private func next(after start: Int) throws(FuzzEntry.Violation) -> Int {
        if nextOf[start] >= 0 { return nextOf[start] }
        let full = stepper.step(bytes, from: start, atEnd: true, spans: spans)
        let next: Int
        switch full {
        case .record(let fields, let end, let newlines):
            try FuzzEntry.require(end > start && end <= bytes.count, "a record step at \(start) did not advance (\(end))")
            try FuzzEntry.require(end == bytes.count || bytes[end - 1] == UInt8(ascii: "\n"), "the record at \(start) ends at \(end), not after a newline")
            try FuzzEntry.require(fields >= 1, "a record at \(start) with no field")
            let counted = newlineCount(start..<end)
            try FuzzEntry.require(newlines == counted, "the record at \(start)..<\(end) counts \(newlines) newlines; it has \(counted)")
            try checkFields(fields, start: start, end: end)
            next = end
        case .resync:
            guard let line = stepper.nextLine(bytes, from: start, atEnd: true) else { throw FuzzEntry.Violation(message: "no next line at the end of the input") }
            try FuzzEntry.require(line > start, "resynchronising at \(start) did not advance")
            next = line
        case .needMore:
            throw FuzzEntry.Violation(message: "the step at \(start) asks for more bytes although the input ends")
        }
        for cut in [start + 1, (start + next) / 2, next - 1, next, next + 1] where cut > start && cut < bytes.count {
            let partial = stepper.step(UnsafeBufferPointer(rebasing: bytes[..<cut]), from: start, atEnd: false, spans: spans)
            try FuzzEntry.require(Self.agrees(partial, full), "the step at \(start) is \(full) from the whole input but \(partial) from a buffer of \(cut) bytes")
        }
        nextOf[start] = next
        return next
    }

    /// A step from a shorter buffer either waits for more bytes or decides as the whole input does.
    private static func agrees(_ partial: RecordStep, _ full: RecordStep) -> Bool {
        switch (partial, full) {
        case (.needMore, _): return true
        case (.record(let fields, let next, let newlines), .record(let wholeFields, let wholeNext, let wholeNewlines)):
            return fields == wholeFields && next == wholeNext && newlines == wholeNewlines
        case (.resync(let kind), .resync(let wholeKind)): return kind == wholeKind
        default: return false
        }
    }

    /// Checks the spans of a scanned record and parses its fields as the typed columns would.
    private func checkFields(_ fields: Int, start: Int, end: Int) throws(FuzzEntry.Violation) {
        let tokenizer = stepper.tokenizer
        for index in 0..<min(fields, spans.count) {
            let span = spans[index]
            try FuzzEntry.require(start <= span.start && span.start <= span.end && span.end <= end,
                         "field \(index) of the record at \(start)..<\(end) spans \(span.start)..<\(span.end)")
            let field = UnsafeBufferPointer(rebasing: bytes[span.start..<span.end])
            if span.flags & FieldSpan.nonASCII != 0 { _ = CSVFieldParser.isValidUTF8(field) }
            let column = index % plans.count
            let before = builders[column].count
            let quoted = span.flags & FieldSpan.quoted != 0
            let parsed: Bool
            if span.flags & FieldSpan.escaped != 0 {
                tokenizer.unescape(field, into: &scratch)
                try FuzzEntry.require(scratch.count <= field.count, "unescaping made a field longer")
                parsed = scratch.withUnsafeBufferPointer { CSVFieldParser.append($0, quoted: quoted, plan: plans[column], to: &builders[column], cache: &caches[column]) }
            } else {
                parsed = CSVFieldParser.append(field, quoted: quoted, plan: plans[column], to: &builders[column], cache: &caches[column])
            }
            try FuzzEntry.require(builders[column].count == before + (parsed ? 1 : 0), "a parsed field appended \(builders[column].count - before) values")
            if builders[column].count > 4_096 { builders[column] = ColumnBuilder(type: Self.types[column]) }
        }
    }

    /// A dozen split points spread over the records after the header, and a few just after
    /// a newline (where a split's first candidate is the split itself).
    private func splitPoints(after dataStart: Int) -> [Int] {
        let count = bytes.count
        guard count - dataStart > 1 else { return [] }
        var points = Set((0..<12).map { dataStart + 1 + (count - dataStart - 1) * $0 / 12 })
        for quarter in 1...4 {
            var position = dataStart + (count - dataStart) * quarter / 5
            while position < count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
            points.insert(position + 1)
        }
        return points.filter { $0 > dataStart && $0 < count }.sorted()
    }

    /// The synchronizer's meeting point for a split at `split` must be a record start of
    /// every reading that begins before the split.
    private func checkSplit(_ split: Int, readings: [(origin: Int, starts: Set<Int>)]) throws(FuzzEntry.Violation) {
        let rest = UnsafeBufferPointer(rebasing: bytes[(split - 1)...])
        guard let meeting = CSVSynchronizer.meetingPoint(rest, atEnd: true, stepper: stepper) else {
            throw FuzzEntry.Violation(message: "the chains after split \(split) never meet although the window reaches the end of the input")
        }
        try checkMeeting(split - 1 + meeting, split: split, readings: readings, window: rest.count)
        let shorter = rest.count / 2
        guard shorter > 0 else { return }
        let window = UnsafeBufferPointer(rebasing: bytes[(split - 1)..<(split - 1 + shorter)])
        if let early = CSVSynchronizer.meetingPoint(window, atEnd: false, stepper: stepper) {
            try checkMeeting(split - 1 + early, split: split, readings: readings, window: shorter)
        }
    }

    private func checkMeeting(_ point: Int, split: Int, readings: [(origin: Int, starts: Set<Int>)], window: Int) throws(FuzzEntry.Violation) {
        try FuzzEntry.require(point >= split && point <= bytes.count, "split \(split): meeting point \(point) is before the split")
        for reading in readings where reading.origin < split {
            try FuzzEntry.require(reading.starts.contains(point),
                         "split \(split) (window \(window)): meeting point \(point) is not a record start of the reading from \(reading.origin)")
        }
    }

    private func newlineCount(_ range: Range<Int>) -> Int {
        var count = 0
        for index in range where bytes[index] == UInt8(ascii: "\n") { count += 1 }
        return count
    }
}

/// One document against one schema: the checks of ``FuzzEntry/json(_:)``.
struct JSONFuzzCheck {
    let bytes: UnsafeBufferPointer<UInt8>
    let schema: Schema

    /// The ecommerce events' fields, with a nested object, a list kept as JSON text and one
    /// column of each other type, so mutated values reach every conversion.
    static let events = Schema([
        Field("timestamp", .timestamp), Field("customer_id", .string), Field("event_type", .string), Field("product_id", .string),
        Field("quantity", .int64), Field("price", .decimal(precision: 10, scale: 2)), Field("score", .float64), Field("vip", .bool),
        Field("day", .date), Field("device.os", .string), Field("device.meta.v", .int64), Field("tags", .string),
    ])

    /// What decoding gave: rows and rejects, or the error.
    struct Outcome: Equatable {
        var rows: String = ""
        var read = 0
        var passed = 0
        var rejects: [Reject] = []
        var error: String?
    }

    func run() throws(FuzzEntry.Violation) {
        let formats = ["day": ["%d/%m/%Y"].compactMap { try? DateTimeFormat($0) }]
        let decoder = JSONRecordDecoder(schema: schema, formats: formats)
        let first = try decode(with: decoder)
        let again = try decode(with: decoder)
        try FuzzEntry.require(first == again, "a reused decoder read the document differently: \(first) then \(again)")
    }

    private func decode(with decoder: JSONRecordDecoder) throws(FuzzEntry.Violation) -> Outcome {
        var rejects: [Reject] = []
        let read: Int
        do throws(SluiceError) {
            read = try decoder.decode(bytes, source: "fuzz.json", rejects: &rejects)
        } catch {
            _ = decoder.takeBatch()
            try FuzzEntry.require(error.kind == .data, "decoding failed with a \(error.kind) error: \(error)")
            try checkLocation(error.location ?? "")
            return Outcome(error: "\(error)")
        }
        let batch = decoder.takeBatch()
        try FuzzEntry.require(read == batch.rowCount + rejects.count, "read \(read) objects, passed \(batch.rowCount), rejected \(rejects.count)")
        for column in batch.columns {
            try FuzzEntry.require(column.count == batch.rowCount, "a column of \(column.count) values in a batch of \(batch.rowCount) rows")
        }
        var previous = -1
        for reject in rejects {
            try FuzzEntry.require(reject.byteOffset > previous && reject.byteOffset <= bytes.count, "reject at byte \(reject.byteOffset) after \(previous)")
            try FuzzEntry.require(reject.line == line(at: reject.byteOffset), "reject at byte \(reject.byteOffset) says line \(reject.line)")
            previous = reject.byteOffset
        }
        return Outcome(rows: "\(batch.rows)", read: read, passed: batch.rowCount, rejects: rejects)
    }

    /// A location `fuzz.json at byte B, line L` must name the line byte B is on.
    private func checkLocation(_ location: String) throws(FuzzEntry.Violation) {
        let parts = location.split(separator: " ")
        guard parts.count == 6, parts[1] == "at", parts[2] == "byte", parts[4] == "line",
              let byte = Int(parts[3].dropLast()), let line = Int(parts[5]) else {
            throw FuzzEntry.Violation(message: "an error location that names no byte and line: \(location)")
        }
        try FuzzEntry.require(byte >= 0 && byte <= bytes.count && line == self.line(at: byte), "error at byte \(byte) says line \(line)")
    }

    /// The 1-based line of byte `offset`.
    private func line(at offset: Int) -> Int {
        var line = 1
        for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") { line += 1 }
        return line
    }
}
