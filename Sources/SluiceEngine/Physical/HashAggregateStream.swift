import SluiceCore

/// The running state of one partition of a ``HashAggregateExec``.
///
/// Rows (or partial states) are folded into a ``GroupTable`` and one accumulator per
/// aggregate. When the memory pool refuses to let the state grow:
/// - a map-side (`partial`) aggregate hands its groups on early and starts afresh — the
///   final phase merges them;
/// - a `final` or `single` aggregate spills its state, split by key hash into 16 partitions,
///   and starts afresh; at the end each partition is merged on its own, and a partition that
///   still does not fit spills again on other hash bits (grace hash), so any number of
///   groups fits any budget that holds one partition's worth.
///
/// A map-side aggregate that finds almost every row a new group (a distinct over nearly
/// unique rows) stops grouping, as DataFusion's partial aggregation does past its probe: after
/// ``skipProbeRows`` rows with more than ``skipRatio`` groups per row, it hands on what it
/// holds and from then on turns each batch into one state row per input row. Hashing,
/// interning and decoding every key only to shuffle the same rows on would double the work
/// of the final phase for nothing.
///
/// When the shuffle folds the passed rows per bucket itself (``passesProjectedRows``, see
/// ``BucketCombiner``), the bar is lower, ``foldedSkipRatio``: a table that keeps most of its
/// probe's rows as groups grows past the cache (the narrow 20M file: 0.73 groups a row at
/// the probe, 1.2M groups a task), while the shuffle reduces the same rows in tables a
/// thirty-second the size. The narrow file's map stage took 2.34–2.40 s grouping whole
/// splits and 1.98–2.04 s passing rows to the bucket merge (3 alternated runs each), with
/// the same rows shuffled and 700 → 526 MB resident.
final class HashAggregateStream: BatchStream {
    private let plan: HashAggregateExec
    private let input: any BatchStream
    private let context: TaskContext
    private let readsStates: Bool
    /// The input is keys then arguments, already evaluated (``HashAggregateExec/projectedSchema``).
    private let readsProjected: Bool
    private let emitsStates: Bool
    private let level: Int
    private let reservation: MemoryReservation
    private var encoder: GroupKeyEncoder
    private var table: GroupTable
    /// Set instead of the encoder and table for keys of several strings (``RowGroupKeys``).
    private var rowKeys: RowGroupKeys?
    private var accumulators: [any GroupsAccumulator] = []
    private var pending: [RecordBatch] = []
    private var inputDone = false
    private var words: [UInt64] = []
    private var indices: [Int32] = []
    private var spilled: [[SpillSegment]] = []
    private var writer: SpillWriter?
    private var recovery: (partition: Int, stream: (any BatchStream)?)?
    /// Bytes of emitted partial batches not yet handed on (map side only).
    private var pendingBytes = 0
    /// The most a table may hold before it hands its groups on (map side) or spills them
    /// (reduce side): a quarter of a worker's share of the budget. Handing on or spilling
    /// briefly needs a second copy of the state, which this keeps small next to the budget.
    private let partialCap: Int
    /// Raw rows folded so far (map side), for the decision to stop grouping.
    private var rowsSeen = 0
    private var probed = false
    /// Set once the map side has found grouping does not reduce the rows.
    private(set) var passingThrough = false
    /// Set by a shuffle that folds passed-through rows itself: they are then handed on as
    /// keys and arguments (``HashAggregateExec/projectedSchema``), not as one-row states.
    var passesProjectedRows = false
    /// Projected batches at the tail of `pending`.
    private var projectedPending = 0
    /// Whether the batch `next()` returned last is projected rather than states.
    private(set) var lastBatchProjected = false
    /// The shuffle bucket a final aggregate reads, which may hand it projected rows.
    private let bucketInput: BucketStream?
    private var layoutChosen = false

    static let spillPartitions = 16
    static let skipProbeRows = 100_000
    static let skipRatio = 0.8
    static let foldedSkipRatio = 0.5
    static let maxLevel = 8
    static let minimumWorkingBytes = 256 << 10

