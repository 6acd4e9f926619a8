public import SluiceCore
public import SluiceEngine
import Synchronization

/// A CSV file as a table: split into byte ranges parsed in parallel, typed against a schema
/// (given or inferred), with bad rows sent to a ``RejectSink``.
///
/// ```swift
/// let source = try CSVSource(path: "transaction.csv", options: CSVOptions(requiredColumns: ["custId"]))
/// let frame = DataFrame(source)
/// ```
public final class CSVSource: TrimmingTableSource {
    public let file: ReadableFile
    /// The file's size: the planner sizes the shuffles by it.
    public var estimatedBytes: Int? { file.size }
    public let dialect: CSVDialect
    public let schema: Schema
    public let rejects: RejectSink
    let options: CSVOptions
    /// The first byte after the BOM and header.
    let dataStart: Int
    let headerLines: Int
    let fieldPlans: [FieldPlan]
    /// The file's own columns; with provenance, the schema has two more after them.
    let fileFieldCount: Int
    let notNullIndices: [Int]
    let stepper: CSVRecordStepper
    private let prepared = Locked<Prepared?>(nil)

    /// Per split: the records it owns (`starts[i]..<ends[i]`, empty when its bytes are read
    /// by the split before it) and the line its first record is on.
    struct Prepared {
        var starts: [Int]
        var ends: [Int]
        var firstLines: [Int]
    }

