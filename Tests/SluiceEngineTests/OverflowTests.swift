import Foundation
import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// Issue 10, item 5: sums widen to 128 bits instead of stopping the run; only a final total
/// past the output type is an error, and it names the group.
@Suite("Sums past the 64-bit range")
struct SumWideningTests {
    static let max = Int64.max, min = Int64.min

    /// Per key: max, max, then (in the second half, so another partition) min, min, k. The
    /// running total passes 2⁶³ and comes back: the exact total is k − 2.
    static func swinging(keys: Int) throws -> RecordBatch {
        var first: [[Value]] = [], second: [[Value]] = []
        for key in 0..<keys {
            let name = Value.string("key-\(key)-with-a-long-suffix")
            first += [[name, .int64(max)], [name, .int64(max)]]
            second += [[name, .int64(min)], [name, .int64(min)], [name, .int64(Int64(key))]]
        }
        return try TestSupport.batch([("k", .string), ("v", .int64)], first + second)
    }

    @Test("a total that passes the range on the way and comes back is exact, in any partitioning", arguments: [1, 2, 4], [1, 2, 3])
    func comesBack(workers: Int, partitions: Int) throws {
        let table = TestSupport.table(try Self.swinging(keys: 3), partitions: partitions)
        let rows = try DataFrame(table).groupBy("k").agg(Agg.sum(col("v")).as("s"), Agg.avg(col("v")).as("mean"))
            .sort(.asc("k")).collectBatch(runtime: TestSupport.runtime(workers: workers, batchRows: 2, shufflePartitions: 3)).rows
        #expect(rows.map { $0[1] } == [.int64(-2), .int64(-1), .int64(0)])
        // The mean comes from the exact total: (k − 2) / 5.
        #expect(rows.map { $0[2] } == [.float64(-0.4), .float64(-0.2), .float64(0)])
    }

    @Test("global: two Int64.max and two Int64.min and 7 total 5")
    func global() throws {
        let batch = try TestSupport.batch([("v", .int64)], [[.int64(Self.max)], [.int64(Self.max)], [.int64(Self.min)], [.int64(Self.min)], [.int64(7)]])
        for partitions in [1, 2, 5] {
            let rows = try DataFrame(TestSupport.table(batch, partitions: partitions)).groupBy([]).agg(Agg.sum(col("v")).as("s"))
                .collectBatch(runtime: TestSupport.runtime(batchRows: 1)).rows
            #expect(rows == [[.int64(5)]])
        }
    }

    @Test("two Int64.max in one group: the run fails naming the group and the exact total")
    func pastTheRange() throws {
        let batch = try TestSupport.batch([("customer", .string), ("product", .string), ("units", .int64)], [
            [.string("c1"), .string("p1"), .int64(Self.max)], [.string("c2"), .string("p1"), .int64(1)],
            [.string("c1"), .string("p1"), .int64(Self.max)],
        ])
        for partitions in [1, 3] {
            let frame = DataFrame(TestSupport.table(batch, partitions: partitions))
                .groupBy("customer", "product").agg(Agg.sum(col("units")).as("units"))
            #expect(performing: { _ = try frame.collectBatch(runtime: TestSupport.runtime(batchRows: 1)) }, throws: { error in
                guard let error = error as? SluiceError else { return false }
                return error.kind == .data && error.message == "sum units for customer = c1, product = p1 is 18446744073709551614, past the range of int64"
            })
        }
    }

    @Test("decimal sums widen the same way; the mean of huge prices is exact")
    func decimals() throws {
        let batch = try TestSupport.batch([("k", .string), ("price", .decimal(precision: 18, scale: 2))], [
            [.string("a"), .decimal(Self.max, scale: 2)], [.string("a"), .decimal(Self.max, scale: 2)],
            [.string("a"), .decimal(-Self.max, scale: 2)], [.string("a"), .decimal(-Self.max + 150, scale: 2)],
            [.string("b"), .decimal(Self.max, scale: 2)], [.string("b"), .decimal(Self.max - 2, scale: 2)],
        ])
        let rows = try DataFrame(TestSupport.table(batch, partitions: 2)).groupBy("k")
            .agg(Agg.avg(col("price")).as("mean")).sort(.asc("k")).collectBatch(runtime: TestSupport.runtime(batchRows: 1)).rows
        // a: 1.50 / 4 = 0.375 → 0.38; b: (2·max − 2) / 2 = max − 1, though the total does not fit.
        #expect(rows == [[.string("a"), .decimal(38, scale: 2)], [.string("b"), .decimal(Self.max - 1, scale: 2)]])
        let total = DataFrame(TestSupport.table(batch)).groupBy("k").agg(Agg.sum(col("price")).as("total"))
        #expect(performing: { _ = try total.collectBatch(runtime: TestSupport.runtime()) },
                throws: { ($0 as? SluiceError)?.message == "sum total for k = b is 184467440737095516.12, past the range of decimal(18,2)" })
    }

    @Test("the widened state survives early partial flushes, the shuffle and grace-hash spills", arguments: [1, 2])
    func spilled(workers: Int) throws {
        let keys = 6_000
        let table = TestSupport.table(try Self.swinging(keys: keys), partitions: 4)
        let job = DataFrame(table).groupBy("k").agg(Agg.sum(col("v")).as("s"), Agg.count().as("n")).sort(.asc("k"))
        let runtime = TestSupport.runtime(workers: workers, memory: 1 << 20, batchRows: 500, shufflePartitions: 2)
        let rows = try job.collectBatch(runtime: runtime).rows
        #expect(rows.count == keys)
        var expected: [String: Int64] = [:]
        for key in 0..<keys { expected["key-\(key)-with-a-long-suffix"] = Int64(key) - 2 }
        let wrong = rows.filter { row in
            guard case .string(let name) = row[0], case .int64(let total) = row[1] else { return true }
            return expected[name] != total || row[2] != .int64(5)
        }
        #expect(wrong.isEmpty)
        #expect(runtime.stageMetrics.reduce(0) { $0 + $1.spillBytes } > 0)
    }
}

@Suite("tryMultiply")
struct TryMultiplyTests {
    @Test("a product past the range is null instead of an error; `*` still fails")
    func tryMultiply() throws {
        let batch = try TestSupport.batch([("quantity", .int64), ("price", .decimal(precision: 10, scale: 2))], [
            [.int64(3), .decimal(1050, scale: 2)], [.int64(Int64.max), .decimal(1050, scale: 2)], [.int64(Int64.max), .decimal(0, scale: 2)],
            [.null, .decimal(100, scale: 2)],
        ])
        let frame = DataFrame(TestSupport.table(batch))
        let rows = try frame.select(SluiceEngine.tryMultiply(col("quantity"), col("price")).alias("revenue")).collectBatch(runtime: TestSupport.runtime()).rows
        #expect(rows == [[.decimal(3150, scale: 2)], [.null], [.decimal(0, scale: 2)], [.null]])
        #expect(try frame.select(SluiceEngine.tryMultiply(col("quantity"), col("quantity")).alias("q")).schema()[0].type == .int64)
        #expect(performing: { _ = try frame.select((col("quantity") * col("price")).alias("r")).collectBatch(runtime: TestSupport.runtime()) },
                throws: { ($0 as? SluiceError)?.message.contains("integer overflow") == true })
    }
}
