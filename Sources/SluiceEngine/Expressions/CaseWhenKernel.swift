import SluiceCore

extension Kernels {
    /// `CASE WHEN … THEN … ELSE … END` over a batch: the first branch whose condition is true
    /// (not null) gives the row's value, else `otherwise` (null without one).
    ///
    /// Column at a time: each condition marks the rows it decides in one pass over its flags,
    /// then the values are gathered by the chosen branch — 64-bit values and strings straight
    /// from their storage — instead of testing every branch and appending through the generic
    /// builder row by row.
    static func caseWhen(
        _ branches: [BoundBranch], otherwise: BoundExpr?, type: DataType, batch: RecordBatch
    ) throws(SluiceError) -> Column {
        let rows = batch.rowCount
        let fallback = Int32(branches.count)
        var choice = [Int32](repeating: fallback, count: rows)
        var sources: [Column] = []
        for (index, branch) in branches.enumerated() {
            let condition = try branch.condition.evaluate(batch)
            sources.append(try branch.value.evaluate(batch))
            guard case .bool(let flags) = condition.storage else { continue }
            let chosen = Int32(index)
            for row in 0..<rows where choice[row] == fallback && flags[row] && !condition.isNull(row) { choice[row] = chosen }
        }
        if let otherwise { sources.append(try otherwise.evaluate(batch)) }
        return gather(sources, choice: choice, type: type, rows: rows)
    }

    /// Row `row` of the result is row `row` of `sources[choice[row]]`; a choice past the last
    /// source is null.
    private static func gather(_ sources: [Column], choice: [Int32], type: DataType, rows: Int) -> Column {
        var validity: ValidityBitmap?
        func markNulls() {
            for row in 0..<rows {
                let source = Int(choice[row])
                if source >= sources.count || sources[source].isNull(row) {
                    if validity == nil { validity = ValidityBitmap(count: rows, allValid: true) }
                    validity?.set(row, valid: false)
                }
            }
        }
        let values = sources.compactMap { column -> [Int64]? in if case .int64(let values) = column.storage { values } else { nil } }
        if values.count == sources.count, !values.isEmpty {
            var out = [Int64](repeating: 0, count: rows)
            for row in 0..<rows {
                let source = Int(choice[row])
                if source < values.count { out[row] = values[source][row] }
            }
            markNulls()
            return Column(type: type, storage: .int64(out), validity: validity)
        }
        let strings = sources.compactMap { column -> StringStorage? in if case .string(let storage) = column.storage { storage } else { nil } }
        if strings.count == sources.count, !strings.isEmpty {
            var out = StringStorage()
            out.offsets.reserveCapacity(rows + 1)
            for row in 0..<rows {
                let source = Int(choice[row])
                if source < strings.count { strings[source].withBytes(at: row) { out.bytes.append(contentsOf: $0) } }
                out.offsets.append(Int32(truncatingIfNeeded: out.bytes.count))
            }
            markNulls()
            return Column(type: type, storage: .string(out), validity: validity)
        }
        var builder = ColumnBuilder(type: type, capacity: rows)
        for row in 0..<rows {
            let source = Int(choice[row])
            if source < sources.count { builder.append(from: sources[source], at: row) } else { builder.appendNull() }
        }
        return builder.finish()
    }
}