    /// Opens the file and reads its start to settle dialect, header and schema.
    /// - Throws: a configuration error for a missing or unreadable file; a data error for an
    ///   empty or binary file, or a header without the required columns.
    public init(path: String, options: CSVOptions = CSVOptions(), rejects: RejectSink = RejectSink()) throws(SluiceError) {
        file = try ReadableFile(path: path)
        self.options = options
        self.rejects = rejects
        guard file.size > 0 else {
            throw SluiceError(.data, "the file is empty: no header and no rows", location: path,
                              hint: "check that the export finished writing")
        }
        let sampleBytes = try file.readBytes(at: 0, count: options.sampleBytes)
        let bom = sampleBytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if sampleBytes.contains(0) {
            throw SluiceError(.data, "the file looks binary (it contains NUL bytes), not CSV text", location: path,
                              hint: "pass the CSV file, not an archive or spreadsheet")
        }
        let atEnd = sampleBytes.count == file.size
        let sample = Array(sampleBytes[bom...])
        var dialect = CSVDialect(delimiter: UInt8(ascii: ","), quote: options.quote, escape: options.escape, hasHeader: options.hasHeader)
        dialect.delimiter = options.delimiter ?? sample.withUnsafeBufferPointer {
            CSVSniffer.detectDelimiter($0, quote: options.quote, atEnd: atEnd)
        }
        self.dialect = dialect
        let tokenizer = CSVTokenizer(dialect)
        var names: [String] = []
        var headerEnd = bom
        let records = sample.withUnsafeBufferPointer {
            CSVSniffer.records($0, dialect: CSVDialect(delimiter: dialect.delimiter, quote: dialect.quote, escape: dialect.escape, hasHeader: false), atEnd: atEnd, limit: 2_001)
        }
        if dialect.hasHeader {
            let spans = UnsafeMutableBufferPointer<FieldSpan>.allocate(capacity: 1)
            defer { spans.deallocate() }
            let scanned = sample.withUnsafeBufferPointer { tokenizer.scan($0, from: 0, atEnd: atEnd, spans: spans) }
            guard case .complete(_, let next, _) = scanned, let header = records.first else {
                throw SluiceError(.data, "the header line is longer than the \(options.sampleBytes)-byte sample", location: path)
            }
            guard header.allSatisfy({ String(validating: Array($0.utf8), as: UTF8.self) != nil }) else {
                throw SluiceError(.data, "the header is not valid UTF-8 text", location: path)
            }
            headerEnd = bom + next
            names = Self.uniqueNames(header)
        } else {
            names = (1...max(1, records.first?.count ?? 1)).map { "column\($0)" }
        }
        dataStart = headerEnd
        stepper = CSVRecordStepper(dialect: dialect, maxLineBytes: options.maxLineBytes, maxQuotedLines: options.maxQuotedLines)
        headerLines = dialect.hasHeader ? sample[0..<(headerEnd - bom)].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } : 0
        let missing = options.requiredColumns.filter { !names.contains($0) }
        if !missing.isEmpty {
            throw SluiceError(
                .data,
                "the header is missing column(s) \(missing.joined(separator: ", ")); it has: \(names.joined(separator: ", "))",
                location: path,
                hint: "check that this is the right file and that the delimiter (\(dialect)) is right"
            )
        }
        let body = dialect.hasHeader ? Array(records.dropFirst()) : records
        var fields: [Field] = []
        for (index, name) in names.enumerated() {
            let type = options.columnTypes[name] ?? options.defaultType ?? CSVSniffer.inferType(body.prefix(2_000).compactMap { index < $0.count ? $0[index] : nil })
            if case .list = type {
                throw SluiceError(.configuration, "column \(name) is given the type \(type), but a CSV field is one value", location: path,
                                  hint: "read it as string and split it in the plan")
            }
            fields.append(Field(name, type))
        }
        if options.provenance, let clash = names.first(where: Provenance.isProvenance) {
            throw SluiceError(.data, "the header has a column named \(clash), which Sluice adds itself to say where each row came from",
                              location: path, hint: "rename that column in the file")
        }
        fileFieldCount = fields.count
        schema = Schema(options.provenance ? fields + Provenance.fields : fields)
        fieldPlans = fields.map { FieldPlan(type: $0.type, formats: options.formats[$0.name] ?? []) }
        notNullIndices = options.notNullColumns.compactMap { names.firstIndex(of: $0) }
    }

    static func uniqueNames(_ header: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return header.enumerated().map { index, raw in
            var name = raw.isEmpty ? "column\(index + 1)" : raw
            if let count = seen[name] {
                seen[name] = count + 1
                name += "_\(count + 1)"
            } else {
                seen[name] = 1
            }
            return name
        }
    }

    public var scanName: String { "CSVScan" }
    public var displayName: String { file.path }

    public func partitionCount(config: ExecutionConfig) -> Int {
        FileSplitter.ranges(dataStart: dataStart, fileSize: file.size,
                            splitBytes: FileSplitter.splitBytes(fileSize: file.size, config: config)).count
    }

    /// Finds, in parallel, where each split's records begin (``CSVSynchronizer``) and the
    /// newlines before it, giving each split its records and its first line number.
    public func prepare(runtime: ExecutionRuntime) throws(SluiceError) {
        let ranges = FileSplitter.ranges(dataStart: dataStart, fileSize: file.size,
                                         splitBytes: FileSplitter.splitBytes(fileSize: file.size, config: runtime.config))
        runtime.progress.bytesTotal.wrappingAdd(file.size - dataStart, ordering: .relaxed)
        let file = self.file
        let stepper = self.stepper
        let window = min(64 << 20, max(4 << 20, 2 * options.maxLineBytes + (64 << 10)))
        var found: [(newlines: Int, start: CSVSynchronizer.Point?)] = []
        if ranges.count > 1 {
            found = try runtime.runTasks(stage: 0, taskCount: ranges.count - 1) { (context) throws(SluiceError) in
                let range = ranges[context.partition]
                let newlines = try FileSplitter.count(file, range: range, quote: nil).newlines
                let reservation = context.reservation("CSV split search")
                _ = reservation.tryResize(to: min(window, 64 << 10))
                defer { reservation.free() }
                return (newlines, try CSVSynchronizer.sharedRecordStart(in: file, from: range.upperBound, stepper: stepper, window: window))
            }
        }
        var starts: [Int?] = [dataStart]
        var firstLines = [headerLines + 1]
        var lines = headerLines + 1
        for index in found.indices {
            lines += found[index].newlines
            starts.append(found[index].start?.offset)
            firstLines.append(lines + (found[index].start?.newlines ?? 0))
        }
        // A split whose chains did not meet, or met at or past a later split's start, owns
        // nothing: the split before reads on to the next start that is known.
        var ends = Array(repeating: file.size, count: starts.count)
        var following = file.size
        for index in starts.indices.reversed() {
            ends[index] = following
            if let start = starts[index], start < following || index == 0 {
                following = start
            } else {
                starts[index] = nil
            }
        }
        let owned = starts.indices.map { starts[$0] ?? ends[$0] }
        prepared.withLock { $0 = Prepared(starts: owned, ends: ends, firstLines: firstLines) }
    }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        try open(partition: partition, projection: projection, trimmed: [], context: context)
    }

    /// Opens a split with the `trimmed` text columns cleaned while they are parsed.
    public func open(partition: Int, projection: [Int], trimmed: Set<Int>, context: TaskContext) throws(SluiceError) -> any BatchStream {
        let split = try prepared.withLock { (state: inout Prepared?) throws(SluiceError) -> (Range<Int>, Int) in
            guard let state else { throw SluiceError.internal("CSV split opened before prepare") }
            return (state.starts[partition]..<max(state.starts[partition], state.ends[partition]), state.firstLines[partition])
        }
        return try CSVSplitReader(source: self, range: split.0, firstLine: split.1, projection: projection, trimmed: trimmed, context: context)
    }
}
