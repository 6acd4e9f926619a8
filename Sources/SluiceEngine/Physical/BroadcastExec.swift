public import SluiceCore

/// The build side of a broadcast hash join: the child stage runs in parallel, its rows are
/// gathered into one batch, and a hash index on the join keys is built once and shared by
/// every probe task (read-only, so no locking on the probe path).
public final class BroadcastExec: StageBoundary {
    public let input: any ExecutionPlan
    public let keyNames: [String]
    /// What a key on several build rows does.
    public let duplicates: DuplicateKeys
    /// The build side's source, to name it when its rows carry no provenance.
    public let sourceName: String?
    public let metrics = OperatorMetrics()
    private let built = Locked<JoinIndex?>(nil)

    public init(input: any ExecutionPlan, keys: [String], duplicates: DuplicateKeys = .allow, sourceName: String? = nil) throws(SluiceError) {
        self.input = input
        self.keyNames = keys
        self.duplicates = duplicates
        self.sourceName = sourceName
        for key in keys {
            let index = try input.schema.requireIndex(of: key, in: "join build side")
            try GroupKeyEncoder.requireEncodable(input.schema[index].type, key: key, in: "a join")
        }
    }

    public var name: String { "BroadcastRead" }
    public var details: String { "keys=[\(keyNames.joined(separator: ", "))]" }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { .single }
    public var boundaryDescription: String { "broadcasts a hash index on \(keyNames.joined(separator: ", "))" }

    public func materialize(runtime: ExecutionRuntime, stage: Int) throws(SluiceError) {
        let input = self.input
        let results = try runtime.runTasks(stage: stage, taskCount: input.partitioning.count) { (context) throws(SluiceError) in
            let stream = try input.execute(partition: context.partition, context: context)
            var batches: [RecordBatch] = []
            while let batch = try stream.next() { batches.append(batch) }
            return SendableBatches(batches: batches)
        }
        let all = RecordBatch.concat(results.flatMap(\.batches), schema: input.schema)
        let context = TaskContext(runtime: runtime, stage: stage, partition: 0)
        let keyIndices = try keyNames.map { (name) throws(SluiceError) in try input.schema.requireIndex(of: name) }
        let index = try JoinIndex(batch: all, keyIndices: keyIndices, duplicates: duplicates, sourceName: sourceName, context: context)
        metrics.recordOutput(rows: all.rowCount, bytes: all.byteSize)
        built.withLock { $0 = index }
    }

    public func release() {
        built.withLock { $0 = nil }
    }

    /// The built index; valid after `materialize`.
    func index() throws(SluiceError) -> JoinIndex {
        guard let index = built.withLock({ $0 }) else { throw SluiceError.internal("join probed before its build side ran") }
        return index
    }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        MemoryBatchStream([try index().batch])
    }
}

/// A hash index over one batch: distinct keys map to groups, and each group chains the rows
/// that carry its key, in row order (with a checked key, only its first row).
final class JoinIndex: @unchecked Sendable {
    let batch: RecordBatch
    let keyIndices: [Int]
    let encoder: GroupKeyEncoder
    let table: GroupTable
    let firstRow: [Int32]
    let nextRow: [Int32]
    let reservation: MemoryReservation

    init(batch: RecordBatch, keyIndices: [Int], duplicates: DuplicateKeys = .allow, sourceName: String? = nil,
         context: TaskContext) throws(SluiceError) {
        self.batch = batch
        self.keyIndices = keyIndices
        var encoder = GroupKeyEncoder(types: keyIndices.map { batch.schema[$0].type })
        var table = GroupTable(width: encoder.width, capacity: max(16, batch.rowCount))
        var words: [UInt64] = []
        var groups: [Int32] = []
        let keyColumns = keyIndices.map { batch.columns[$0] }
        encoder.encode(keyColumns, rows: batch.rowCount, into: &words)
        table.groupIndices(words, rows: batch.rowCount, into: &groups)
        var first = [Int32](repeating: -1, count: table.groupCount)
        var last = [Int32](repeating: -1, count: table.groupCount)
        var next = [Int32](repeating: -1, count: batch.rowCount)
        // Rows whose key an earlier row has, with that row, when the key is checked.
        var repeated: [(row: Int, first: Int)] = []
        for row in 0..<batch.rowCount where !keyColumns.contains(where: { $0.isNull(row) }) {
            let group = Int(groups[row])
            if first[group] < 0 {
                first[group] = Int32(row)
            } else if duplicates == .allow {
                next[Int(last[group])] = Int32(row)
            } else {
                repeated.append((row, Int(first[group])))
                continue
            }
            last[group] = Int32(row)
        }
        if !repeated.isEmpty {
            try DuplicateKeyCheck(batch: batch, keyIndices: keyIndices, sourceName: sourceName)
                .handle(repeated, policy: duplicates, rejects: context.runtime.rejects)
        }
        self.encoder = encoder
        self.table = table
        self.firstRow = first
        self.nextRow = next
        reservation = context.reservation("broadcast join index")
        try reservation.resize(to: batch.byteSize + table.byteSize + encoder.byteSize + next.count * 8)
    }
}
