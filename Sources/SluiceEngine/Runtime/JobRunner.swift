public import SluiceCore

/// Runs a physical plan stage by stage on the runtime's worker pool.
///
/// For each stage in dependency order: prepare its sources, run one task per partition
/// (writing into the stage's boundary), record its metrics, and free the boundaries it
/// read. The final stage's batches go to `consume` in partition order, so the output order
/// is the plan's, not the order in which workers finished.
public enum JobRunner {
    public static func run(
        _ root: any ExecutionPlan, runtime: ExecutionRuntime, consume: (RecordBatch) throws -> Void
    ) throws {
        let stages = StagePlanner.stages(of: root)
        defer {
            for stage in stages { stage.boundary?.release() }
            runtime.spill.cleanup()
        }
        for stage in stages {
            try runtime.cancellation.check()
            let started = SystemInfo.monotonicNanos()
            _ = runtime.memoryPool.takeWindowPeak()
            for case let source as any PreparableSource in stage.operators {
                try source.prepare(runtime: runtime)
            }
            var rowsOut = 0
            var bytesOut = 0
            if let boundary = stage.boundary {
                try boundary.materialize(runtime: runtime, stage: stage.id)
                // A boundary counts what its child stage wrote (shuffle, broadcast) as output,
                // or, for a merge that only gathers, as input.
                rowsOut = max(boundary.metrics.outputRows, boundary.metrics.inputRows)
                bytesOut = boundary.metrics.outputBytes
            } else {
                let partitions = try runtime.runTasks(stage: stage.id, taskCount: stage.taskCount) { context in
                    let stream = try root.execute(partition: context.partition, context: context)
                    var batches: [RecordBatch] = []
                    while let batch = try stream.next() { batches.append(batch) }
                    return SendableBatches(batches: batches)
                }
                for batch in partitions.flatMap(\.batches) {
                    rowsOut += batch.rowCount
                    bytesOut += batch.byteSize
                    try consume(batch)
                }
            }
            let leaves = stage.operators.filter { $0.children.isEmpty || $0 is any StageBoundary }
            let rowsIn = leaves.reduce(0) { $0 + $1.metrics.outputRows }
            // Spill is charged to the stage that wrote it: its own operators and the boundary
            // it writes into, not the boundaries it reads.
            let ownOperators = stage.operators.filter { !($0 is any StageBoundary) }
            let spilled = ownOperators.reduce(0) { $0 + $1.metrics.spilledBytes } + (stage.boundary?.metrics.spilledBytes ?? 0)
            runtime.record(StageMetrics(
                id: stage.id, summary: stage.summary, tasks: stage.taskCount, rowsIn: rowsIn, rowsOut: rowsOut,
                bytesOut: bytesOut, spillBytes: spilled,
                wallNanos: SystemInfo.monotonicNanos() - started, peakMemory: runtime.memoryPool.takeWindowPeak()
            ))
            for input in stage.inputs { input.release() }
        }
    }
}
