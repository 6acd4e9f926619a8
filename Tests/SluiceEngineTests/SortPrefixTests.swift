import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// Sorts and merges compare cached 64-bit prefixes of the first key (exact for integers, the
/// first 8 bytes for strings); nulls, descending order, ties, strings that share a longer
/// prefix or hold zero bytes must come out exactly as the row comparison gives them.
@Suite("Sorting and merging on key prefixes")
struct SortPrefixTests {
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

    /// Strings made to tie on their first 8 bytes: a long shared stem, zero bytes, the empty
    /// string, short strings that are prefixes of longer ones, and nulls.
    static func stringTable() throws -> MemoryTable {
        let stems = ["customer-", "customer-0", "", "a", "a\u{0}", "ab", "zzzzzzzzzz", "é"]
        var keys: [Value] = [], seconds: [Int64] = []
        for row in 0..<20_000 {
            let stem = stems[(row * 31) % stems.count]
            keys.append(row % 89 == 0 ? .null : .string(stem + String((row * 7919) % 37)))
            seconds.append(Int64((row * 13) % 5))
        }
        let batch = try RecordBatch(schema: Schema([Field("k", .string), Field("second", .int64)]),
                                    columns: [try Column.from(keys, type: .string), .int64(seconds)])
        return TestSupport.table(batch, partitions: 4)
    }

    @Test("strings that tie on their prefix, with a second key, in both directions", arguments: [true, false])
    func strings(ascending: Bool) throws {
        let table = try Self.stringTable()
        let keys = [SortKey("k", ascending: ascending), SortKey("second", ascending: false)]
        let rows = TestSupport.rows([try DataFrame(table).sort(keys).collectBatch(runtime: TestSupport.runtime(workers: 2, batchRows: 700))])
        let input = TestSupport.rows([try DataFrame(table).collectBatch(runtime: TestSupport.runtime(workers: 1))])
        func bytes(_ value: Value) -> [UInt8]? {
            guard case .string(let text) = value else { return nil }
            return Array(text.utf8)
        }
        let expected = input.enumerated().sorted { a, b in
            let (x, y) = (bytes(a.element[0]), bytes(b.element[0]))
            if x != y {
                guard let x else { return false }
                guard let y else { return true }
                return ascending ? x.lexicographicallyPrecedes(y) : y.lexicographicallyPrecedes(x)
            }
            if a.element[1] != b.element[1] {
                guard case .int64(let l) = a.element[1], case .int64(let r) = b.element[1] else { return false }
                return l > r
            }
            return a.offset < b.offset
        }.map(\.element)
        #expect(rows.count == 20_000)
        #expect(rows == expected)
    }
}
