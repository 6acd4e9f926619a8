public import SluiceCore

/// One step's result kept for a later step of the same job, so the later step reads the
/// result instead of reading and computing the inputs again (and counting their rows twice).
///
/// The runner fills it batch by batch while the first step runs, into a ``BatchSpool`` that
/// holds what the memory budget allows and spills the rest; the later step's scan then reads
/// it once, in the order it was produced. Before it is filled it is only a schema, which is
/// what `explain` shows.
///
/// A later step that reads only some columns names them (`keeping`), and only those are held:
/// the balance of each organisation needs five of the events' fourteen columns, so holding
/// all of them would cost three times the memory for nothing.
public final class SpooledResult: TableSource {
    /// The columns held (all of the step's, or those kept).
    public let schema: Schema
    public let displayName: String
    /// The step's full output, what `append` receives.
    private let stepSchema: Schema
    private let kept: [Int]
    private let state = Locked<State>(.empty)
    /// Its own spill directory: the run's is removed when the step that fills it ends, before
    /// the later step reads it.
    private let spillDirectory = Locked<SpillManager?>(nil)

    private enum State {
        case empty
        /// Filled (or filling), with the reads still to come.
        case filling(BatchSpool, reads: Int)
        case read
    }

    /// - Parameters:
    ///   - schema: the step's output.
    ///   - name: the step it holds the result of, for `explain` and errors.
    ///   - keeping: the only columns a later step reads (nil: all of them).
    /// - Throws: a plan error naming a kept column the step does not produce.
    public init(schema: Schema, name: String, keeping: [String]? = nil) throws(SluiceError) {
        stepSchema = schema
        displayName = "result of step \(name)"
        guard let keeping else {
            self.schema = schema
            kept = Array(schema.fields.indices)
            return
        }
        var indices: [Int] = []
        for column in keeping {
            guard let index = schema.fields.firstIndex(where: { $0.name == column }) else {
                throw SluiceError.plan("\(displayName) keeps column '\(column)', which the step does not produce (it has \(schema.names.joined(separator: ", ")))")
            }
            indices.append(index)
        }
        kept = indices
        self.schema = Schema(indices.map { schema.fields[$0] })
    }

    public var scanName: String { "StepResult" }

    public func partitionCount(config: ExecutionConfig) -> Int { 1 }

    /// Starts (or restarts) filling: what an earlier fill held is dropped.
    /// - Parameter reads: how many later steps read it; each gets every batch, the last one
    ///   frees them as it goes.
    public func begin(runtime: ExecutionRuntime, reads: Int = 1) {
        let manager = SpillManager(temporaryDirectory: runtime.config.temporaryDirectory)
        spillDirectory.withLock { previous in
            previous?.cleanup()
            previous = manager
        }
        let spool = BatchSpool(schema: schema, purpose: "step-result", context: TaskContext(runtime: runtime, stage: 0, partition: 0),
                               spill: manager)
        state.withLock { $0 = .filling(spool, reads: max(1, reads)) }
    }

    deinit {
        spillDirectory.withLock { $0?.cleanup() }
    }

    /// Appends one batch of the result, spilling what is held when the budget says so.
    /// - Throws: a plan error when the batch's columns are not the declared ones.
    public func append(_ batch: RecordBatch) throws(SluiceError) {
        guard batch.schema.fields.map(\.type) == stepSchema.fields.map(\.type) else {
            throw SluiceError.plan("\(displayName) takes \(stepSchema), got a batch of \(batch.schema)")
        }
        let held = kept.count == stepSchema.fields.count ? batch.withSchema(schema) : batch.project(kept).withSchema(schema)
        try state.withLock { (current: inout State) throws(SluiceError) in
            guard case .filling(let spool, _) = current else { throw SluiceError.internal("\(displayName) filled before it began") }
            try spool.append(held)
        }
    }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        let (spool, last) = try state.withLock { (current: inout State) throws(SluiceError) -> (BatchSpool, Bool) in
            guard case .filling(let spool, let reads) = current else {
                throw SluiceError.internal("\(displayName) is read before its step ran, or more often than declared")
            }
            current = reads > 1 ? .filling(spool, reads: reads - 1) : .read
            return (spool, reads == 1)
        }
        guard last else { return ProjectedStream(input: spool.replay(), projection: projection) {} }
        let directory = spillDirectory.withLock { $0 }
        return ProjectedStream(input: spool.stream(), projection: projection) { directory?.cleanup() }
    }
}

/// The columns at `projection` of every batch of `input`; `finished` runs once, at the end
/// (the spool's spill files are no longer needed then).
private final class ProjectedStream: BatchStream {
    let input: any BatchStream
    let projection: [Int]
    private var finished: (() -> Void)?

    init(input: any BatchStream, projection: [Int], finished: @escaping () -> Void) {
        self.input = input
        self.projection = projection
        self.finished = finished
    }

    func next() throws(SluiceError) -> RecordBatch? {
        guard let batch = try input.next() else {
            finished?()
            finished = nil
            return nil
        }
        return batch.project(projection)
    }
}
