import CSluiceHints
import SluiceCore

/// One projected column of a JSON source that may carry ``Provenance``: a decoded field (by
/// its index among the decoded columns), the entry's path, or the object's line.
enum ProvenanceOutput: Equatable {
    case field(Int)
    case source
    case line

    /// The outputs of `schema`, in order; fields are numbered as the decoder sees them
    /// (the schema without its provenance columns).
    static func plan(_ schema: Schema) -> [ProvenanceOutput] {
        var decoded = 0
        return schema.fields.map { field in
            switch field.name {
            case Provenance.sourceColumn: return .source
            case Provenance.lineColumn: return .line
            default:
                decoded += 1
                return .field(decoded - 1)
            }
        }
    }

    /// True when the outputs include a provenance column.
    static func wanted(_ outputs: [ProvenanceOutput]) -> Bool { outputs.contains { $0 == .source || $0 == .line } }

    /// `batch` (the decoded fields) with the provenance columns put in: `source` on every row,
    /// and each row's line (`lines`, one per row).
    /// - Complexity: O(rows) plus one copy of the path per row, made by doubling (no per-row call).
    static func columns(_ outputs: [ProvenanceOutput], of batch: RecordBatch, source: String, lines: ArraySlice<Int64>, schema: Schema) -> RecordBatch {
        let rows = batch.rowCount
        let columns = outputs.map { output -> Column in
            switch output {
            case .field(let index): return batch.columns[index]
            case .line: return .int64(lines.count == rows ? Array(lines) : [Int64](repeating: 0, count: rows))
            case .source: return constant(source, rows: rows)
            }
        }
        return RecordBatch(unchecked: schema, columns: columns, rowCount: rows)
    }

    /// A string column of `rows` copies of `text`.
    static func constant(_ text: String, rows: Int) -> Column {
        let path = Array(text.utf8)
        return Column(type: .string, storage: .string(path.withUnsafeBufferPointer { StringStorage(repeating: $0, count: rows) }))
    }
}

/// Counts newline bytes for provenance, which asks for the line of every object, so each
/// byte of a document is looked at once more. `sluice_count_byte` does sixteen bytes a step;
/// the generic `SIMD16` loop it replaced compiled to scalar code (4.6% of an ecommerce run).
enum NewlineCounter {
    /// The newlines in `bytes[from..<to]`.
    static func count(in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        guard let base = bytes.baseAddress, from < to else { return 0 }
        return sluice_count_byte(base + from, to - from, 0x0A)
    }
}
