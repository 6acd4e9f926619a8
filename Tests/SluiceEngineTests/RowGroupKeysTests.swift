import SluiceCore
@testable import SluiceEngine
import SluiceTestSupport
import Testing

/// Keys of several strings are grouped as rows (``RowGroupKeys``); these check the groups
/// against a dictionary, through every path a key can take.
@Suite("row-keyed grouping")
struct RowGroupKeysTests {
    /// Rows of (a, b, n): repeats within a batch and across batches, nulls in either
    /// column, empty strings, long strings, and pairs whose concatenations collide.
    static func rows(_ count: Int) -> [(String?, String?, Int64)] {
        let long = String(repeating: "long value ", count: 5)
        return (0..<count).map { index -> (String?, String?, Int64) in
            switch index % 9 {
            case 0: (nil, "b\(index % 13)", 1)
            case 1: ("a\(index % 7)", nil, 2)
            case 2: ("", "", 3)
            case 3: ("ab", "c", 4)
            case 4: ("a", "bc", 5)
            case 5: (long + "\(index % 5)", "x", 6)
            case 6: (nil, nil, 7)
            case 7: ("a\(index % 31)", "b\(index % 17)", Int64(index % 3))
            default: ("a value seen once or twice: \(index / 2)", "b\(index % 17)", Int64(index % 4))
            }
        }
    }

    static func batch(_ rows: [(String?, String?, Int64)]) throws -> RecordBatch {
        let schema = Schema([Field("a", .string), Field("b", .string), Field("n", .int64)])
        return try RecordBatch(schema: schema, columns: [
            try Column.from(rows.map { $0.0.map(Value.string) ?? .null }, type: .string),
            try Column.from(rows.map { $0.1.map(Value.string) ?? .null }, type: .string),
            .int64(rows.map(\.2)),
        ])
    }

    struct Key: Hashable { var a: String?, b: String? }

    @Test("count, sum and min per (a, b) equal a dictionary's, with 1 and 3 workers, small batches and a budget that spills",
          arguments: [(1, Optional<Int>.none, 50), (3, Optional<Int>.none, 997), (2, Optional(512 << 10), 256)])
    func groups(workers: Int, memory: Int?, batchRows: Int) throws {
        let rows = Self.rows(60_000)
        // One final partition under the small budget, so its groups outgrow it and spill.
        let runtime = TestSupport.runtime(workers: workers, memory: memory, batchRows: batchRows, shufflePartitions: memory == nil ? nil : 1)
        let result = try DataFrame(TestSupport.table(try Self.batch(rows), partitions: 3))
            .groupBy("a", "b")
            .agg(Agg.count().as("rows"), Agg.sum(col("n")).as("total"), Agg.min(col("n")).as("least"))
            .collectBatch(runtime: runtime)
        if memory != nil { #expect(runtime.spill.filesWritten > 0, "the small budget spills") }
        var expected: [Key: (Int64, Int64, Int64)] = [:]
        for (a, b, n) in rows {
            let old = expected[Key(a: a, b: b)] ?? (0, 0, .max)
            expected[Key(a: a, b: b)] = (old.0 + 1, old.1 + n, min(old.2, n))
        }
        let got = TestSupport.rows([result])
        #expect(got.count == expected.count)
        var seen = Set<Key>()
        for row in got {
            let key = Key(a: row[0].stringValue, b: row[1].stringValue)
            #expect(seen.insert(key).inserted, "group \(key) twice")
            let want = expected[key]
            #expect(want != nil, "unexpected group \(key)")
            if let want { #expect(row[2] == .int64(want.0) && row[3] == .int64(want.1) && row[4] == .int64(want.2), "group \(key)") }
        }
    }

    @Test("the layout is chosen for two or more strings and exact types only")
    func suits() {
        #expect(RowGroupKeys.suits([.string, .string]))
        #expect(RowGroupKeys.suits([.string, .int64, .string, .date]))
        #expect(!RowGroupKeys.suits([.string, .int64]))
        #expect(!RowGroupKeys.suits([.string, .string, .float64]))
    }

    @Test("equal values across columns and rows, nulls equal only to nulls")
    func equality() throws {
        let left = try Column.from([.string("ab"), .null, .string("")], type: .string)
        let right = try Column.from([.string(""), .string("ab"), .null], type: .string)
        #expect(RowGroupKeys.equal(left, 0, right, 1))
        #expect(!RowGroupKeys.equal(left, 1, right, 0))
        #expect(!RowGroupKeys.equal(left, 2, right, 2))
        #expect(RowGroupKeys.equal(left, 2, right, 0))
        #expect(RowGroupKeys.equal(left, 1, right, 2))
    }
}

private extension Value {
    var stringValue: String? { if case .string(let text) = self { text } else { nil } }
}
