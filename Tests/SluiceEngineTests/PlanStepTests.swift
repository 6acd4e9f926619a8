import Foundation
import Synchronization
import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// Issue 9: list keys, failures of any type, observations, and results that stream.
@Suite("Plan steps: list keys, observe, failures, streaming results")
struct PlanStepTests {
    @Test("grouping, distinct or joining on a list column is refused when the plan is built")
    func listKeys() throws {
        let batch = try TestSupport.batch([("id", .int64), ("day", .date)], [[.int64(1), .date(1)], [.int64(1), .date(2)], [.int64(2), .date(1)]])
        let lists = DataFrame(TestSupport.table(batch)).groupBy("id").agg(Agg.collectSet(col("day")).as("days"))
        let runtime = TestSupport.runtime()
        for frame in [lists.groupBy("days").agg(Agg.count().as("n")), lists.distinct(), lists.join(lists.select(col("days")), on: "days")] {
            #expect(performing: { _ = try frame.collectBatch(runtime: runtime) },
                    throws: { ($0 as? SluiceError)?.kind == .plan && "\($0)".contains("is a list") })
        }
        // The list values themselves still come out, each its own set.
        let result = try lists.sort(.asc("id")).collectBatch(runtime: runtime)
        #expect(result.rows.map { $0[0] } == [.int64(1), .int64(2)])
    }

    @Test("list hashes are the same on every run (not Swift's seeded hashValue)")
    func listHash() throws {
        let column = try Column.from([.list([.int64(1), .int64(2)]), .list([.int64(2)])], type: .list(.int64))
        var hashes = [UInt64](repeating: 0, count: 2)
        column.combineHashes(into: &hashes)
        // The text "[1, 2]" hashed with Hash64: a constant of the code, not of the process.
        var text = "[1, 2]"
        let expected = Hash64.combine(0, text.withUTF8 { Hash64.bytes(UnsafeRawBufferPointer($0)) })
        #expect(hashes[0] == expected)
    }

    @Test("observe adds figures over the rows that flow past; the rows pass unchanged", arguments: [1, 3])
    func observe(partitions: Int) throws {
        let batch = try TestSupport.batch([("k", .string), ("n", .int64)], [
            [.string("a"), .int64(2)], [.null, .int64(5)], [.string("b"), .int64(7)], [.null, .null],
        ])
        let runtime = TestSupport.runtime()
        let result = try DataFrame(TestSupport.table(batch, partitions: partitions))
            .observe(.count("rows"), .sum("total", col("n")), .count("no_key", where: col("k").isNull()), .sum("keyed", col("n"), where: col("k").isNotNull()))
            .collectBatch(runtime: runtime)
        #expect(result.rowCount == 4)
        #expect(runtime.observations["rows"] == 4)
        #expect(runtime.observations["total"] == 14)
        #expect(runtime.observations["no_key"] == 2)
        #expect(runtime.observations["keyed"] == 9)
    }

    @Test("a custom observation sees every batch with its columns (kept by projection pushdown) and can set rows apart", arguments: [1, 3])
    func customObservation(partitions: Int) throws {
        let batch = try TestSupport.batch([("k", .string), ("n", .int64)], [
            [.string("a"), .int64(2)], [.null, .int64(5)], [.string("b"), .int64(7)], [.null, .null],
        ])
        let runtime = TestSupport.runtime()
        let result = try DataFrame(TestSupport.table(batch, partitions: partitions))
            .observe(.custom("big", columns: ["n"]) { batch, rejects throws(SluiceError) in
                guard let index = batch.schema.index(of: "n"), case .int64(let values) = batch.columns[index].storage else {
                    throw SluiceError.internal("no n in \(batch.schema)")
                }
                let big = (0..<batch.rowCount).filter { !batch.columns[index].isNull($0) && values[$0] > 3 }.count
                rejects.count(source: "s", read: 0, passed: -big, rejected: 0, apart: big)
                return Int64(big)
            })
            .select(col("k"))
            .collectBatch(runtime: runtime)
        #expect(result.rowCount == 4 && result.schema.names == ["k"])
        #expect(runtime.observations["big"] == 2)
        let counts = try #require(runtime.rejects.sourceCounts.first { $0.source == "s" })
        #expect(counts.apart == 2 && counts.passed == -2 && counts.read == 0)
    }

    final class FailingSource: TableSource, @unchecked Sendable {
        let schema = Schema([Field("x", .int64)])
        /// Batches the healthy partitions produced, all of them together.
        let produced = Atomic<Int>(0)
        var scanName: String { "Failing" }
        var displayName: String { "failing" }
        func partitionCount(config: ExecutionConfig) -> Int { 4 }
        func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
            // The seams throw SluiceError only (typed throws), so a source wrapping a foreign
            // library converts its errors here; the engine never meets an error it does not know.
            if partition == 1 { throw SluiceError(.io, "the disk went away", location: "failing partition 1") }
            return SlowStream(context: context, source: self)
        }
    }

    final class SlowStream: BatchStream {
        let context: TaskContext
        let source: FailingSource
        var left = 2_000
        init(context: TaskContext, source: FailingSource) {
            self.context = context
            self.source = source
        }
        func next() throws(SluiceError) -> RecordBatch? {
            try context.checkCancelled()
            guard left > 0 else { return nil }
            left -= 1
            source.produced.wrappingAdd(1, ordering: .relaxed)
            usleep(1_000)
            return RecordBatch(unchecked: Schema([Field("x", .int64)]), columns: [.int64([1])], rowCount: 1)
        }
    }

    @Test("a failing task cancels its siblings and its error, not a cancellation, is the one reported")
    func failureCancels() throws {
        let runtime = TestSupport.runtime(workers: 4)
        let source = FailingSource()
        #expect(performing: {
            _ = try DataFrame(source).groupBy([]).agg(Agg.count().as("n")).collectBatch(runtime: runtime)
        }, throws: { ($0 as? SluiceError)?.kind == .io && ($0 as? SluiceError)?.message == "the disk went away" })
        // Without the cancellation the other three tasks would produce 6,000 batches between them.
        #expect(source.produced.load(ordering: .relaxed) < 3_000)
        #expect(runtime.cancellation.isCancelled)
    }

    /// Rows 0..<n with a value that sorts them in another order than the id.
    static func numbers(_ count: Int, partitions: Int) throws -> MemoryTable {
        let perPartition = count / partitions
        let parts = (0..<partitions).map { part -> [RecordBatch] in
            let ids = (0..<perPartition).map { Int64(part * perPartition + $0) }
            return RecordBatch(unchecked: Schema([Field("id", .int64), Field("key", .int64), Field("text", .string)]), columns: [
                .int64(ids), .int64(ids.map { ($0 &* 7_919) % 10_007 }), .string(ids.map { "row-\($0)-padding-padding" }),
            ], rowCount: ids.count).chunks(maxRows: 4_096)
        }
        return MemoryTable(schema: Schema([Field("id", .int64), Field("key", .int64), Field("text", .string)]), partitions: parts)
    }

    @Test("a sorted result as large as its input streams out under a budget far smaller than it", arguments: [1, 2])
    func sortedResultStreams(workers: Int) throws {
        let table = try Self.numbers(200_000, partitions: 4)
        let frame = DataFrame(table).sort(.asc("key"), .asc("id"))
        var reference: [Int64] = []
        try frame.forEachBatch(runtime: TestSupport.runtime(workers: workers)) { batch in
            if case .int64(let ids) = batch.columns[0].storage { reference += ids }
        }
        let budget = 2 << 20
        let runtime = TestSupport.runtime(workers: workers, memory: budget, batchRows: 4_096)
        var ids: [Int64] = []
        var largestBatch = 0
        let plan = try frame.physicalPlan(config: runtime.config)
        try JobRunner.run(plan, runtime: runtime) { batch in
            largestBatch = max(largestBatch, batch.byteSize)
            if case .int64(let values) = batch.columns[0].storage { ids += values }
        }
        #expect(ids == reference)
        #expect(ids.count == 200_000)
        #expect(runtime.memoryPool.peak <= budget)
        // The sorted partitions waited for their merge on disk, not in memory: the merge's
        // own spool spilled (before, it held every sorted partition whole, unaccounted).
        let merge = try #require(plan as? MergeSortedExec)
        #expect(merge.metrics.spilledBytes > 0)
        #expect(largestBatch < budget)
    }

    @Test("an unsorted multi-partition result comes out in partition order, the later partitions spooled within the budget",
          arguments: [2, 3])
    func partitionOrder(workers: Int) throws {
        let table = try Self.numbers(120_000, partitions: 6)
        let budget = 1 << 20
        let runtime = TestSupport.runtime(workers: workers, memory: budget, batchRows: 2_048)
        var ids: [Int64] = []
        try DataFrame(table).filter(col("id").gtEq(lit(0))).forEachBatch(runtime: runtime) { batch in
            if case .int64(let values) = batch.columns[0].storage { ids += values }
        }
        #expect(ids == (0..<120_000).map(Int64.init))
        #expect(runtime.memoryPool.peak <= budget)
        // A filter keeps no state: what spilled were the later partitions waiting their turn.
        #expect(runtime.spill.bytesWritten > 0)
    }

    @Test("with one worker the partitions stream one after another, in order, with nothing spooled")
    func oneWorkerStreams() throws {
        let runtime = TestSupport.runtime(workers: 1, memory: 1 << 20, batchRows: 2_048)
        var ids: [Int64] = []
        try DataFrame(try Self.numbers(60_000, partitions: 6)).filter(col("id").gtEq(lit(0))).forEachBatch(runtime: runtime) { batch in
            if case .int64(let values) = batch.columns[0].storage { ids += values }
        }
        #expect(ids == (0..<60_000).map(Int64.init))
        #expect(runtime.spill.bytesWritten == 0)
    }

    @Test("a reject after a join or an aggregation is refused: its rows no longer stand for one input line each")
    func rejectAfterJoin() throws {
        let batch = try TestSupport.batch([("k", .int64), (Provenance.sourceColumn, .string), (Provenance.lineColumn, .int64)],
                                          [[.int64(1), .string("a.csv"), .int64(2)]])
        let frame = DataFrame(TestSupport.table(batch))
        let joined = frame.join(frame.select(col("k")), on: "k").rejectWhen(col("k").isNull(), kind: "x", reason: "x")
        let grouped = frame.groupBy("k", Provenance.sourceColumn, Provenance.lineColumn).agg(Agg.count().as("n"))
            .rejectWhen(col("n").gt(lit(1)), kind: "x", reason: "x")
        for plan in [joined, grouped] {
            #expect(performing: { _ = try plan.collectBatch(runtime: TestSupport.runtime()) },
                    throws: { ($0 as? SluiceError)?.kind == .plan && "\($0)".contains("one input line") })
        }
        // Before the join, the same rule is fine.
        let early = try frame.rejectWhen(col("k").isNull(), kind: "x", reason: "x").collectBatch(runtime: TestSupport.runtime())
        #expect(early.rowCount == 1)
    }
}

