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

    /// `batch` (the decoded fields) with the provenance columns put in: `source` on every row,
    /// and each row's line. Without provenance outputs, `batch` itself.
    static func columns(_ outputs: [ProvenanceOutput], of batch: RecordBatch, source: String, lines: [Int64], schema: Schema) -> RecordBatch {
        guard outputs.contains(where: { $0 == .source || $0 == .line }) else { return batch }
        let rows = batch.rowCount
        let columns = outputs.map { output -> Column in
            switch output {
            case .field(let index): return batch.columns[index]
            case .line: return .int64(lines.count == rows ? lines : [Int64](repeating: 0, count: rows))
            case .source:
                var builder = ColumnBuilder(type: .string, capacity: rows)
                var path = source
                path.withUTF8 { bytes in for _ in 0..<rows { builder.append(bytes: bytes) } }
                return builder.finish()
            }
        }
        return RecordBatch(unchecked: schema, columns: columns, rowCount: rows)
    }
}
