public import SluiceCore
import Dispatch

/// Runs a physical plan stage by stage on the runtime's worker pool.
///
/// For each stage in dependency order: prepare its sources, run one task per partition
/// (writing into the stage's boundary), record its metrics, and free the boundaries it
/// read. The final stage's batches go to `consume` as they are produced and in partition
/// order, so the output order is the plan's, not the order in which workers finished, and a
/// result as large as the input never has to be held: a one-partition final stage (a sorted
/// result, a gather) streams straight from its operators into `consume` on the calling
/// thread; with several partitions, partition 0 streams while the later ones wait in
/// ``BatchSpool``s, which spill when the budget says so.
///
/// `consume` runs on the calling thread only, so it may use a connection or a file that is
/// not thread-safe.
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
                (rowsOut, bytesOut) = try runFinal(stage, root: root, runtime: runtime, consume: consume)
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

    /// Runs the final stage, handing its batches to `consume` in partition order.
    private static func runFinal(
        _ stage: Stage, root: any ExecutionPlan, runtime: ExecutionRuntime, consume: (RecordBatch) throws -> Void
    ) throws -> (rows: Int, bytes: Int) {
        var rows = 0, bytes = 0
        func hand(_ batch: RecordBatch) throws {
            rows += batch.rowCount
            bytes += batch.byteSize
            try consume(batch)
        }
        let direct = TaskContext(runtime: runtime, stage: stage.id, partition: 0)
        guard stage.taskCount > 1 else {
            let stream = try root.execute(partition: 0, context: direct)
            while let batch = try stream.next() {
                try runtime.cancellation.check()
                try hand(batch)
            }
            return (rows, bytes)
        }
        // The later partitions run on the pool into spools while partition 0 streams here.
        let later = stage.taskCount - 1
        let stageID = stage.id
        let schema = root.schema
        let spools = SpoolResults()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            defer { group.leave() }
            do {
                let results = try runtime.runTasks(stage: stageID, taskCount: later) { (context) throws(SluiceError) in
                    let partition = context.partition + 1
                    let own = TaskContext(runtime: runtime, stage: stageID, partition: partition)
                    let spool = BatchSpool(schema: schema, purpose: "final-s\(stageID)-t\(partition)", context: own)
                    let stream = try root.execute(partition: partition, context: own)
                    while let batch = try stream.next() { try spool.append(batch) }
                    return spool
                }
                spools.finish(.success(results))
            } catch {
                spools.finish(.failure(error))
            }
        }
        do {
            let stream = try root.execute(partition: 0, context: direct)
            while let batch = try stream.next() {
                try runtime.cancellation.check()
                try hand(batch)
            }
        } catch {
            let cancelled = (error as? SluiceError)?.kind == .cancelled
            if !cancelled { runtime.cancellation.cancel("the final stage failed") }
            group.wait()
            // When partition 0 only saw the cancellation, the cause is a later partition's.
            if cancelled { _ = try spools.result() }
            throw error
        }
        group.wait()
        for spool in try spools.result() {
            let stream = spool.stream()
            while let batch = try stream.next() {
                try runtime.cancellation.check()
                try hand(batch)
            }
        }
        return (rows, bytes)
    }
}

/// The spools of a final stage's later partitions, handed from the pool's thread back.
private final class SpoolResults: Sendable {
    private let value = Locked<Result<[BatchSpool], any Error>>(.success([]))

    func finish(_ result: Result<[BatchSpool], any Error>) {
        value.withLock { $0 = result }
    }

    func result() throws -> [BatchSpool] {
        try value.withLock { $0 }.get()
    }
}
