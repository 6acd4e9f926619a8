import Foundation
import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// A map-side aggregate over nearly unique keys stops grouping after its probe and passes
/// rows on as states; the final phase must give exactly the grouped answer either way.
@Suite("Partial aggregation skipped when it does not reduce")
struct PartialSkipTests {
    /// `rows` rows keyed by (long text id, number): unique for the first `uniqueRows`, then
    /// every key seen again (copies spread across the partitions).
    static func table(rows: Int, uniqueRows: Int, partitions: Int) throws -> MemoryTable {
        var ids: [String] = [], numbers: [Int64] = [], lines: [Int64] = []
        for row in 0..<rows {
            let key = row < uniqueRows ? row : (row * 7919) % uniqueRows
            ids.append("customer-\(key % 1000)-long-enough-to-intern")
            numbers.append(Int64(key))
            lines.append(Int64(row + 1))
        }
        let schema = Schema([Field("id", .string), Field("n", .int64), Field("line", .int64)])
        let batch = try RecordBatch(schema: schema, columns: [.string(ids), .int64(numbers), .int64(lines)])
        return Self.scanned(batch, partitions: partitions)
    }

    /// `batch` cut into `partitions`, each handed on in 8,192-row batches as a scan would, so
    /// a partition of over 100k rows reaches the map side's probe.
    static func scanned(_ batch: RecordBatch, partitions: Int) -> MemoryTable {
        let size = (batch.rowCount + partitions - 1) / partitions
        return MemoryTable(schema: batch.schema, partitions: batch.chunks(maxRows: size).map { $0.chunks(maxRows: 8192) })
    }

    @Test("distinct over mostly unique rows: copies counted, first line kept", arguments: [1, 2, 4])
    func mostlyUnique(workers: Int) throws {
        let rows = 240_000, unique = 200_000
        // Two partitions of 120k rows: the first is all new keys, so its probe stops grouping.
        let result = try DataFrame(try Self.table(rows: rows, uniqueRows: unique, partitions: 2))
            .groupBy("id", "n")
            .agg(Agg.min(col("line")).as("first"), Agg.count().as("copies"), Agg.sum(col("line")).as("lines"))
            .sort(.asc("first"))
            .collectBatch(runtime: TestSupport.runtime(workers: workers, batchRows: 8192, shufflePartitions: 3))
        #expect(result.rowCount == unique)
        var copies = [Int64](repeating: 1, count: unique), sums = (0..<unique).map { Int64($0 + 1) }
        for row in unique..<rows {
            let key = (row * 7919) % unique
            copies[key] += 1
            sums[key] += Int64(row + 1)
        }
        let got = TestSupport.rows([result])
        #expect(got.count == unique)
        var mismatches = 0
        for (index, row) in got.enumerated() where row != [
            .string("customer-\(index % 1000)-long-enough-to-intern"), .int64(Int64(index)), .int64(Int64(index + 1)),
            .int64(copies[index]), .int64(sums[index]),
        ] { mismatches += 1 }
        #expect(mismatches == 0)
    }

