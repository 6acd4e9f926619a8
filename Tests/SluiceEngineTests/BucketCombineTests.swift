import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// A map task whose first rows are nearly all new groups passes its rows through the partial
/// aggregate; the shuffle then merges each bucket's rows when the task ends, so it carries one
/// state row per group and task. The answer must not change, and the shuffle must shrink.
@Suite("Shuffle buckets merged at the end of a map task")
struct BucketCombineTests {
    static let groups = 90_000

    /// The key columns of key `key`: a short text id and product (two packed words), or with
    /// `wide` three 8–15-byte texts (six words: the row-keyed layout, ``RowGroupKeys``).
    static func keyValues(_ key: Int, wide: Bool) -> [String] {
        wide ? ["customer-\(key)", "product-\(key % 7)", "region-\(key % 3)"] : ["c\(key)", "p\(key % 7)"]
    }

    /// Rows cycling through `groups` keys: a partition's first 100k rows are 90% new keys (the
    /// partial aggregate passes rows on), its whole 400k rows hold each key four or five times.
    /// With `unique`, no key repeats at all.
    static func table(partitions: Int, rowsPerPartition: Int, unique: Bool = false, wide: Bool = false) throws -> (MemoryTable, [Int]) {
        let keyCount = wide ? 3 : 2
        var keyTexts = [[String]](repeating: [], count: keyCount), units: [Int64] = [], days: [Value] = [], keys: [Int] = []
        for row in 0..<(partitions * rowsPerPartition) {
            let key = unique ? row : (row % rowsPerPartition) % groups
            keys.append(key)
            for (index, text) in keyValues(key, wide: wide).enumerated() { keyTexts[index].append(text) }
            units.append(Int64(row % 100))
            days.append(row % 17 == 0 ? .null : .date(Int32(15_000 + row % 30)))
        }
        let schema = Schema((0..<keyCount).map { Field("k\($0)", .string) } + [Field("units", .int64), Field("day", .date)])
        let batch = try RecordBatch(schema: schema, columns: keyTexts.map { Column.string($0) } + [.int64(units), try Column.from(days, type: .date)])
        // Each partition arrives in 8,192-row batches, as a scan would hand them on.
        let parts = batch.chunks(maxRows: rowsPerPartition).map { $0.chunks(maxRows: 8192) }
        return (MemoryTable(schema: schema, partitions: parts), keys)
    }

    static func run(_ table: MemoryTable, runtime: ExecutionRuntime) throws -> RecordBatch {
        let keys = table.schema.fields.map(\.name).filter { $0.hasPrefix("k") }
        return try DataFrame(table)
            .groupBy(keys.map { col($0) })
            .agg(Agg.sum(col("units")).as("units"), Agg.collectSet(col("day")).as("days"), Agg.count().as("rows"),
                 Agg.max(col("day")).as("last"), Agg.avg(col("units")).as("mean"))
            .sort(.asc("k0"))
            .collectBatch(runtime: runtime)
    }

    @Test("sums, sets, counts, max and avg are exact, and the shuffle carries one row per group and task",
          arguments: [(1, nil, false), (2, nil, false), (2, nil, true), (2, 6 << 20, false)] as [(Int, Int?, Bool)])
    func merged(workers: Int, memory: Int?, wide: Bool) throws {
        let partitions = 2, perPartition = 400_000
        let (table, keys) = try Self.table(partitions: partitions, rowsPerPartition: perPartition, wide: wide)
        let runtime = TestSupport.runtime(workers: workers, memory: memory, batchRows: 8192, shufflePartitions: 4)
        let result = try Self.run(table, runtime: runtime)

        var sums = [Int64](repeating: 0, count: Self.groups), counts = [Int64](repeating: 0, count: Self.groups)
        var sets = [Set<Int32>](repeating: [], count: Self.groups)
        for (row, key) in keys.enumerated() {
            sums[key] += Int64(row % 100)
            counts[key] += 1
            if row % 17 != 0 { sets[key].insert(Int32(15_000 + row % 30)) }
        }
        let expected = (0..<Self.groups).sorted { Self.keyValues($0, wide: wide)[0] < Self.keyValues($1, wide: wide)[0] }
        let got = TestSupport.rows([result])
        #expect(got.count == Self.groups)
        var mismatches = 0
        for (row, key) in zip(got, expected) {
            let days = sets[key].sorted()
            let want = Self.keyValues(key, wide: wide).map(Value.string) + [
                .int64(sums[key]), .list(days.map { Value.date($0) }), .int64(counts[key]),
                days.last.map(Value.date) ?? .null, .float64(Double(sums[key]) / Double(counts[key])),
            ]
            if row != want { mismatches += 1 }
        }
        #expect(mismatches == 0)
        if let memory {
            // The budget is small enough that the shuffle spills: the merge then works on what
            // each task still holds, and forgets what went to disk.
            #expect(runtime.stageMetrics.reduce(0) { $0 + $1.spillBytes } > 0, "a \(memory)-byte budget should spill")
        } else {
            // Each of the two map tasks hands on exactly its 90k groups, not its 400k rows.
            #expect(runtime.stageMetrics.first?.rowsOut == partitions * Self.groups)
        }
    }

    @Test("keys that never repeat pass through whole: nothing is lost or counted twice")
    func unique() throws {
        let (table, _) = try Self.table(partitions: 2, rowsPerPartition: 150_000, unique: true)
        let runtime = TestSupport.runtime(workers: 2, batchRows: 8192, shufflePartitions: 4)
        let result = try Self.run(table, runtime: runtime)
        #expect(result.rowCount == 300_000)
        #expect(runtime.stageMetrics.first?.rowsOut == 300_000)
        #expect(TestSupport.rows([result]).allSatisfy { $0[4] == .int64(1) })
    }
}
