public import SluiceCore
public import SluiceEngine

/// What to do with a corrupt archive or entry: stop the run, or record it as a reject and go on.
public enum OnError: String, Sendable, CaseIterable {
    case fail
    case skip
}

/// JSON files inside (nested) ZIP archives as a table.
///
/// The innermost entries matching the pattern are grouped, in listing order, into
/// partitions of about `partitionBytes` uncompressed bytes (many small part files make one
/// task; a large one is a task of its own). A task reads its entries one at a time straight
/// from the archives in memory and decodes them into the schema's columns. A corrupt entry,
/// one that is not JSON, or one whose name would escape the archive (`../x.json`), stops the
/// run (`.fail`) or becomes a `corrupt_entry` reject named by its full nested path (`.skip`);
/// bytes after an entry's last JSON document stop the run too, or are a `trailing_data` reject.
/// Each entry is a source of its own in the reject counts; ``reading(_:provenance:)`` can add
/// the ``Provenance`` columns (the entry's full path and each object's line), so a plan can
/// reject events by their line.
public final class ArchiveJSONSource: TableSource {
    public let zip: NestedZipSource
    public let schema: Schema
    public let rejects: RejectSink
    public let onError: OnError
    public let partitions: [[ZipEntryRef]]
    let formats: [String: [DateTimeFormat]]

    /// Lists the archives' entries (nothing is decompressed but nested archives).
    /// - Throws: in `.fail` mode, the first corrupt archive or passed limit; otherwise a
    ///   configuration error when no entry matches at all.
    public init(
        archives: [String], pattern: String = "*.json", schema: Schema, limits: ZipLimits = ZipLimits(), onError: OnError = .fail,
        formats: [String: [DateTimeFormat]] = [:], rejects: RejectSink = RejectSink(), partitionBytes: Int = 32 << 20,
        memory: ZipMemoryPolicy = ZipMemoryPolicy()
    ) throws(SluiceError) {
        zip = try NestedZipSource(archivePaths: archives, pattern: pattern, limits: limits, memory: memory)
        self.schema = schema
        self.rejects = rejects
        self.onError = onError
        self.formats = formats
        var entries: [ZipEntryRef]
        switch onError {
        case .fail:
            entries = try zip.entries()
        case .skip:
            let listing = zip.listEntries()
            entries = listing.entries
            try rejects.add(listing.problems.map(\.reject))
        }
        let suspicious = entries.filter(\.isSuspiciousName)
        if let first = suspicious.first {
            let message = "entry name escapes the archive (zip slip); it was not read"
            guard onError == .skip else {
                throw SluiceError(.data, message, location: first.displayPath, hint: "remove the entry, or run with --on-error skip")
            }
            try rejects.add(suspicious.map {
                Reject(source: $0.displayPath, line: 0, byteOffset: 0, column: nil, kind: .corruptEntry, raw: "", message: message)
            })
            entries.removeAll(where: \.isSuspiciousName)
        }
        var groups: [[ZipEntryRef]] = []
        var current: [ZipEntryRef] = []
        var bytes = 0
        for entry in entries {
            current.append(entry)
            bytes += entry.uncompressedSize
            if bytes >= partitionBytes {
                groups.append(current)
                current = []
                bytes = 0
            }
        }
        if !current.isEmpty { groups.append(current) }
        partitions = groups
    }

    private init(copying source: ArchiveJSONSource, schema: Schema, provenance: Bool) {
        zip = source.zip
        self.schema = provenance ? Schema(schema.fields + Provenance.fields) : schema
        rejects = source.rejects
        onError = source.onError
        partitions = source.partitions
        formats = source.formats
    }

    /// The same entries read with another schema (no archive is listed again); with
    /// `provenance`, the ``Provenance`` columns follow the schema's.
    public func reading(_ schema: Schema, provenance: Bool = false) -> ArchiveJSONSource {
        ArchiveJSONSource(copying: self, schema: schema, provenance: provenance)
    }

    /// The schema of the first entry that can be read, inferred from its first objects
    /// (``JSONSchemaInference``), or nil when no entry can be read.
    public func sampleSchema(entries: Int = 3) -> Schema? {
        for entry in partitions.joined().prefix(entries) {
            guard let bytes = try? zip.read(entry) else { continue }
            let schema = bytes.withUnsafeBufferPointer { JSONSchemaInference.infer($0) }
            if !schema.fields.isEmpty { return schema }
        }
        return nil
    }

    public var scanName: String { "ZipJSONScan" }
    public var displayName: String {
        let entries = partitions.reduce(0) { $0 + $1.count }
        return (zip.archivePaths.count == 1 ? zip.archivePaths[0] : "\(zip.archivePaths.count) archives") + " (\(entries) JSON entries)"
    }