    @Test("sets and sums passed through as one-row states (nulls included) merge to the grouped answer", arguments: [1, 2])
    func passedThroughStates(workers: Int) throws {
        // Unique (id, n) keys for the first rows trip the skip; the later copies then reach
        // the final phase as one-row states, beside the grouped ones.
        let rows = 300_000, unique = 240_000
        var ids: [String] = [], numbers: [Int64] = [], days: [Value] = [], units: [Value] = [], lines: [Int64] = []
        for row in 0..<rows {
            let key = row < unique ? row : (row * 7919) % unique
            ids.append("c\(key % 500)")
            numbers.append(Int64(key))
            days.append(row % 11 == 0 ? .null : .date(Int32(15_000 + row % 40)))
            units.append(row % 13 == 0 ? .null : .int64(Int64(row % 200)))
            lines.append(Int64(row + 1))
        }
        let schema = Schema([Field("id", .string), Field("n", .int64), Field("day", .date), Field("units", .int64), Field("line", .int64)])
        let batch = try RecordBatch(schema: schema, columns: [
            .string(ids), .int64(numbers), try Column.from(days, type: .date), try Column.from(units, type: .int64), .int64(lines),
        ])
        let result = try DataFrame(Self.scanned(batch, partitions: 2))
            .groupBy("id", "n")
            .agg(Agg.collectSet(col("day")).as("days"), Agg.sum(col("units")).as("units"), Agg.countDistinct(col("day")).as("distinct_days"))
            .sort(.asc("n"))
            .collectBatch(runtime: TestSupport.runtime(workers: workers, batchRows: 4096, shufflePartitions: 3))
        var sets = [Set<Int32>](repeating: [], count: unique)
        var sums = [Int64?](repeating: nil, count: unique)
        for row in 0..<rows {
            let key = row < unique ? row : (row * 7919) % unique
            if case .date(let day) = days[row] { sets[key].insert(day) }
            if case .int64(let value) = units[row] { sums[key] = (sums[key] ?? 0) + value }
        }
        let got = TestSupport.rows([result])
        #expect(got.count == unique)
        var mismatches = 0
        for (index, row) in got.enumerated() {
            let expectedDays = Value.list(sets[index].sorted().map { Value.date($0) })
            let expectedSum = sums[index].map(Value.int64) ?? .null
            if row != [.string("c\(index % 500)"), .int64(Int64(index)), expectedDays, expectedSum, .int64(Int64(sets[index].count))] {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test("a reducing aggregate keeps grouping and gives the same totals")
    func reducing() throws {
        let result = try DataFrame(try Self.table(rows: 300_000, uniqueRows: 1000, partitions: 2))
            .groupBy("id")
            .agg(Agg.count().as("rows"))
            .sort(.asc("id"))
            .collectBatch(runtime: TestSupport.runtime(workers: 2, batchRows: 8192))
        #expect(result.rowCount == 1000)
        #expect(TestSupport.rows([result]).allSatisfy { $0[1] == .int64(300) })
    }
}

/// String keys of 8–15 bytes are packed into two words instead of interned; every length
/// around the edges, nulls and longer values in the same column must still group exactly.
@Suite("Two-word string keys")
struct WideStringKeyTests {
    @Test("lengths 0, 7, 8, 15, 16 and 40, nulls and repeats group exactly", arguments: [1, 2])
    func edges(workers: Int) throws {
        let values: [String?] = ["org_000001", "org_000002", "", "1234567", "12345678", "123456789012345", "1234567890123456",
                                 String(repeating: "x", count: 40), nil, "org_000001", "12345678", nil, "123456789012345",
                                 "123456789012345 ", "org_00000"]
        // The first batch is mostly 10-byte ids, so the column is laid out in two words.
        var ids: [String?] = (0..<600).map { "org_\(String(format: "%06d", $0 % 50))" }
        for _ in 0..<40 { ids += values }
        let schema = Schema([Field("id", .string), Field("one", .int64)])
        let column = try Column.from(ids.map { $0.map(Value.string) ?? .null }, type: .string)
        let batch = try RecordBatch(schema: schema, columns: [column, .int64(Array(repeating: 1, count: ids.count))])
        let result = try DataFrame(TestSupport.table(batch, partitions: 2))
            .groupBy("id")
            .agg(Agg.count().as("rows"))
            .sort(.asc("id"))
            .collectBatch(runtime: TestSupport.runtime(workers: workers, batchRows: 700))
        var expected: [String?: Int64] = [:]
        for id in ids { expected[id, default: 0] += 1 }
        let got = TestSupport.rows([result])
        #expect(got.count == expected.count)
        for row in got {
            let key: String? = if case .string(let text) = row[0] { text } else { nil }
            #expect(row[1] == .int64(expected[key] ?? -1), "group \(String(describing: key))")
        }
    }
}
