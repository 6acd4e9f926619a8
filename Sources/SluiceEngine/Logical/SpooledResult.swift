public import SluiceCore

/// One step's result kept for a later step of the same job, so the later step reads the
/// result instead of reading and computing the inputs again (and counting their rows twice).
///
/// The runner fills it batch by batch while the first step runs, into a ``BatchSpool`` that
/// holds what the memory budget allows and spills the rest; the later step's scan then reads
/// it once, in the order it was produced. Before it is filled it is only a schema, which is
/// what `explain` shows.
public final class SpooledResult: TableSource {
    public let schema: Schema
    public let displayName: String
    private let state = Locked<State>(.empty)

    private enum State {
        case empty
        case filling(BatchSpool)
        case read
    }

    /// - Parameter name: the step it holds the result of, for `explain` and errors.
    public init(schema: Schema, name: String) {
        self.schema = schema
        displayName = "result of step \(name)"
    }

    public var scanName: String { "StepResult" }

    public func partitionCount(config: ExecutionConfig) -> Int { 1 }

    /// Starts (or restarts) filling: what an earlier fill held is dropped.
    public func begin(runtime: ExecutionRuntime) {
        let spool = BatchSpool(schema: schema, purpose: "step-result", context: TaskContext(runtime: runtime, stage: 0, partition: 0))
        state.withLock { $0 = .filling(spool) }
    }

    /// Appends one batch of the result, spilling what is held when the budget says so.
    /// - Throws: a plan error when the batch's columns are not the declared ones.
    public func append(_ batch: RecordBatch) throws(SluiceError) {
        guard batch.schema.fields.map(\.type) == schema.fields.map(\.type) else {
            throw SluiceError.plan("\(displayName) holds \(schema), got a batch of \(batch.schema)")
        }
        try state.withLock { (current: inout State) throws(SluiceError) in
            guard case .filling(let spool) = current else { throw SluiceError.internal("\(displayName) filled before it began") }
            try spool.append(batch.withSchema(schema))
        }
    }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        let spool = try state.withLock { (current: inout State) throws(SluiceError) -> BatchSpool in
            guard case .filling(let spool) = current else {
                throw SluiceError.internal("\(displayName) is read before its step ran, or twice")
            }
            current = .read
            return spool
        }
        return ProjectedStream(input: spool.stream(), projection: projection)
    }
}

/// The columns at `projection` of every batch of `input`.
private final class ProjectedStream: BatchStream {
    let input: any BatchStream
    let projection: [Int]

    init(input: any BatchStream, projection: [Int]) {
        self.input = input
        self.projection = projection
    }

    func next() throws(SluiceError) -> RecordBatch? {
        try input.next().map { $0.project(projection) }
    }
}
