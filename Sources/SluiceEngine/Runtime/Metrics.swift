public import Synchronization

/// Counters one physical operator accumulates across all its partitions; updated from every
/// worker without locks.
public final class OperatorMetrics: Sendable {
    public let rowsIn = Atomic<Int>(0)
    public let rowsOut = Atomic<Int>(0)
    public let batchesOut = Atomic<Int>(0)
    public let bytesOut = Atomic<Int>(0)
    /// Nanoseconds spent inside the operator itself (children excluded where measurable).
    public let nanos = Atomic<Int>(0)
    /// Bytes written to spill files by this operator.
    public let spillBytes = Atomic<Int>(0)

    public init() {}

    /// Counts one batch leaving the operator.
    public func recordOutput(rows: Int, bytes: Int) {
        rowsOut.wrappingAdd(rows, ordering: .relaxed)
        batchesOut.wrappingAdd(1, ordering: .relaxed)
        bytesOut.wrappingAdd(bytes, ordering: .relaxed)
    }

    /// Counts bytes written to a spill file.
    public func recordSpill(bytes: Int) {
        spillBytes.wrappingAdd(bytes, ordering: .relaxed)
    }

    public func recordInput(rows: Int) {
        rowsIn.wrappingAdd(rows, ordering: .relaxed)
    }

    public func addTime(since start: UInt64) {
        nanos.wrappingAdd(Int(SystemInfo.monotonicNanos() &- start), ordering: .relaxed)
    }

    public var inputRows: Int { rowsIn.load(ordering: .relaxed) }
    public var outputRows: Int { rowsOut.load(ordering: .relaxed) }
    public var outputBytes: Int { bytesOut.load(ordering: .relaxed) }
    public var spilledBytes: Int { spillBytes.load(ordering: .relaxed) }
    public var elapsedNanos: Int { nanos.load(ordering: .relaxed) }
}

/// What one stage did, as `--stats` prints it and the run ledger stores it.
public struct StageMetrics: Sendable {
    public var id: Int
    /// One line naming the stage's operators, bottom up.
    public var summary: String
    public var tasks: Int
    public var rowsIn: Int
    public var rowsOut: Int
    /// Bytes the stage produced (shuffle output or final rows).
    public var bytesOut: Int
    public var spillBytes: Int
    public var wallNanos: UInt64
    /// The memory pool's peak while the stage ran.
    public var peakMemory: Int

    public init(
        id: Int, summary: String, tasks: Int, rowsIn: Int, rowsOut: Int, bytesOut: Int,
        spillBytes: Int, wallNanos: UInt64, peakMemory: Int
    ) {
        self.id = id
        self.summary = summary
        self.tasks = tasks
        self.rowsIn = rowsIn
        self.rowsOut = rowsOut
        self.bytesOut = bytesOut
        self.spillBytes = spillBytes
        self.wallNanos = wallNanos
        self.peakMemory = peakMemory
    }
}

/// Live counters a progress bar reads while the run goes on.
public final class ProgressCounters: Sendable {
    /// Input bytes consumed so far.
    public let bytesRead = Atomic<Int>(0)
    /// Input bytes in total, when known.
    public let bytesTotal = Atomic<Int>(0)
    /// Input rows decoded so far.
    public let rowsRead = Atomic<Int>(0)
    /// Another engine's progress, when it computes the run (`--engine spark`): its current
    /// stage and that stage's tasks done and in all (0 in all: none reported).
    public let externalStage = Atomic<Int>(0)
    public let externalTasksDone = Atomic<Int>(0)
    public let externalTasksTotal = Atomic<Int>(0)

    /// The local engine's stage running now (1-based; 0 before the first), of how many, and
    /// that stage's tasks done and in all; the final stage counts the result rows handed on
    /// (written or loaded) instead of tasks.
    public let stage = Atomic<Int>(0)
    public let stageCount = Atomic<Int>(0)
    public let stageTasksDone = Atomic<Int>(0)
    public let stageTasksTotal = Atomic<Int>(0)
    public let rowsOut = Atomic<Int>(0)

    public init() {}

    /// Marks stage `id` of `count` as started with `tasks` tasks.
    public func beginStage(_ id: Int, of count: Int, tasks: Int) {
        stageTasksDone.store(0, ordering: .relaxed)
        stageTasksTotal.store(tasks, ordering: .relaxed)
        stageCount.store(count, ordering: .relaxed)
        stage.store(id, ordering: .relaxed)
    }

    public func addRows(_ rows: Int) { rowsRead.wrappingAdd(rows, ordering: .relaxed) }
    /// Counts result rows handed on by the final stage.
    public func addRowsOut(_ rows: Int) { rowsOut.wrappingAdd(rows, ordering: .relaxed) }
    /// Counts a task of the running stage as done.
    public func taskDone() { stageTasksDone.wrappingAdd(1, ordering: .relaxed) }
    public func addBytes(_ bytes: Int) { bytesRead.wrappingAdd(bytes, ordering: .relaxed) }
    public func addTotal(_ bytes: Int) { bytesTotal.wrappingAdd(bytes, ordering: .relaxed) }
}