    /// Groups the table is made for at the start.
    private let expectedGroups: Int
    /// Rows the caller will feed, for the accumulators' room up front (see `expectedGroups`).
    private let expectedRows: Int

    /// - Parameters:
    ///   - expectedGroups: groups to size the table for up front, when the caller knows (a
    ///     merge of known pieces); the table still grows past it.
    ///   - expectedRows: the rows those pieces hold, for the accumulators' room up front.
    init(
        plan: HashAggregateExec, input: any BatchStream, context: TaskContext, readsStates: Bool, emitsStates: Bool, level: Int,
        expectedGroups: Int = 0, expectedRows: Int = 0, readsProjected: Bool = false
    ) {
        self.readsProjected = readsProjected
        // A final aggregate folds the rows the map side passed on as keys and arguments as
        // they are: turning them into one-row states first cost a pass and a list a row.
        bucketInput = readsStates ? input as? BucketStream : nil
        bucketInput?.passesProjected = true
        self.expectedGroups = expectedGroups
        self.expectedRows = expectedRows
        self.plan = plan
        self.input = input
        self.context = context
        self.readsStates = readsStates
        self.emitsStates = emitsStates
        self.level = level
        reservation = context.reservation("HashAggregate(\(plan.mode.rawValue))")
        encoder = GroupKeyEncoder(types: plan.keys.map(\.type))
        table = GroupTable(width: encoder.width)
        let config = context.runtime.config
        partialCap = config.memoryLimit.map { max(1 << 20, $0 / max(1, config.workers * 4)) } ?? .max
    }

