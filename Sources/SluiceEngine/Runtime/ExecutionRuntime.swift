public import SluiceCore

/// Everything a run shares across its stages and tasks: configuration, the memory pool, the
/// worker pool, cancellation, progress and the metrics of finished stages.
public final class ExecutionRuntime: Sendable {
    public let config: ExecutionConfig
    public let memoryPool: MemoryPool
    public let workerPool: WorkerPool
    public let cancellation: Cancellation
    public let progress: ProgressCounters
    /// Where operators spill when the memory pool refuses them; emptied when a job ends.
    public let spill: SpillManager
    /// Where every source and every stage of the plan sends the rows it rejects, with the
    /// per-source counts that prove `read == passed + rejected + apart`.
    public let rejects: RejectSink
    /// Named figures that ``DataFrame/observe(_:)`` stages add up while the run goes on.
    public let observations: Observations
    private let finishedStages = Locked<[StageMetrics]>([])

    public init(config: ExecutionConfig = ExecutionConfig(), cancellation: Cancellation = Cancellation(),
                rejects: RejectSink = RejectSink()) {
        self.config = config
        self.rejects = rejects
        self.observations = Observations()
        self.memoryPool = MemoryPool(limit: config.memoryLimit.map(Self.poolLimit))
        self.workerPool = WorkerPool(workers: config.workers)
        self.cancellation = cancellation
        self.progress = ProgressCounters()
        self.spill = SpillManager(temporaryDirectory: config.temporaryDirectory)
    }

    /// The part of a memory budget the pool hands out: all of it but a reserve (an eighth, at
    /// most 32 MB) for what no operator reserves — the batch each task has in flight, the
    /// copies a table makes while it grows — so the process's peak stays near the budget.
    public static func poolLimit(forBudget budget: Int) -> Int {
        budget - min(32 << 20, budget / 8)
    }

    /// Runs `taskCount` tasks of one stage on the worker pool, each with its own context.
    /// The first task to fail cancels the others; its error is the one thrown.
    public func runTasks<Result: Sendable>(
        stage: Int,
        taskCount: Int,
        _ body: @escaping @Sendable (TaskContext) throws(SluiceError) -> Result
    ) throws(SluiceError) -> [Result] {
        do {
            return try workerPool.run(taskCount: taskCount, cancellation: cancellation) { [self] index in
                let context = TaskContext(runtime: self, stage: stage, partition: index)
                do throws(SluiceError) {
                    let result = try body(context)
                    progress.taskDone()
                    return result
                } catch {
                    if error.kind != .cancelled { cancellation.cancel("task \(index) of stage \(stage) failed") }
                    throw error
                }
            }
        } catch let error as SluiceError {
            throw error
        } catch {
            throw SluiceError(.execution, "a task of stage \(stage) failed: \(error)")
        }
    }

    /// Records a finished stage's metrics.
    public func record(_ stage: StageMetrics) {
        finishedStages.withLock { $0.append(stage) }
    }

    /// The metrics of every stage that has finished, in order.
    public var stageMetrics: [StageMetrics] {
        finishedStages.withLock { $0 }
    }
}

/// What one task sees: its stage and partition, the shared runtime, and shortcuts to the
/// budget and cancellation. Not shared between tasks.
public final class TaskContext {
    public let runtime: ExecutionRuntime
    public let stage: Int
    public let partition: Int

    public init(runtime: ExecutionRuntime, stage: Int, partition: Int) {
        self.runtime = runtime
        self.stage = stage
        self.partition = partition
    }

    public var memoryPool: MemoryPool { runtime.memoryPool }
    public var batchRows: Int { runtime.config.batchRows }

    /// Throws when the run has been cancelled; operators call it between batches.
    @inlinable
    public func checkCancelled() throws(SluiceError) {
        try runtime.cancellation.check()
    }

    /// A reservation against the run's pool, named for error messages.
    public func reservation(_ consumer: String) -> MemoryReservation {
        MemoryReservation(pool: runtime.memoryPool, consumer: "\(consumer) (stage \(stage), task \(partition))")
    }
}
