public import SluiceCore
public import SluiceEngine

/// JSON files as a table: each file (an array of objects, or NDJSON) is one partition,
/// decoded straight from its bytes into the schema's columns; bad objects go to the rejects.
public final class JSONSource: TableSource {
    public let paths: [String]
    public let schema: Schema
    public let rejects: RejectSink
    private let formats: [String: [DateTimeFormat]]

    /// - Parameter schema: the columns to read (flattened names); nil infers them from the
    ///   first file.
    public init(paths: [String], schema: Schema? = nil, formats: [String: [DateTimeFormat]] = [:], rejects: RejectSink = RejectSink()) throws(SluiceError) {
        guard let first = paths.first else { throw SluiceError(.configuration, "no JSON input files given") }
        self.paths = paths
        self.rejects = rejects
        self.formats = formats
        if let schema {
            self.schema = schema
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

    public var scanName: String { "JSONScan" }
    public var displayName: String { paths.count == 1 ? paths[0] : "\(paths.count) JSON files" }
    public func partitionCount(config: ExecutionConfig) -> Int { paths.count }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        let path = paths[partition]
        let file = try ReadableFile(path: path)
        let reservation = context.reservation("JSON reader")
        try reservation.resize(to: file.size * 2)
        let bytes = try file.readBytes(at: 0, count: file.size)
        let decoder = JSONRecordDecoder(schema: Schema(projection.map { schema[$0] }), formats: formats)
        var found: [Reject] = []
        let read = try bytes.withUnsafeBufferPointer { (buffer) throws(SluiceError) -> Int in
            try decoder.decode(buffer, source: path, rejects: &found)
        }
        let batch = decoder.takeBatch()
        rejects.count(source: path, read: read, passed: batch.rowCount, rejected: found.count)
        try rejects.add(found)
        context.runtime.progress.addRows(read)
        let batches = batch.chunks(maxRows: context.batchRows)
        reservation.free()
        return MemoryBatchStream(batches)
    }
}
