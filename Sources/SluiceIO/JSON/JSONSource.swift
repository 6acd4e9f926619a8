public import SluiceCore
public import SluiceEngine

/// JSON files as a table: each file (an array of objects, or NDJSON) is one partition,
/// decoded straight from its bytes into the schema's columns; bad objects go to the rejects.
public final class JSONSource: TableSource {
    public let paths: [String]
    public let schema: Schema
    public let rejects: RejectSink
    private let formats: [String: [DateTimeFormat]]

    /// - Parameters:
    ///   - schema: the columns to read (flattened names); nil infers them from the first file.
    ///   - provenance: add the ``Provenance`` columns (the file's path, each object's line)
    ///     after the schema's, for plans that reject rows or keep where a row came from.
    public init(paths: [String], schema: Schema? = nil, formats: [String: [DateTimeFormat]] = [:], provenance: Bool = false,
                rejects: RejectSink = RejectSink()) throws(SluiceError) {
        guard let first = paths.first else { throw SluiceError(.configuration, "no JSON input files given") }
        self.paths = paths
        self.rejects = rejects
        self.formats = formats
        if let schema {
            self.schema = provenance ? Schema(schema.fields + Provenance.fields) : schema
        } else if provenance {
            self.schema = Schema(try Self.inferredSchema(of: first).fields + Provenance.fields)
        } else {
            let file = try ReadableFile(path: first)
            let sample = try file.readBytes(at: 0, count: 4 << 20)
            let inferred = sample.withUnsafeBufferPointer { JSONSchemaInference.infer($0) }
            guard inferred.count > 0 else {
                throw SluiceError(.data, "no JSON objects found to infer columns from", location: first, hint: "pass a file of objects, or give the schema")
            }
            self.schema = inferred
        }
    }

    /// The flattened columns of the first objects of `path` (a 4 MB sample).
    /// - Throws: a `.data` error when the sample holds no object.
    public static func inferredSchema(of path: String) throws(SluiceError) -> Schema {
        let file = try ReadableFile(path: path)
        let sample = try file.readBytes(at: 0, count: 4 << 20)
        let inferred = sample.withUnsafeBufferPointer { JSONSchemaInference.infer($0) }
        guard inferred.count > 0 else {
            throw SluiceError(.data, "no JSON objects found to infer columns from", location: path, hint: "pass a file of objects, or give the schema")
        }
        return inferred
    }

    /// ``inferredSchema(of:)`` with every column as text: numbers and booleans are kept as
    /// written, for pipelines whose rules decide what a value is.
    public static func textSchema(of path: String) throws(SluiceError) -> Schema {
        Schema(try inferredSchema(of: path).fields.map { Field($0.name, .string) })
    }

    public var scanName: String { "JSONScan" }
    public var displayName: String { paths.count == 1 ? paths[0] : "\(paths.count) JSON files" }
    public func partitionCount(config: ExecutionConfig) -> Int { paths.count }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        let path = paths[partition]
        let file = try ReadableFile(path: path)
        let reservation = context.reservation("JSON reader")
        try reservation.resize(to: file.size * 2)
        let bytes = try file.readBytes(at: 0, count: file.size)
        let wanted = Schema(projection.map { schema[$0] })
        let outputs = ProvenanceOutput.plan(wanted)
        let decoder = JSONRecordDecoder(schema: Schema(wanted.fields.filter { !Provenance.isProvenance($0.name) }), formats: formats)
        decoder.recordsLines = outputs.contains(.line)
        var found: [Reject] = []
        let read = try bytes.withUnsafeBufferPointer { (buffer) throws(SluiceError) -> Int in
            try decoder.decode(buffer, source: path, rejects: &found)
        }
        let batch = decoder.takeBatch()
        rejects.count(source: path, read: read, passed: batch.rowCount, rejected: found.count)
        try rejects.add(found)
        context.runtime.progress.addRows(read)
        var batches: [RecordBatch] = []
        if ProvenanceOutput.wanted(outputs) {
            let lines = decoder.batchLines
            var first = 0
            for chunk in batch.chunks(maxRows: context.batchRows) {
                let slice = lines.count == batch.rowCount ? lines[first..<first + chunk.rowCount] : []
                batches.append(ProvenanceOutput.columns(outputs, of: chunk, source: path, lines: slice, schema: wanted))
                first += chunk.rowCount
            }
        } else {
            batches = batch.chunks(maxRows: context.batchRows)
        }
        reservation.free()
        return MemoryBatchStream(batches)
    }
}
