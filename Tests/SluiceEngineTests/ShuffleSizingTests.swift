import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Synchronization
import Testing

/// Shuffles get a bucket per 32 MB of the input they stand for, so a reduce task's table stays
/// small whatever the input; an explicit count wins. Progress follows the stages.
@Suite("Shuffle sizing and stage progress")
struct ShuffleSizingTests {
    @Test("buckets double with the input's bytes, from the worker rule up to a batch's 1,024-row pieces")
    func buckets() {
        let config = ExecutionConfig(workers: 2)
        #expect(config.effectiveShufflePartitions == 8)
        #expect(config.shufflePartitions(forInputBytes: nil) == 8)
        #expect(config.shufflePartitions(forInputBytes: 1 << 20) == 8)
        #expect(config.shufflePartitions(forInputBytes: 256 << 20) == 8)
        #expect(config.shufflePartitions(forInputBytes: (256 << 20) + 1) == 16)
        #expect(config.shufflePartitions(forInputBytes: 905_000_000) == 32)
        #expect(config.shufflePartitions(forInputBytes: 1_900_000_000) == 64)
        #expect(config.shufflePartitions(forInputBytes: 4_746_000_000) == 64)
        #expect(config.shufflePartitions(forInputBytes: 1 << 40) == 64)
        // Bigger batches leave bigger pieces, so more buckets are worth having.
        #expect(ExecutionConfig(workers: 2, batchRows: 1 << 19).shufflePartitions(forInputBytes: 1 << 40) == 512)
        // A cap between powers of two stops below it: 100,000-row batches allow 97, so 64.
        #expect(ExecutionConfig(workers: 2, batchRows: 100_000).shufflePartitions(forInputBytes: 1 << 40) == 64)
        // Small batches never take the worker rule's buckets away.
        #expect(ExecutionConfig(workers: 2, batchRows: 1_000).shufflePartitions(forInputBytes: 1 << 40) == 8)
        #expect(ExecutionConfig(workers: 8).shufflePartitions(forInputBytes: 1 << 20) == 32)
        #expect(ExecutionConfig(workers: 2, shufflePartitions: 3).shufflePartitions(forInputBytes: 1 << 40) == 3)
    }

    @Test("the planner sizes a shuffle by the sources it reads")
    func planned() throws {
        let batch = RecordBatch(unchecked: Schema([Field("k", .int64), Field("v", .int64)]),
                                columns: [.int64([1, 2, 3]), .int64([4, 5, 6])], rowCount: 3)
        let small = try PhysicalPlanner(config: ExecutionConfig(workers: 2)).plan(
            DataFrame(SizedTable(batch, bytes: 1 << 20)).groupBy("k").agg(Agg.sum(col("v"))).plan)
        let large = try PhysicalPlanner(config: ExecutionConfig(workers: 2)).plan(
            DataFrame(SizedTable(batch, bytes: 2 << 30)).groupBy("k").agg(Agg.sum(col("v"))).plan)
        #expect(small.partitioning.count == 8)
        #expect(large.partitioning.count == 64)
    }

    @Test("progress counts each stage's tasks and the result rows handed on")
    func progress() throws {
        let runtime = TestSupport.runtime(workers: 2, shufflePartitions: 4)
        let batch = RecordBatch(unchecked: Schema([Field("k", .int64), Field("v", .int64)]),
                                columns: [.int64((0..<1_000).map { Int64($0 % 37) }), .int64(Array(repeating: 1, count: 1_000))], rowCount: 1_000)
        let result = try DataFrame(TestSupport.table(batch, partitions: 3)).groupBy("k").agg(Agg.sum(col("v")).as("n"))
            .sort(.asc("k")).collectBatch(runtime: runtime)
        #expect(result.rowCount == 37)
        let progress = runtime.progress
        #expect(progress.stageCount.load(ordering: .relaxed) == 3)
        #expect(progress.stage.load(ordering: .relaxed) == 3)
        #expect(progress.rowsOut.load(ordering: .relaxed) == 37)
        #expect(runtime.stageMetrics.map(\.tasks) == [3, 4, 1])
    }
}

/// A memory table that says how many bytes it stands for, as a file source does.
private final class SizedTable: TableSource {
    let inner: MemoryTable
    let bytes: Int
    init(_ batch: RecordBatch, bytes: Int) {
        inner = MemoryTable(schema: batch.schema, partitions: [[batch], [batch]])
        self.bytes = bytes
    }
    var scanName: String { "SizedScan" }
    var displayName: String { "sized" }
    var schema: Schema { inner.schema }
    var estimatedBytes: Int? { bytes }
    func partitionCount(config: ExecutionConfig) -> Int { 2 }
    func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        try inner.open(partition: partition, projection: projection, context: context)
    }
}
