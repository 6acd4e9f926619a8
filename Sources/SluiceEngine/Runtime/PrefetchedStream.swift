import SluiceCore
import Dispatch
import Foundation

/// Runs a stream on a thread of its own, a few batches ahead of its consumer.
///
/// A one-task final stage (the k-way merge of a sorted result) would otherwise produce and
/// consume on one thread while the other cores sit idle: merging the next batch overlaps
/// writing the last one (CSV, COPY, a spool). At most ``depth`` batches wait between the two,
/// so the memory held is a few batches. When the consumer stops early (an error, a
/// cancellation), ``stop()`` lets the producer finish at its next batch.
final class PrefetchedStream: BatchStream, Sendable {
    static let depth = 3

    /// Free places in the queue. Created at zero and signalled up to ``depth``: libdispatch
    /// traps when a semaphore is freed below the value it was created with.
    private let slots = DispatchSemaphore(value: 0)
    private let ready = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let state = Locked(State())

    private struct State {
        var queue: [RecordBatch] = []
        var finished = false
        var failure: SluiceError?
        var stopped = false
    }

    /// Starts pulling from `make()`'s stream at once, on a new thread.
    init(_ make: @escaping @Sendable () throws(SluiceError) -> any BatchStream) {
        for _ in 0..<Self.depth { slots.signal() }
        let thread = Thread { [self] in
            defer { done.signal() }
            do throws(SluiceError) {
                let stream = try make()
                while true {
                    slots.wait()
                    if state.withLock({ $0.stopped }) { return }
                    guard let batch = try stream.next() else { break }
                    state.withLock { $0.queue.append(batch) }
                    ready.signal()
                }
                state.withLock { $0.finished = true }
            } catch {
                state.withLock { $0.failure = error }
            }
            ready.signal()
        }
        thread.start()
    }

    func next() throws(SluiceError) -> RecordBatch? {
        while true {
            let (batch, failure, finished) = state.withLock { state -> (RecordBatch?, SluiceError?, Bool) in
                if !state.queue.isEmpty { return (state.queue.removeFirst(), nil, false) }
                return (nil, state.failure, state.finished)
            }
            if let batch {
                slots.signal()
                return batch
            }
            if let failure { throw failure }
            if finished { return nil }
            ready.wait()
        }
    }

    /// Tells the producer to stop and waits until it has.
    func stop() {
        state.withLock { $0.stopped = true }
        slots.signal()
        done.wait()
    }
}
