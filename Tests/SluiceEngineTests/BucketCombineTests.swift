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

    /// Rows keyed by (text id, product) cycling through `groups` keys: a partition's first
    /// 100k rows are 90% new keys (the partial aggregate passes rows on), its whole 400k rows
    /// hold each key four or five times. With `unique`, no key repeats at all.
    static func table(partitions: Int, rowsPerPartition: Int, unique: Bool = false) throws -> (MemoryTable, [Int]) {
        var ids: [String] = [], products: [String] = [], units: [Int64] = [], days: [Value] = []
        var keys: [Int] = []
        for row in 0..<(partitions * rowsPerPartition) {
            let key = unique ? row : (row % rowsPerPartition) % groups
            keys.append(key)
            ids.append("c\(key)")
            products.append("p\(key % 7)")
            units.append(Int64(row % 100))
            days.append(row % 17 == 0 ? .null : .date(Int32(15_000 + row % 30)))
        }
        let schema = Schema([Field("id", .string), Field("product", .string), Field("units", .int64), Field("day", .date)])
        let batch = try RecordBatch(schema: schema, columns: [
            .string(ids), .string(products), .int64(units), try Column.from(days, type: .date),
        ])
        // Each partition arrives in 8,192-row batches, as a scan would hand them on.
        let parts = batch.chunks(maxRows: rowsPerPartition).map { $0.chunks(maxRows: 8192) }
        return (MemoryTable(schema: schema, partitions: parts), keys)
    }

    static func run(_ table: MemoryTable, runtime: ExecutionRuntime) throws -> RecordBatch {
        try DataFrame(table)
            .groupBy("id", "product")
            .agg(Agg.sum(col("units")).as("units"), Agg.collectSet(col("day")).as("days"), Agg.count().as("rows"))
            .sort(.asc("id"))
            .collectBatch(runtime: runtime)
    }

    @Test("sums, sets and counts are exact, and the shuffle carries one row per group and task",
          arguments: [(1, nil), (2, nil), (2, 24 << 20)] as [(Int, Int?)])
    func merged(workers: Int, memory: Int?) throws {
        let partitions = 2, perPartition = 400_000
        let (table, keys) = try Self.table(partitions: partitions, rowsPerPartition: perPartition)
        let runtime = TestSupport.runtime(workers: workers, memory: memory, batchRows: 8192, shufflePartitions: 4)
        let result = try Self.run(table, runtime: runtime)

        var sums = [Int64](repeating: 0, count: Self.groups), counts = [Int64](repeating: 0, count: Self.groups)
        var sets = [Set<Int32>](repeating: [], count: Self.groups)
        for (row, key) in keys.enumerated() {
            sums[key] += Int64(row % 100)
            counts[key] += 1
            if row % 17 != 0 { sets[key].insert(Int32(15_000 + row % 30)) }
        }
        let expected = (0..<Self.groups).sorted { "c\($0)" < "c\($1)" }
        let got = TestSupport.rows([result])
        #expect(got.count == Self.groups)
        var mismatches = 0
        for (row, key) in zip(got, expected) where row != [
            .string("c\(key)"), .string("p\(key % 7)"), .int64(sums[key]), .list(sets[key].sorted().map { Value.date($0) }), .int64(counts[key]),
        ] { mismatches += 1 }
        #expect(mismatches == 0)
        if memory == nil {
            // Each of the two map tasks hands on exactly its 90k groups, not its 400k rows.
            #expect(runtime.stageMetrics.first?.rowsOut == partitions * Self.groups)
        }
    }

    @Test("keys that never repeat: the probe bucket's merge keeps every row, merging stops, nothing is lost")
    func unique() throws {
        let (table, _) = try Self.table(partitions: 2, rowsPerPartition: 150_000, unique: true)
        let runtime = TestSupport.runtime(workers: 2, batchRows: 8192, shufflePartitions: 4)
        let result = try Self.run(table, runtime: runtime)
        #expect(result.rowCount == 300_000)
        #expect(runtime.stageMetrics.first?.rowsOut == 300_000)
        #expect(TestSupport.rows([result]).allSatisfy { $0[4] == .int64(1) })
    }
}
