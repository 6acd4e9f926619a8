import SluiceCore

/// Deals with the build rows of a join whose key an earlier build row already has, as the
/// join's ``DuplicateKeys`` says: one data error, the rows counted apart, or one
/// `duplicate_key` reject each.
///
/// Rows are named by the build side's ``Provenance`` columns (file or table, and line) when
/// it carries them, which also keeps that source's counts exact (`read == passed + rejected
/// + apart`); otherwise by the plan's source name, without a line.
struct DuplicateKeyCheck {
    let batch: RecordBatch
    let keyIndices: [Int]
    let sourceName: String?
    private let sourceIndex: Int?
    private let lineIndex: Int?

    init(batch: RecordBatch, keyIndices: [Int], sourceName: String?) {
        self.batch = batch
        self.keyIndices = keyIndices
        self.sourceName = sourceName
        sourceIndex = batch.schema.index(of: Provenance.sourceColumn)
        lineIndex = batch.schema.index(of: Provenance.lineColumn)
    }

    /// - Parameter repeated: each repeated row with the first row of its key, in row order.
    func handle(_ repeated: [(row: Int, first: Int)], policy: DuplicateKeys, rejects: RejectSink) throws(SluiceError) {
        guard let (row, first) = repeated.first else { return }
        switch policy {
        case .allow:
            return
        case .fail:
            let source = source(of: row)
            let place = line(of: first).flatMap { a in line(of: row).map { b in "on lines \(a) and \(b)" } } ?? "on more than one row"
            let more = repeated.count > 1 ? " (\(repeated.count) repeated rows in all)" : ""
            throw SluiceError(
                .data, "duplicate key in \(source): \(keyText(row)) is \(place)\(more)",
                location: line(of: row).map { "\(source) line \($0)" } ?? source,
                hint: "keep one row per \(keyNames) in \(source), or run with --on-duplicate-key first (keep the first row) or reject (reject the others)"
            )
        case .first:
            guard sourceIndex != nil else { return }
            for (source, rows) in perSource(repeated) { rejects.count(source: source, read: 0, passed: -rows, rejected: 0, apart: rows) }
        case .reject:
            let rawColumns = batch.schema.fields.indices.filter { !Provenance.isProvenance(batch.schema[$0].name) }
            var records: [Reject] = []
            records.reserveCapacity(repeated.count)
            for (row, first) in repeated {
                let earlier = line(of: first).map { "on line \($0)" } ?? "on an earlier row"
                records.append(Reject(
                    source: source(of: row), line: line(of: row) ?? 0, byteOffset: 0,
                    column: keyIndices.count == 1 ? keyNames : nil, kind: .duplicateKey,
                    raw: RejectExec.render(batch, row: row, columns: rawColumns),
                    message: "\(keyText(row)) is already \(earlier); the first row is kept"
                ))
            }
            if sourceIndex != nil {
                for (source, rows) in perSource(repeated) { rejects.movePassedToRejected(source: source, rows: rows) }
            }
            try rejects.add(records)
        }
    }

    private var keyNames: String { keyIndices.map { batch.schema[$0].name }.joined(separator: ", ") }

    /// `product_id p013`, or `a 1, b x` for a composite key.
    private func keyText(_ row: Int) -> String {
        keyIndices.map { "\(batch.schema[$0].name) \(batch.columns[$0].value(at: row))" }.joined(separator: ", ")
    }

    /// The file or table the row came from.
    private func source(of row: Int) -> String {
        if let sourceIndex, !batch.columns[sourceIndex].isNull(row) { return batch.columns[sourceIndex].value(at: row).description }
        return sourceName ?? "the join's build side"
    }

    private func line(of row: Int) -> Int? {
        guard let lineIndex, case .int64(let line) = batch.columns[lineIndex].value(at: row) else { return nil }
        return Int(line)
    }

    /// Repeated rows per source, in the order the sources first appear.
    private func perSource(_ repeated: [(row: Int, first: Int)]) -> [(String, Int)] {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for (row, _) in repeated {
            let source = source(of: row)
            if counts[source] == nil { order.append(source) }
            counts[source, default: 0] += 1
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }
}
