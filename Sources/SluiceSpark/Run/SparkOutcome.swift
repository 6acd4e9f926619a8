import Foundation
public import SluiceCore
public import SluiceEngine
import SluiceIO

/// Puts what a Spark run found besides its results where a local run puts it: rejects into the
/// run's ``RejectSink`` (their raw lines rendered as the engine renders them, CSV rejects with
/// their byte offsets), each source's counts, the observed figures; and fails the run, as the
/// engine's join would, when a build side has a key twice that it may not.
public enum SparkOutcome {
    public static func apply(_ script: SparkScript, staging: String, runtime: ExecutionRuntime) throws {
        let reader = ExecutionRuntime(config: ExecutionConfig(workers: 1))
        func rows(_ output: SparkOutput) throws -> [[Value]] {
            let source = try SparkResultSource(files: try SparkRunner.partFiles(output, staging: staging), schema: output.schema, name: output.name)
            return try DataFrame(source).collect(runtime: reader).flatMap(\.rows)
        }
        for output in script.outputs {
            guard case .duplicateKeys(let name, let keys) = output.kind, let first = try rows(output).first else { continue }
            let key = first[0].description, source = first[1].isNull ? name : first[1].description
            let place = (first[2].isNull || first[3].isNull) ? "on more than one row" : "on lines \(first[2]) and \(first[3])"
            let repeated = Int(first[4].description) ?? 1
            throw SluiceError(.data, "duplicate key in \(source): \(key) is \(place)\(repeated > 1 ? " (\(repeated) repeated rows in all)" : "")",
                              location: first[3].isNull ? source : "\(source) line \(first[3])",
                              hint: "keep one row per \(keys.joined(separator: ", ")) in \(source), or run with --on-duplicate-key first (keep the first row) or reject (reject the others)")
        }
        let sink = runtime.rejects
        if let counts = script.outputs.first(where: { $0.kind == .counts }) {
            var totals: [String: (read: Int, blank: Int, apart: Int)] = [:]
            var order: [String] = []
            for row in try rows(counts) {
                let source = row[0].description
                if totals[source] == nil { order.append(source) }
                let value = { (index: Int) in Int(row[index].description) ?? 0 }
                totals[source, default: (0, 0, 0)].read += value(1)
                totals[source, default: (0, 0, 0)].blank += value(2)
                totals[source, default: (0, 0, 0)].apart += value(3)
            }
            for source in order {
                guard let total = totals[source] else { continue }
                sink.count(source: source, read: total.read, passed: total.read - total.apart, rejected: 0, apart: total.apart, blank: total.blank)
            }
        }
        if let output = script.outputs.first(where: { $0.kind == .rejects }) {
            var records: [Reject] = []
            var offsets: [String: LineOffsets] = [:]
            for row in try rows(output) {
                let source = row[0].description, line = Int(row[1].description) ?? 0, rule = Int(row[7].description) ?? -1
                var raw = row[5].isNull ? "" : row[5].description
                var byteOffset = 0
                if rule >= 0, rule < script.rejectSchemas.count, !row[6].isNull {
                    raw = RejectExec.render(try SparkTransport.values(json: row[6].description, schema: script.rejectSchemas[rule]))
                } else if rule < 0 {
                    // A reject of the CSV reader: its record's offset in the file, as Sluice's reader gives it.
                    if offsets[source] == nil { offsets[source] = LineOffsets(path: source) }
                    byteOffset = offsets[source]?.offset(ofLine: line) ?? 0
                }
                records.append(Reject(source: source, line: line, byteOffset: byteOffset, column: row[3].isNull ? nil : row[3].description,
                                      kind: RejectKind(rawValue: row[2].description), raw: raw, message: row[4].description))
            }
            var perSource: [String: Int] = [:]
            for record in records { perSource[record.source, default: 0] += 1 }
            for (source, count) in perSource.sorted(by: { $0.key < $1.key }) { sink.movePassedToRejected(source: source, rows: count) }
            try sink.add(records)
        }
        if let output = script.outputs.first(where: { $0.kind == .observations }) {
            for row in try rows(output) { runtime.observations.add(row[0].description, Int64(row[1].description) ?? 0) }
        }
    }
}

extension SparkTransport {
    /// A reject's values (a JSON array of transport texts) as values of `schema`'s types.
    static func values(json: String, schema: Schema) throws -> [Value] {
        guard let array = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] else { return [] }
        return zip(array, schema.fields).map { item, field in
            guard let text = item as? String else { return .null }
            switch field.type {
            case .string: return .string(text)
            case .int64: return Int64(text).map(Value.int64) ?? .null
            case .float64: return Double(text).map(Value.float64) ?? .null
            case .bool: return .bool(text == "true")
            case .decimal(_, let scale): return Int64(text).map { .decimal($0, scale: scale) } ?? .null
            case .date: return Int32(text).map(Value.date) ?? .null
            case .timestamp: return Int64(text).map(Value.timestamp) ?? .null
            case .list: return .string(text)
            }
        }
    }
}

/// The byte offset where each line of a file starts, found by one forward read (only as far
/// as the lines asked for).
final class LineOffsets {
    private let handle: FileHandle?
    private var starts: [Int] = [0]
    private var read = 0
    private var done = false

    init(path: String) {
        handle = FileHandle(forReadingAtPath: path)
    }

    deinit { try? handle?.close() }

    /// The offset of 1-based `line`, or nil past the end.
    func offset(ofLine line: Int) -> Int? {
        while starts.count < line, !done, let handle {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { done = true; break }
            for (index, byte) in chunk.enumerated() where byte == UInt8(ascii: "\n") { starts.append(read + index + 1) }
            read += chunk.count
        }
        return line >= 1 && line <= starts.count ? starts[line - 1] : nil
    }
}
