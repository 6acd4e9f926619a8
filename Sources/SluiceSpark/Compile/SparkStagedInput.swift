import Foundation
public import SluiceCore
public import SluiceEngine

/// A source Spark cannot read — nested ZIP archives of JSON, a PostgreSQL table, rows in
/// memory — staged for it: Sluice reads the source as it always does (with its limits, its
/// rejects and its counts) and writes the rows, provenance columns included, as a CSV file
/// under the staging folder; the script reads that file with an explicit schema. Values cross
/// in their ``SparkTransport`` form, and every text is quoted, so an empty text and a null
/// (an empty field) stay apart.
public enum SparkStagedInput {
    /// The view statements of a staged source whose file is at `folder`, and its relation.
    public static func view(folder: String, schema: Schema, name: String) throws(SluiceError) -> (statements: [String], relation: SparkRelation) {
        let raw = name + "_file"
        var columns: [String] = []
        var decoded: [String] = []
        for (index, field) in schema.fields.enumerated() {
            let column = "c\(index)"
            columns.append("\(column) STRING")
            decoded.append("\(try decode(column, type: field.type)) AS \(SparkSQL.identifier(field.name))")
        }
        let statements = [
            "CREATE OR REPLACE TEMPORARY VIEW \(raw) (\(columns.joined(separator: ", "))) USING csv OPTIONS (path \(SparkSQL.string(folder)), "
                + "header 'true', escape '\"', multiLine 'true', mode 'FAILFAST', nullValue '', emptyValue '')",
            "CREATE OR REPLACE TEMPORARY VIEW \(name) AS SELECT \(decoded.joined(separator: ", ")) FROM \(raw)",
        ]
        return (statements, SparkRelation(view: name, schema: schema))
    }

    /// SQL reading a transport text as `type`.
    static func decode(_ column: String, type: DataType) throws(SluiceError) -> String {
        switch type {
        case .string: return column
        case .int64: return "CAST(\(column) AS BIGINT)"
        case .float64: return "CAST(\(column) AS DOUBLE)"
        case .bool: return "CAST(\(column) AS BOOLEAN)"
        case .decimal(_, let scale):
            return "CAST(CAST(\(column) AS DECIMAL(38,0)) / \(SparkCasts.powerOfTen(scale)) AS \(SparkSQL.type(type)))"
        case .date: return "date_from_unix_date(CAST(\(column) AS INT))"
        case .timestamp: return "timestamp_micros(CAST(\(column) AS BIGINT))"
        case .list:
            throw SluiceError.plan("a list column cannot be staged for Spark", hint: "stage the source's rows before they are collected into lists")
        }
    }

    /// Reads `frame` with the local engine and writes its rows to `path` in the staged form.
    /// - Returns: the rows written.
    @discardableResult
    public static func write(_ frame: DataFrame, to path: String, runtime: ExecutionRuntime) throws -> Int {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw SluiceError(.io, "cannot create a staged input for Spark", location: path)
        }
        defer { try? handle.close() }
        let schema = try frame.schema()
        var buffer: [UInt8] = []
        for (index, name) in schema.names.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            quoted(Array(name.utf8), to: &buffer)
        }
        buffer.append(UInt8(ascii: "\n"))
        var rows = 0
        try frame.forEachBatch(runtime: runtime) { batch in
            for row in 0..<batch.rowCount {
                for (index, column) in batch.columns.enumerated() {
                    if index > 0 { buffer.append(UInt8(ascii: ",")) }
                    append(column, row, to: &buffer)
                }
                buffer.append(UInt8(ascii: "\n"))
            }
            rows += batch.rowCount
            if buffer.count > 1 << 20 {
                handle.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer))
        return rows
    }

    /// One value in its transport text; a text always quoted, a null empty.
    static func append(_ column: Column, _ row: Int, to out: inout [UInt8]) {
        guard !column.isNull(row) else { return }
        switch column.storage {
        case .string(let storage): storage.withBytes(at: row) { quoted(Array($0), to: &out) }
        case .int64(let values): out.append(contentsOf: String(values[row]).utf8)
        case .int32(let values): out.append(contentsOf: String(values[row]).utf8)
        case .float64(let values): out.append(contentsOf: "\(values[row])".utf8)
        case .bool(let values): out.append(contentsOf: (values[row] ? "true" : "false").utf8)
        case .list: break
        }
    }

    static func quoted(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
