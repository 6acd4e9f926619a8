import Foundation
public import SluiceCore
public import SluiceEngine
public import SluiceIO

/// A step's result as Spark wrote it: its part files read by Sluice's CSV reader (the header
/// checked against the step's columns), the ``SparkTransport`` carriers turned back into the
/// step's types. One partition per part file, in Spark's order.
public final class SparkResultSource: TableSource {
    public let schema: Schema
    public let displayName: String
    let parts: [CSVSource]

    /// - Throws: a data error when a part file's header is not the step's columns.
    public init(files: [String], schema: Schema, name: String) throws(SluiceError) {
        self.schema = schema
        displayName = name
        var types: [String: DataType] = [:]
        for field in schema.fields { types[field.name] = SparkTransport.carrier(field.type) }
        var options = CSVOptions(delimiter: UInt8(ascii: ","), columnTypes: types, requiredColumns: schema.names)
        options.maxQuotedLines = 1 << 20
        options.maxLineBytes = 1 << 30
        var parts: [CSVSource] = []
        for file in files where ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) > 0 {
            let part = try CSVSource(path: file, options: options, rejects: RejectSink())
            guard part.schema.names == schema.names else {
                throw SluiceError(.data, "Spark's result has columns \(part.schema.names.joined(separator: ", ")), not \(schema.names.joined(separator: ", "))",
                                  location: file, hint: "this is a bug in the Spark compiler: please report it with the script")
            }
            parts.append(part)
        }
        self.parts = parts
    }

    public var scanName: String { "SparkResult" }

    public func partitionCount(config: ExecutionConfig) -> Int { max(1, parts.count) }

    public func prepare(runtime: ExecutionRuntime) throws(SluiceError) {
        for part in parts { try part.prepare(runtime: runtime) }
    }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        guard partition < parts.count else { return MemoryBatchStream([]) }
        let part = parts[partition]
        let inner = try PartStream(part: part, context: context)
        return TransportDecodingStream(input: inner, schema: schema, projection: projection)
    }
}

/// Every split of one part file, in order.
final class PartStream: BatchStream {
    let part: CSVSource
    let context: TaskContext
    let splits: Int
    var split = 0
    var current: (any BatchStream)?

    init(part: CSVSource, context: TaskContext) throws(SluiceError) {
        self.part = part
        self.context = context
        splits = part.partitionCount(config: context.runtime.config)
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while split < splits {
            if current == nil { current = try part.open(partition: split, projection: Array(part.schema.fields.indices), context: context) }
            if let batch = try current?.next() { return batch }
            current = nil
            split += 1
        }
        return nil
    }
}

/// Turns the carriers back into the result's types: an unscaled decimal keeps its storage and
/// takes its type, days become a date, microseconds a timestamp.
final class TransportDecodingStream: BatchStream {
    let input: any BatchStream
    let schema: Schema
    let projection: [Int]

    init(input: any BatchStream, schema: Schema, projection: [Int]) {
        self.input = input
        self.schema = schema
        self.projection = projection
    }

    func next() throws(SluiceError) -> RecordBatch? {
        guard let batch = try input.next() else { return nil }
        let columns = projection.map { index in SparkTransport.decode(batch.columns[index], as: schema[index].type) }
        return RecordBatch(unchecked: Schema(projection.map { schema[$0] }), columns: columns, rowCount: batch.rowCount)
    }
}

extension SparkTransport {
    /// A carrier column as a column of `type` (the same values, retyped or narrowed).
    public static func decode(_ column: Column, as type: DataType) -> Column {
        switch (type, column.storage) {
        case (.decimal, .int64(let values)), (.timestamp, .int64(let values)):
            return Column(type: type, storage: .int64(values), validity: column.validity)
        case (.date, .int64(let values)):
            return Column(type: type, storage: .int32(values.map { Int32(truncatingIfNeeded: $0) }), validity: column.validity)
        default:
            return column
        }
    }
}
