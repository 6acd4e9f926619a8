import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// The merge of sorted runs compares cached integers when the one key is a 64-bit integer;
/// nulls, descending order and ties must come out exactly as the row comparison gives them.
@Suite("Merging on one integer key")
struct MergeIntegerKeyTests {
    static func table() throws -> MemoryTable {
        var keys: [Value] = [], tags: [Int64] = []
        for row in 0..<30_000 {
            keys.append(row % 97 == 0 ? .null : .int64(Int64((row * 7919) % 5000) - 2500))
            tags.append(Int64(row))
        }
        let batch = try RecordBatch(schema: Schema([Field("k", .int64), Field("tag", .int64)]),
                                    columns: [try Column.from(keys, type: .int64), .int64(tags)])
        return TestSupport.table(batch, partitions: 5)
    }

    @Test("ascending and descending, nulls first and last, ties in input order", arguments: [
        SortKey("k"), SortKey("k", ascending: false), SortKey("k", nullsFirst: true), SortKey("k", ascending: false, nullsFirst: true),
    ])
    func orders(key: SortKey) throws {
        let table = try Self.table()
        let rows = TestSupport.rows([try DataFrame(table).sort(key).collectBatch(runtime: TestSupport.runtime(workers: 2, batchRows: 1000))])
        let input = TestSupport.rows([try DataFrame(table).collectBatch(runtime: TestSupport.runtime(workers: 1))])
        // The reference: a stable sort of the input rows in partition order.
        let expected = input.enumerated().sorted { a, b in
            let (x, y) = (a.element[0], b.element[0])
            if x == y { return a.offset < b.offset }
            if x == .null { return key.nullsFirst }
            if y == .null { return !key.nullsFirst }
            guard case .int64(let l) = x, case .int64(let r) = y else { return false }
            return key.ascending ? l < r : l > r
        }.map(\.element)
        #expect(rows.count == 30_000)
        #expect(rows.map { $0[0] } == expected.map { $0[0] })
    }
}