    public func partitionCount(config: ExecutionConfig) -> Int { max(1, partitions.count) }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        guard partition < partitions.count else { return EmptyBatchStream() }
        return ArchiveJSONStream(source: self, entries: partitions[partition], schema: Schema(projection.map { schema[$0] }), context: context)
    }

    /// Decodes one entry into batches; corrupt entries, entries that are not JSON and
    /// trailing data follow the `onError` policy.
    func decode(_ entry: ZipEntryRef, decoder: JSONRecordDecoder, context: TaskContext) throws(SluiceError) -> RecordBatch? {
        try Self.checkFits(entry, config: context.runtime.config)
        let reservation = context.reservation("ZIP entry")
        _ = reservation.tryResize(to: entry.uncompressedSize)
        defer { reservation.free() }
        var found: [Reject] = []
        let read: Int
        do throws(SluiceError) {
            let bytes = try zip.read(entry)
            context.runtime.progress.addBytes(entry.compressedSize)
            read = try bytes.withUnsafeBufferPointer { (buffer) throws(SluiceError) -> Int in
                try decoder.decode(buffer, source: entry.displayPath, rejects: &found)
            }
            if onError == .fail, let trailing = found.last, trailing.kind == .trailingData {
                throw SluiceError(.data, trailing.message, location: "byte \(trailing.byteOffset), line \(trailing.line)",
                                  hint: "remove the bytes after the last document, or run with --on-error skip")
            }
        } catch {
            _ = decoder.takeBatch()
            guard onError == .skip else { throw error.location?.hasPrefix(entry.displayPath) == true ? error : error.at(entry.displayPath) }
            try rejects.add([Reject(source: entry.displayPath, line: 0, byteOffset: 0, column: nil, kind: .corruptEntry, raw: "", message: error.message)])
            return nil
        }
        let batch = decoder.takeBatch()
        rejects.count(source: entry.displayPath, read: read, passed: batch.rowCount, rejected: found.count)
        try rejects.add(found)
        context.runtime.progress.addRows(read)
        return batch
    }
}

extension ArchiveJSONSource {
    /// A JSON entry is decoded from its bytes whole, so one worker holds it at once: an entry
    /// that declares more than one worker's share of `--memory` stops the run before it is
    /// read (whatever `--on-error` says: the data is not at fault), naming the entry and the
    /// figures. The header's size bounds the bytes read: the reader never returns more.
    static func checkFits(_ entry: ZipEntryRef, config: ExecutionConfig) throws(SluiceError) {
        guard let limit = config.memoryLimit else { return }
        let share = limit / max(1, config.workers)
        guard entry.uncompressedSize > share else { return }
        throw SluiceError(
            .resourcesExhausted,
            "the entry is \(ByteCount.format(entry.uncompressedSize)) of JSON, more than one worker's share of the memory budget "
                + "(\(ByteCount.format(limit)) over \(config.workers) workers: \(ByteCount.format(share))); each entry is decoded whole",
            location: entry.displayPath, hint: "raise --memory, or lower --workers so each has a larger share")
    }
}

/// Reads a partition's entries one after another.
final class ArchiveJSONStream: BatchStream {
    private let source: ArchiveJSONSource
    private var entries: ArraySlice<ZipEntryRef>
    private let decoder: JSONRecordDecoder
    private let context: TaskContext
    private var pending: [RecordBatch] = []

    /// The projected columns: a JSON field's decoder column, or a provenance column.
    private let outputs: [ProvenanceOutput]
    private let outputSchema: Schema

    init(source: ArchiveJSONSource, entries: [ZipEntryRef], schema: Schema, context: TaskContext) {
        self.source = source
        self.entries = entries[...]
        (outputs, outputSchema) = (ProvenanceOutput.plan(schema), schema)
        self.decoder = JSONRecordDecoder(schema: Schema(schema.fields.filter { !Provenance.isProvenance($0.name) }), formats: source.formats)
        decoder.recordsLines = outputs.contains(.line)
        self.context = context
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while pending.isEmpty {
            try context.checkCancelled()
            guard let entry = entries.popFirst() else { return nil }
            guard let batch = try source.decode(entry, decoder: decoder, context: context), batch.rowCount > 0 else { continue }
            guard ProvenanceOutput.wanted(outputs) else {
                pending += batch.chunks(maxRows: context.batchRows)
                continue
            }
            let lines = decoder.batchLines
            var first = 0
            for chunk in batch.chunks(maxRows: context.batchRows) {
                let slice = lines.count == batch.rowCount ? lines[first..<first + chunk.rowCount] : []
                pending.append(ProvenanceOutput.columns(outputs, of: chunk, source: entry.displayPath, lines: slice, schema: outputSchema))
                first += chunk.rowCount
            }
        }
        return pending.removeFirst()
    }
}
