public import SluiceCore

/// An ordered buffer of batches that holds what the memory budget allows and spills the rest.
///
/// Batches are kept in memory while the pool grants their bytes; the first refusal writes
/// everything held to a spill file, and from then on batches gather in memory again until
/// the next refusal. Reading back (``stream()``) yields the spilled segments, then the batches
/// still in memory — exactly the order they were appended in. Used where a stage's output
/// must wait for another (sorted runs before their merge, a final stage's later partitions).
///
/// Not thread-safe: one task appends, then hands the spool on (through the worker pool's
/// results, which happen after the task) to one reader; that hand-over is why it may be
/// `@unchecked Sendable`.
public final class BatchSpool: @unchecked Sendable {
    public let schema: Schema
    private let purpose: String
    private let reservation: MemoryReservation
    private let spill: SpillManager
    private var held: [RecordBatch] = []
    private var segments: [SpillSegment] = []
    private var writer: SpillWriter?
    public private(set) var spilledBytes = 0
    public private(set) var rows = 0

    /// - Parameters:
    ///   - purpose: names the reservation and the spill file (`merge-s3-t1`).
    ///   - spill: where its spill files go when not the run's directory (which is removed at
    ///     the end of each plan): a spool that outlives its plan brings its own.
    public init(schema: Schema, purpose: String, context: TaskContext, spill: SpillManager? = nil) {
        self.schema = schema
        self.purpose = purpose
        reservation = context.reservation(purpose)
        self.spill = spill ?? context.runtime.spill
    }

    /// Appends a batch, spilling what is held when the pool refuses its bytes.
    public func append(_ batch: RecordBatch) throws(SluiceError) {
        guard batch.rowCount > 0 else { return }
        rows += batch.rowCount
        if !reservation.tryResize(to: reservation.size + batch.byteSize), !held.isEmpty {
            try spillHeld()
            // The batch in hand is the least the spool holds; it stays even if the pool
            // cannot cover it (the per-task overhead the README states).
            _ = reservation.tryResize(to: batch.byteSize)
        }
        held.append(batch)
    }

    private func spillHeld() throws(SluiceError) {
        let file: SpillWriter
        if let writer { file = writer } else { file = try spill.createFile(purpose) }
        writer = file
        let written = try file.write(held, schema: schema)
        spilledBytes += written.reduce(0) { $0 + $1.length }
        segments += written
        held.removeAll()
        reservation.free()
    }

    /// The batches in append order, leaving the spool as it is, for a reader that is not the
    /// last: the spilled segments read back again, the batches in memory shared.
    public func replay() -> any BatchStream {
        SpoolStream(spilled: SpillReadStream(segments: segments, schema: schema), held: held, reservation: nil)
    }

    /// The batches in append order: spilled segments first (read back one at a time), then
    /// those still in memory, which move to the stream (the spool keeps none), so their memory
    /// and its reservation go as the stream is drained. Call once, last.
    public func stream() -> any BatchStream {
        let batches = held
        held = []
        return SpoolStream(spilled: SpillReadStream(segments: segments, schema: schema), held: batches, reservation: reservation)
    }
}

private final class SpoolStream: BatchStream {
    let spilled: SpillReadStream
    var held: ArraySlice<RecordBatch>
    /// Freed at the end of the stream (nil for a replay: the spool keeps its batches).
    let reservation: MemoryReservation?

    init(spilled: SpillReadStream, held: [RecordBatch], reservation: MemoryReservation?) {
        self.spilled = spilled
        self.held = held[...]
        self.reservation = reservation
    }

    func next() throws(SluiceError) -> RecordBatch? {
        if let batch = try spilled.next() { return batch }
        guard let batch = held.popFirst() else {
            reservation?.free()
            return nil
        }
        return batch
    }
}
