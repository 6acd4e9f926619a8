public import SluiceCore
import Dispatch
import Foundation

/// Runs a physical plan stage by stage on the runtime's worker pool.
///
/// For each stage in dependency order: prepare its sources, run one task per partition
/// (writing into the stage's boundary), record its metrics, and free the boundaries it
/// read. The final stage's batches go to `consume` as they are produced and in partition
/// order, so the output order is the plan's, not the order in which workers finished, and a
/// result as large as the input never has to be held: a one-partition final stage (a sorted
/// result, a gather) streams straight from its operators into `consume` on the calling
/// thread; with several partitions, partition 0 streams while the later ones wait in
/// ``BatchSpool``s, which spill when the budget says so. A one-partition final stage with more
/// than one worker runs a few batches ahead of `consume` on a thread of its own
/// (``PrefetchedStream``).
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
        for (position, stage) in stages.enumerated() {
            try runtime.cancellation.check()
            runtime.progress.beginStage(position + 1, of: stages.count, tasks: stage.taskCount)
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
    ///
    /// Partition 0 streams on the calling thread. With one worker the later partitions follow
    /// it there, one after another; with more, a pool of `workers - 1` threads (started from a
    /// thread of its own, never from a Dispatch queue it would block) runs them into spools
    /// meanwhile, so no more than `workers` tasks run at once.
    private static func runFinal(
        _ stage: Stage, root: any ExecutionPlan, runtime: ExecutionRuntime, consume: (RecordBatch) throws -> Void
    ) throws -> (rows: Int, bytes: Int) {
        var rows = 0, bytes = 0
        func drain(_ stream: any BatchStream) throws {
            while let batch = try stream.next() {
                try runtime.cancellation.check()
                rows += batch.rowCount
                bytes += batch.byteSize
                try consume(batch)
                runtime.progress.addRowsOut(batch.rowCount)
            }
        }
        func direct(_ partition: Int) throws -> any BatchStream {
            try root.execute(partition: partition, context: TaskContext(runtime: runtime, stage: stage.id, partition: partition))
        }
        guard stage.taskCount > 0 else { return (0, 0) }
        if stage.taskCount == 1, runtime.config.workers > 1 {
            // One task (a sorted merge, a gather): produce on a thread of its own, a few
            // batches ahead, so producing overlaps consuming.
            let stageID = stage.id
            let stream = PrefetchedStream { () throws(SluiceError) in
                try root.execute(partition: 0, context: TaskContext(runtime: runtime, stage: stageID, partition: 0))
            }
            defer { stream.stop() }
            try drain(stream)
            return (rows, bytes)
        }
        guard stage.taskCount > 1, runtime.config.workers > 1 else {
            for partition in 0..<stage.taskCount { try drain(try direct(partition)) }
            return (rows, bytes)
        }
        let later = LaterPartitions(stage: stage.id, root: root, runtime: runtime)
        later.start(count: stage.taskCount - 1)
        do {
            try drain(try direct(0))
        } catch {
            let cancelled = (error as? SluiceError)?.kind == .cancelled
            if !cancelled { runtime.cancellation.cancel("the final stage failed") }
            // When partition 0 only saw the cancellation, the cause is a later partition's.
            let spools = Result { try later.wait() }
            if cancelled, case .failure(let cause) = spools { throw cause }
            throw error
        }
        var spools = try later.wait()
        while !spools.isEmpty {
            let spool = spools.removeFirst()
            try drain(spool.stream())
        }
        return (rows, bytes)
    }
}

/// The final stage's partitions 1…n, run on a pool of one worker fewer than the run's (the
/// calling thread streams partition 0) into spools, driven from a thread of their own.
private final class LaterPartitions: Sendable {
    let stage: Int
    let root: any ExecutionPlan
    let runtime: ExecutionRuntime
    private let outcome = SpoolResults()
    private let finished = DispatchSemaphore(value: 0)

    init(stage: Int, root: any ExecutionPlan, runtime: ExecutionRuntime) {
        self.stage = stage
        self.root = root
        self.runtime = runtime
    }

    func start(count: Int) {
        let pool = WorkerPool(workers: max(1, runtime.config.workers - 1))
        let thread = Thread { [self] in
            defer { finished.signal() }
            do {
                let schema = root.schema
                let spools = try pool.run(taskCount: count, cancellation: runtime.cancellation) { [self] index in
                    let partition = index + 1
                    let context = TaskContext(runtime: runtime, stage: stage, partition: partition)
                    do throws(SluiceError) {
                        let spool = BatchSpool(schema: schema, purpose: "final-s\(stage)-t\(partition)", context: context)
                        let stream = try root.execute(partition: partition, context: context)
                        while let batch = try stream.next() { try spool.append(batch) }
                        return spool
                    } catch {
                        if error.kind != .cancelled { runtime.cancellation.cancel("task \(partition) of stage \(stage) failed") }
                        throw error
                    }
                }
                outcome.finish(.success(spools))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        thread.start()
    }

    /// Waits for the later partitions; their spools in partition order, or the first failure.
    func wait() throws -> [BatchSpool] {
        finished.wait()
        return try outcome.result()
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
