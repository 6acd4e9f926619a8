import Dispatch
public import SluiceCore
import Synchronization

/// Runs the tasks of a stage on a fixed number of worker threads.
///
/// Built on Dispatch: `workers` work items are put on a concurrent queue and each one pulls
/// task indices from a shared counter until none are left, so there is never a thread per
/// task and never more than `workers` tasks in flight. The first failure cancels the tasks
/// that have not started.
///
/// `run` blocks the calling thread; call it from a plain thread (the CLI's main thread or a
/// test), never from Swift concurrency's cooperative pool.
public final class WorkerPool: Sendable {
    public let workers: Int
    private let queue: DispatchQueue

    public init(workers: Int) {
        self.workers = max(1, workers)
        self.queue = DispatchQueue(label: "sluice.workers", attributes: .concurrent)
    }

    /// Runs `body(0..<taskCount)` across the workers and returns the results in task order.
    /// - Throws: the error of the lowest-numbered task that failed for a reason other than
    ///   cancellation (the cause, not the tasks it cancelled).
    public func run<Result: Sendable>(
        taskCount: Int,
        cancellation: Cancellation,
        _ body: @escaping @Sendable (Int) throws -> Result
    ) throws -> [Result] {
        guard taskCount > 0 else { return [] }
        let shared = RunState<Result>(taskCount: taskCount)
        let threads = min(workers, taskCount)
        let group = DispatchGroup()
        for _ in 0..<threads {
            queue.async(group: group) {
                while !cancellation.isCancelled, !shared.failed.load(ordering: .relaxed) {
                    let index = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < taskCount else { break }
                    do {
                        let value = try body(index)
                        shared.results.withLock { $0[index] = value }
                    } catch {
                        shared.errors.withLock { $0.append((index, error)) }
                        shared.failed.store(true, ordering: .relaxed)
                    }
                }
            }
        }
        group.wait()
        // The root cause, not the cancellations it caused in other tasks.
        let errors = shared.errors.withLock { $0 }.sorted { $0.0 < $1.0 }
        let isCancellation = { (error: any Error) in (error as? SluiceError)?.kind == .cancelled }
        if let cause = errors.first(where: { !isCancellation($0.1) }) ?? errors.first { throw cause.1 }
        try cancellation.check()
        let results = shared.results.withLock { $0 }
        var ordered: [Result] = []
        ordered.reserveCapacity(taskCount)
        for result in results {
            guard let result else { throw SluiceError.internal("a task finished without a result") }
            ordered.append(result)
        }
        return ordered
    }
}

private final class RunState<Result: Sendable>: Sendable {
    let next = Atomic<Int>(0)
    let failed = Atomic<Bool>(false)
    let results: Locked<[Result?]>
    let errors = Locked<[(Int, any Error)]>([])

    init(taskCount: Int) {
        results = Locked(Array(repeating: nil, count: taskCount))
    }
}

/// A flag that stops a run: set on SIGINT / SIGTERM or when a task fails, checked by every
/// operator between batches.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    private let reason = Locked<String>("")

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    public func cancel(_ why: String) {
        reason.withLock { if $0.isEmpty { $0 = why } }
        flag.store(true, ordering: .relaxed)
    }

    /// Throws a `cancelled` error when the run has been cancelled.
    public func check() throws(SluiceError) {
        if flag.load(ordering: .relaxed) {
            throw SluiceError(.cancelled, "the run was cancelled: \(reason.withLock { $0 })")
        }
    }
}