    func next() throws(SluiceError) -> RecordBatch? {
        if accumulators.isEmpty, !plan.aggregates.isEmpty { try resetState() }
        while pending.isEmpty {
            try context.checkCancelled()
            if recovery != nil {
                guard try recoverNext() else { break }
                continue
            }
            if inputDone { break }
            guard let batch = try input.next() else {
                inputDone = true
                if spilled.isEmpty {
                    try emit(final: true)
                } else {
                    try spillState()
                    reservation.free()
                    recovery = (partition: 0, stream: nil)
                }
                continue
            }
            let start = SystemInfo.monotonicNanos()
            if level == 0 { plan.metrics.recordInput(rows: batch.rowCount) }
            if passingThrough {
                try passThrough(batch)
            } else {
                try consume(batch, projected: bucketInput?.lastBatchProjected == true ? true : nil)
                try decideSkipping(after: batch.rowCount)
            }
            if level == 0 { plan.metrics.addTime(since: start) }
        }
        guard !pending.isEmpty else {
            reservation.free()
            return nil
        }
        lastBatchProjected = pending.count <= projectedPending
        if lastBatchProjected { projectedPending -= 1 }
        let batch = pending.removeFirst()
        if level == 0 { plan.metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize) }
        if emitsStates, pendingBytes > 0 {
            // Batches handed on are the consumer's to account for.
            pendingBytes = max(0, pendingBytes - batch.byteSize)
            _ = reservation.tryResize(to: pendingBytes)
        }
        return batch
    }

    private var groupCount: Int { rowKeys?.groupCount ?? table.groupCount }
    /// Bytes the keys and their table hold.
    private var keyBytes: Int { rowKeys?.byteSize ?? table.byteSize + encoder.byteSize }

    /// The key columns of every group, in group order.
    private func keyColumns(groupCount: Int) -> [Column] {
        rowKeys?.keyColumns() ?? encoder.decode(table.keys, groupCount: groupCount)
    }

    /// The groups to make room for up front: `expectedGroups` when the slots for them fit a
    /// quarter of this task's cap and the pool grants them, else the default.
    private func presizedCapacity(width: Int) -> Int {
        guard expectedGroups > 256 else { return 256 }
        let bytes = GroupTable.slotBytes(forGroups: expectedGroups, width: width)
        guard bytes <= partialCap / 4, reservation.tryResize(to: reservation.size + bytes) else { return 256 }
        return expectedGroups
    }

    private func resetState() throws(SluiceError) {
        encoder = encoder.emptied()
        table = GroupTable(width: encoder.width)
        rowKeys = rowKeys?.emptied()
        accumulators = try plan.makeAccumulators()
    }

    /// Folds partial states into the groups ahead of the input stream's rows (which may be
    /// projected rows): the map side's own table, handed on when it stopped grouping, merged
    /// with the rows it passed on after (``BucketCombiner``).
    func push(states batch: RecordBatch) throws(SluiceError) {
        if accumulators.isEmpty, !plan.aggregates.isEmpty { try resetState() }
        try consume(batch, readingStates: true)
    }

    /// Folds `batch`: states, projected rows or raw rows as the stream reads them, unless
    /// `readingStates` or `projected` say otherwise for this batch.
    private func consume(_ batch: RecordBatch, readingStates: Bool? = nil, projected: Bool? = nil) throws(SluiceError) {
        guard batch.rowCount > 0 else { return }
        let readsStates = projected == true ? false : readingStates ?? self.readsStates
        let readsProjected = projected ?? (!readsStates && self.readsProjected)
        var keyColumns: [Column] = []
        if readsStates || readsProjected {
            keyColumns = Array(batch.columns[0..<plan.keys.count])
        } else {
            for key in plan.keys { keyColumns.append(try key.evaluate(batch)) }
        }
        if !layoutChosen {
            // The key layout follows the first batch's values (see GroupKeyEncoder).
            layoutChosen = true
            if groupCount == 0 {
                let types = plan.keys.map(\.type)
                encoder = GroupKeyEncoder(types: types, sample: keyColumns)
                let capacity = presizedCapacity(width: encoder.width)
                if capacity == expectedGroups {
                    for accumulator in accumulators { accumulator.reserve(groups: expectedGroups, rows: expectedRows) }
                }
                // Five words and more: comparing rows beats encoding them (RowGroupKeys).
                if encoder.width >= 5, RowGroupKeys.suits(types) {
                    rowKeys = RowGroupKeys(types: types, capacity: capacity)
                    table = GroupTable(width: encoder.width)
                } else {
                    table = GroupTable(width: encoder.width, capacity: capacity)
                }
            }
        }
        // Reserve before the table grows, not after: a growing table briefly holds its old
        // and new slots together, which is exactly when the budget must be asked.
        let current = keyBytes + accumulators.reduce(0) { $0 + $1.byteSize }
        let growth = rowKeys?.growthBytes(forNewRows: batch.rowCount, keys: keyColumns) ?? table.growthBytes(forNewRows: batch.rowCount)
        if groupCount > 0, !reservation.tryResize(to: current + growth) {
            try makeRoom(holding: current)
        }
        if rowKeys != nil {
            rowKeys?.groupIndices(keyColumns, rows: batch.rowCount, into: &indices)
        } else {
            encoder.encode(keyColumns, rows: batch.rowCount, into: &words)
            table.groupIndices(words, rows: batch.rowCount, into: &indices)
        }
        if readsStates {
            var column = plan.keys.count
            for (aggregate, accumulator) in zip(plan.aggregates, accumulators) {
                let states = Array(batch.columns[column..<column + aggregate.stateTypes.count])
                column += aggregate.stateTypes.count
                try accumulator.merge(states, groups: indices, groupCount: groupCount)
            }
        } else {
            var column = plan.keys.count
            for (aggregate, accumulator) in zip(plan.aggregates, accumulators) {
                var arguments: [Column] = []
                if readsProjected {
                    arguments = Array(batch.columns[column..<column + aggregate.arguments.count])
                    column += aggregate.arguments.count
                } else {
                    for argument in aggregate.arguments { arguments.append(try argument.evaluate(batch)) }
                }
                try accumulator.update(arguments, groups: indices, groupCount: groupCount)
            }
        }
        let held = keyBytes + accumulators.reduce(0) { $0 + $1.byteSize }
        if held > partialCap && (emitsStates || !plan.keys.isEmpty) || !reservation.tryResize(to: held) {
            try makeRoom(holding: held)
        }
    }

    /// Stops grouping on the map side once the probe shows the groups barely fewer than the
    /// rows: what the table holds is handed on, and later batches pass through as states.
    private func decideSkipping(after rows: Int) throws(SluiceError) {
        guard emitsStates, !readsStates, level == 0, !plan.keys.isEmpty, !probed else { return }
        rowsSeen += rows
        guard rowsSeen >= Self.skipProbeRows else { return }
        if Double(groupCount) > Double(rowsSeen) * (passesProjectedRows ? Self.foldedSkipRatio : Self.skipRatio) {
            try emit(final: false)
            try resetState()
            passingThrough = true
            pendingBytes = pending.reduce(0) { $0 + $1.byteSize }
            reservation.free()
            _ = reservation.tryResize(to: pendingBytes)
        }
        // Decided once: a table that reduced the first rows keeps grouping.
        probed = true
    }

    /// One state row per input row (see ``singleRowStates(keys:arguments:rows:)``), or the
    /// keys and arguments as evaluated when the shuffle folds them (``passesProjectedRows``).
    private func passThrough(_ batch: RecordBatch) throws(SluiceError) {
        guard batch.rowCount > 0 else { return }
        var keys: [Column] = []
        for key in plan.keys { keys.append(try key.evaluate(batch)) }
        var arguments: [[Column]] = []
        for aggregate in plan.aggregates {
            var columns: [Column] = []
            for argument in aggregate.arguments { columns.append(try argument.evaluate(batch)) }
            arguments.append(columns)
        }
        if passesProjectedRows {
            pending.append(RecordBatch(unchecked: plan.projectedSchema, columns: keys + arguments.joined(), rowCount: batch.rowCount))
            projectedPending += 1
            return
        }
        pending.append(try plan.singleRowStates(keys: keys, arguments: arguments, rows: batch.rowCount, direct: accumulators))
    }

    /// The one-row states of a projected batch this stream passed on: what the shuffle keeps
    /// or spills when it does not fold the rows.
    func states(ofProjected batch: RecordBatch) throws(SluiceError) -> RecordBatch {
        try plan.states(ofProjected: batch, direct: accumulators.isEmpty ? nil : accumulators)
    }

    /// Frees the state when the budget is short: the map side hands its groups on early (the
    /// emitted batches stay reserved until handed on; the final phase merges them), the
    /// reduce side spills them to the grace-hash partitions.
    private func makeRoom(holding held: Int) throws(SluiceError) {
        if emitsStates {
            try emit(final: false)
            try resetState()
            pendingBytes = pending.reduce(0) { $0 + $1.byteSize }
            reservation.free()
            _ = reservation.tryResize(to: pendingBytes)
            return
        }
        // A small state is the least a task needs to make progress: spilling it would only
        // recurse without freeing anything, so it goes on unreserved (the budget's overhead).
        if held < Self.minimumWorkingBytes {
            _ = reservation.tryResize(to: held)
            return
        }
        guard !plan.keys.isEmpty, level < Self.maxLevel else { try reservation.resize(to: held); return }
        try spillState()
        try resetState()
        reservation.free()
    }

    /// The current groups as partial-state columns (keys first).
    private func stateBatch() throws(SluiceError) -> RecordBatch {
        var columns = keyColumns(groupCount: groupCount)
        for accumulator in accumulators { columns += try accumulator.state() }
        return RecordBatch(unchecked: plan.partialSchema, columns: columns, rowCount: groupCount)
    }

    /// Writes the current groups' state to the spill partitions chosen by key hash.
    private func spillState() throws(SluiceError) {
        if spilled.isEmpty { spilled = Array(repeating: [], count: Self.spillPartitions) }
        guard groupCount > 0 else { return }
        let file: SpillWriter
        if let writer { file = writer } else { file = try context.runtime.spill.createFile("aggregate-s\(context.stage)-t\(context.partition)-l\(level)") }
        writer = file
        let partitioner = HashPartitioner(keyIndices: Array(0..<plan.keys.count), bucketCount: Self.spillPartitions, shift: UInt64(level * 4))
        // Free the table before cutting the state into partitions, and cut one partition at a
        // time, so spilling needs about one extra copy of the state, not three.
        let state = try stateBatch()
        try resetState()
        for (partition, rows) in partitioner.bucketRows(state).enumerated() where !rows.isEmpty {
            for segment in try file.write([state.take(rows)], schema: plan.partialSchema) {
                plan.metrics.recordSpill(bytes: segment.length)
                spilled[partition].append(segment)
            }
        }
    }

    /// Moves the recovery on: pulls the current spill partition's merged output into
    /// `pending`, or opens the next partition. Returns false when every partition is done.
    private func recoverNext() throws(SluiceError) -> Bool {
        guard var state = recovery else { return false }
        if let stream = state.stream {
            if let batch = try stream.next() {
                pending.append(batch)
                return true
            }
            state.partition += 1
            state.stream = nil
        }
        while state.partition < spilled.count, spilled[state.partition].isEmpty { state.partition += 1 }
        guard state.partition < spilled.count else {
            recovery = nil
            return false
        }
        let segments = spilled[state.partition]
        spilled[state.partition] = []
        state.stream = HashAggregateStream(
            plan: plan, input: SpillReadStream(segments: segments, schema: plan.partialSchema), context: context,
            readsStates: true, emitsStates: false, level: level + 1
        )
        recovery = state
        return true
    }

    /// Fails, naming the group, when an aggregate's exact result for it does not fit the
    /// output type (a sum past the 64-bit range: see ``SumFunction``).
    private func checkRanges() throws(SluiceError) {
        for (aggregate, accumulator) in zip(plan.aggregates, accumulators) {
            guard let checked = accumulator as? any RangeCheckedAccumulator, let (group, value) = checked.firstOutOfRange() else { continue }
            let keys = keyColumns(groupCount: groupCount)
            let keyText = zip(plan.keyNames, keys).map { "\($0.0) = \($0.1.value(at: group))" }.joined(separator: ", ")
            throw SluiceError(
                .data,
                "\(aggregate.function.name) \(aggregate.name)\(keyText.isEmpty ? "" : " for \(keyText)") is \(value), past the range of \(aggregate.returnType)",
                hint: "the values are too large to total in 64 bits: reject them in the plan (rejectWhen), or cast them to float64 before summing"
            )
        }
    }

    /// Turns the current groups into output batches.
    private func emit(final: Bool) throws(SluiceError) {
        var groupCount = groupCount
        if groupCount == 0, plan.keys.isEmpty, !emitsStates, final {
            // A global aggregate over no rows still has one row (count = 0, sum = null).
            table.groupIndices([], rows: 1, into: &indices)
            for (aggregate, accumulator) in zip(plan.aggregates, accumulators) {
                try accumulator.update(aggregate.inputTypes.map { Column(empty: $0) }, groups: [], groupCount: 1)
            }
            groupCount = 1
        }
        guard groupCount > 0 else { return }
        if emitsStates {
            // Map-side output goes straight to the shuffle, which cuts it by bucket anyway;
            // slicing it here would copy the whole state once more.
            pending.append(try stateBatch())
            return
        }
        try checkRanges()
        var results: [Column] = []
        for accumulator in accumulators { results.append(try accumulator.finish()) }
        if let pieces = rowKeys?.keyChunks(), pieces.count > 1 {
            // Row-keyed groups are emitted in the pieces their keys were taken in (each at
            // most one input batch), with the results cut to match.
            for (index, piece) in pieces.enumerated() {
                let end = index + 1 < pieces.count ? pieces[index + 1].firstGroup : groupCount
                let range = piece.firstGroup..<end
                let columns = piece.columns + results.map { $0.slice(range) }
                pending += RecordBatch(unchecked: plan.schema, columns: columns, rowCount: range.count).chunks(maxRows: context.batchRows)
            }
            return
        }
        let whole = RecordBatch(unchecked: plan.schema, columns: keyColumns(groupCount: groupCount) + results, rowCount: groupCount)
        pending += whole.chunks(maxRows: context.batchRows)
    }
}