/// Issue 10 (item 3): the final merge is a heap, so many sorted partitions merge correctly.
@Suite("merging many sorted partitions")
struct ManyRunMergeTests {
    @Test("500 sorted partitions merge into the stable global order", arguments: [1, 2])
    func manyPartitions(workers: Int) throws {
        var random = 12_345 as UInt64
        let parts = (0..<500).map { part -> [RecordBatch] in
            let keys = (0..<40).map { _ -> Int64 in
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int64((random >> 33) % 97)
            }
            return [RecordBatch(unchecked: Schema([Field("key", .int64), Field("at", .int64)]),
                                columns: [.int64(keys), .int64((0..<40).map { Int64(part * 40 + $0) })], rowCount: 40)]
        }
        let table = MemoryTable(schema: Schema([Field("key", .int64), Field("at", .int64)]), partitions: parts)
        let result = try DataFrame(table).sort(.asc("key")).collectBatch(runtime: TestSupport.runtime(workers: workers, batchRows: 64))
        let rows = result.rows.map { ($0[0], $0[1]) }
        var expected: [(Value, Value)] = []
        for part in parts { expected += part[0].rows.map { ($0[0], $0[1]) } }
        // A stable sort of the concatenation: equal keys keep their partition order.
        let order = expected.enumerated().sorted { a, b in
            guard case .int64(let x) = a.element.0, case .int64(let y) = b.element.0 else { return false }
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        #expect(rows.count == 20_000)
        #expect(rows.map(\.0) == order.map(\.0))
        #expect(rows.map(\.1) == order.map(\.1))
    }
}
