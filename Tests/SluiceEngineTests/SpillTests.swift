import Foundation
import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

@Suite("Spilling under a memory budget")
struct SpillTests {
    static func table(rows: Int, keys: Int, partitions: Int) throws -> MemoryTable {
        var values: [[Value]] = []
        values.reserveCapacity(rows)
        for row in 0..<rows {
            let key = (row &* 7_919) % keys
            values.append([.string("key-\(key)-with-a-long-suffix"), .int64(Int64(row % 13)), .date(Int32(18_000 + row % 40))])
        }
        let batch = try TestSupport.batch([("k", .string), ("v", .int64), ("d", .date)], values)
        return TestSupport.table(batch, partitions: partitions)
    }

    static func job(_ table: MemoryTable) -> DataFrame {
        DataFrame(table)
            .groupBy("k").agg(Agg.sum(col("v")).as("s"), Agg.collectSet(col("d")).as("days"), Agg.count().as("n"))
            .sort(.asc("k"))
    }

    @Test("aggregation, shuffle and sort spill under a tiny budget and give the unbounded result", arguments: [1, 2])
    func spilledEqualsUnbounded(workers: Int) throws {
        let table = try Self.table(rows: 40_000, keys: 9_000, partitions: 4)
        let expected = try Self.job(table).collectBatch(runtime: TestSupport.runtime(workers: workers, batchRows: 1_000)).rows
        let runtime = TestSupport.runtime(workers: workers, memory: 1 << 20, batchRows: 500, shufflePartitions: 2)
        let bounded = try Self.job(table).collectBatch(runtime: runtime).rows
        #expect(bounded == expected)
        #expect(expected.count == 9_000)
        let spilled = runtime.stageMetrics.reduce(0) { $0 + $1.spillBytes }
        #expect(spilled > 0)
        #expect(runtime.spill.bytesWritten > 0)
        #expect(!FileManager.default.fileExists(atPath: runtime.spill.directory), "spill files are removed after the run")
    }

    @Test("two jobs on one runtime both spill: the directory the first job's end removed is made again")
    func spillAfterCleanup() throws {
        let table = try Self.table(rows: 20_000, keys: 5_000, partitions: 2)
        let runtime = TestSupport.runtime(workers: 2, memory: 1 << 20, batchRows: 500, shufflePartitions: 2)
        let first = try Self.job(table).collectBatch(runtime: runtime).rows
        let spilled = runtime.spill.bytesWritten
        let second = try Self.job(table).collectBatch(runtime: runtime).rows
        #expect(first == second && first.count == 5_000)
        #expect(spilled > 0 && runtime.spill.bytesWritten > spilled)
    }

    @Test("a corrupted spill segment is detected by its checksum, never read as data")
    func corruption() throws {
        let manager = SpillManager(temporaryDirectory: NSTemporaryDirectory())
        defer { manager.cleanup() }
        let batch = try TestSupport.batch([("k", .string), ("v", .int64)], [[.string("a"), .int64(1)], [.string("b"), .null]])
        let writer = try manager.createFile("test")
        let segment = try writer.write(batch)
        #expect(try segment.read(schema: batch.schema).rows == batch.rows)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment.path))
        try handle.seek(toOffset: UInt64(segment.offset + segment.length - 3))
        try handle.write(contentsOf: Data([0xFF]))
        try handle.close()
        #expect(performing: { _ = try segment.read(schema: batch.schema) },
                throws: { ($0 as? SluiceError)?.message.contains("checksum") == true })
    }

    @Test("a cancelled spilling run leaves no spill files behind")
    func cancellation() throws {
        let table = try Self.table(rows: 20_000, keys: 5_000, partitions: 4)
        let runtime = TestSupport.runtime(workers: 2, memory: 1 << 20, batchRows: 500, shufflePartitions: 2)
        var batchesSeen = 0
        #expect(throws: SluiceError.self) {
            try Self.job(table).forEachBatch(runtime: runtime) { _ in
                batchesSeen += 1
                runtime.cancellation.cancel("test")
                try runtime.cancellation.check()
            }
        }
        #expect(runtime.spill.bytesWritten > 0)
        #expect(!FileManager.default.fileExists(atPath: runtime.spill.directory))
    }
}
