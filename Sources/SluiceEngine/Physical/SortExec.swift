public import SluiceCore

/// Sorts each partition on its own (stable, so equal keys keep their input order). A global
/// order comes from ``MergeSortedExec`` on top, which merges the sorted partitions.
///
/// Under memory pressure the sort is external: when the pool refuses to hold more input,
/// the rows held are sorted and written to a spill file as a run, and at the end the runs
/// are merged a batch at a time.
public final class SortExec: ExecutionPlan {
    public let input: any ExecutionPlan
    public let keys: [SortKey]
    let comparator: RowComparator
    public let metrics = OperatorMetrics()

    public init(input: any ExecutionPlan, keys: [SortKey]) throws(SluiceError) {
        self.input = input
        self.keys = keys
        comparator = try RowComparator(keys: keys, schema: input.schema)
    }

    public var name: String { "Sort" }
    public var details: String { keys.map(\.description).joined(separator: ", ") }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { input.partitioning }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        SortStream(plan: self, input: try input.execute(partition: partition, context: context), context: context)
    }

    /// Sorts `batches` (stable) into one batch.
    func sorted(_ batches: [RecordBatch]) -> RecordBatch {
        let all = RecordBatch.concat(batches, schema: schema)
        var order = (0..<Int32(all.rowCount)).map { $0 }
        // Prefixes first; rows are read only where two prefixes tie (or a key is null). A
        // null's slot holds 0 and is never compared as a prefix: 8 bytes a row, not 16.
        let prefix = SortPrefix(comparator: comparator, schema: schema)
        let comparator = self.comparator
        guard let prefix else {
            order.sort { a, b in
                let result = comparator.compare(all, Int(a), all, Int(b))
                return result != 0 ? result < 0 : a < b
            }
            return all.take(order)
        }
        // The prefix and its column are unwrapped once, outside the comparison: unwrapped
        // inside, they were copied for every comparison, retaining their storage each time.
        let column = all.columns[comparator.indices[0]]
        let keys = (0..<all.rowCount).map { prefix.prefix(column, $0) ?? 0 }
        let nullable = column.nullCount > 0
        order.sort { a, b in
            if !nullable || (!column.isNull(Int(a)) && !column.isNull(Int(b))),
               let before = prefix.before(keys[Int(a)], keys[Int(b)], tie: a < b) {
                return before
            }
            let result = comparator.compare(all, Int(a), all, Int(b))
            return result != 0 ? result < 0 : a < b
        }
        return all.take(order)
    }
}

final class SortStream: BatchStream {
    let plan: SortExec
    let input: any BatchStream
    let context: TaskContext
    let reservation: MemoryReservation
    var output: (any BatchStream)?

    init(plan: SortExec, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.input = input
        self.context = context
        reservation = context.reservation("Sort")
    }

    func next() throws(SluiceError) -> RecordBatch? {
        if output == nil { output = try sortAll() }
        guard let batch = try output?.next() else {
            reservation.free()
            return nil
        }
        plan.metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize)
        return batch
    }

    private func sortAll() throws(SluiceError) -> any BatchStream {
        var held: [RecordBatch] = []
        var runs: [[SpillSegment]] = []
        var writer: SpillWriter?
        while let batch = try input.next() {
            try context.checkCancelled()
            plan.metrics.recordInput(rows: batch.rowCount)
            // Sorting needs the rows twice over (input and sorted copy).
            if !reservation.tryResize(to: reservation.size + batch.byteSize * 2), !held.isEmpty {
                let file: SpillWriter
                if let writer { file = writer } else { file = try context.runtime.spill.createFile("sort-s\(context.stage)-t\(context.partition)") }
                writer = file
                runs.append(try write(plan.sorted(held), to: file))
                held.removeAll()
                reservation.free()
                // One batch is the least a sort can hold; it proceeds even when the pool
                // cannot cover it (the README's per-task overhead).
                _ = reservation.tryResize(to: batch.byteSize * 2)
            }
            held.append(batch)
        }
        let began = SystemInfo.monotonicNanos()
        defer { plan.metrics.addTime(since: began) }
        let last = held.isEmpty ? nil : plan.sorted(held)
        guard !runs.isEmpty else {
            return MemoryBatchStream(last.map { slices($0) } ?? [])
        }
        var cursors = runs.map { RunCursor(stream: SpillReadStream(segments: $0, schema: plan.schema)) }
        if let last { cursors.append(RunCursor(stream: MemoryBatchStream(slices(last)))) }
        return try RunMerger(schema: plan.schema, comparator: plan.comparator, cursors: cursors, batchRows: context.batchRows,
                             cancellation: context.runtime.cancellation)
    }

    private func write(_ sorted: RecordBatch, to file: SpillWriter) throws(SluiceError) -> [SpillSegment] {
        var segments: [SpillSegment] = []
        for part in slices(sorted) {
            let segment = try file.write(part)
            plan.metrics.recordSpill(bytes: segment.length)
            segments.append(segment)
        }
        return segments
    }

    private func slices(_ batch: RecordBatch) -> [RecordBatch] {
        batch.chunks(maxRows: context.batchRows)
    }
}

/// A position in one sorted run that is read a batch at a time.
struct RunCursor {
    let stream: any BatchStream
    var batch: RecordBatch?
    var row = 0

    init(stream: any BatchStream) {
        self.stream = stream
    }

    /// Loads the next non-empty batch when the current one is used up; false at the end.
    mutating func ready() throws(SluiceError) -> Bool {
        while batch == nil || row >= (batch?.rowCount ?? 0) {
            guard let next = try stream.next() else {
                batch = nil
                return false
            }
            batch = next
            row = 0
        }
        return true
    }
}

/// Merges sorted runs into one sorted stream; ties go to the earlier run, so merging is
/// stable and the output does not depend on how the input was split into runs.
///
/// The runs wait in a binary heap keyed on their current row (ties: the lower run first), so
/// each row costs O(log k) comparisons for k runs — a merge of 1,000 partitions is no slower
/// per row than a merge of 10 by more than that factor. Cancellation is checked per batch.
final class RunMerger: BatchStream {
    private let schema: Schema
    private let comparator: RowComparator
    // Touched for every row by the heap: no dynamic exclusivity checks (a merger belongs to
    // one task, and no access here overlaps another; they were 4 % of a merge's instructions).
    @exclusivity(unchecked) private var cursors: [RunCursor]
    private let batchRows: Int
    private let cancellation: Cancellation?
    /// Indices of the runs that still have rows, as a min-heap on (current row, run index).
    @exclusivity(unchecked) private var heap: [Int] = []
    /// Each run's current first-key prefix (see ``SortPrefix``), so the heap compares two
    /// integers and reads the rows only where prefixes tie.
    private let prefix: SortPrefix?
    @exclusivity(unchecked) private var currentKey: [UInt64]
    /// Runs whose current row has no prefix (a null key): those compare as rows.
    @exclusivity(unchecked) private var currentNull: [Bool]

    init(schema: Schema, comparator: RowComparator, cursors: [RunCursor], batchRows: Int,
         cancellation: Cancellation? = nil) throws(SluiceError) {
        self.schema = schema
        self.comparator = comparator
        self.cursors = cursors
        self.batchRows = batchRows
        self.cancellation = cancellation
        prefix = SortPrefix(comparator: comparator, schema: schema)
        currentKey = [UInt64](repeating: 0, count: cursors.count)
        currentNull = [Bool](repeating: true, count: cursors.count)
        for index in self.cursors.indices where try self.cursors[index].ready() {
            loadKey(index)
            heap.append(index)
            siftUp(heap.count - 1)
        }
    }

    /// Caches run `run`'s current prefix.
    @inline(__always)
    private func loadKey(_ run: Int) {
        guard let prefix, let batch = cursors[run].batch else { return }
        if let key = prefix.prefix(batch.columns[comparator.indices[0]], cursors[run].row) {
            currentNull[run] = false
            currentKey[run] = key
        } else {
            currentNull[run] = true
        }
    }

    /// True when run `a`'s current row goes before run `b`'s.
    @inline(__always)
    private func before(_ a: Int, _ b: Int) -> Bool {
        if let prefix, !currentNull[a], !currentNull[b], let before = prefix.before(currentKey[a], currentKey[b], tie: a < b) {
            return before
        }
        guard let left = cursors[a].batch, let right = cursors[b].batch else { return a < b }
        let order = comparator.compare(left, cursors[a].row, right, cursors[b].row)
        return order != 0 ? order < 0 : a < b
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard before(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = parent * 2 + 1, right = left + 1
            var smallest = parent
            if left < heap.count, before(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, before(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    func next() throws(SluiceError) -> RecordBatch? {
        try cancellation?.check()
        // The heap decides the order; the values move in bulk afterwards. A run's rows are
        // used in order, so each batch a run contributes gives one contiguous range: the
        // ranges are sliced and joined, and one gather puts the rows in merged order.
        var ranges: [(batch: RecordBatch, start: Int, end: Int)] = []
        var rangeOf = [Int](repeating: -1, count: cursors.count)
        var rowsOf = [Int](repeating: 0, count: cursors.count)
        var picks: [(range: Int32, row: Int32)] = []
        picks.reserveCapacity(batchRows)
        while picks.count < batchRows, let best = heap.first {
            if rangeOf[best] < 0 {
                guard let batch = cursors[best].batch else { break }
                rangeOf[best] = ranges.count
                rowsOf[best] = batch.rowCount
                ranges.append((batch, cursors[best].row, cursors[best].row))
            }
            let range = rangeOf[best]
            let row = cursors[best].row
            picks.append((Int32(range), Int32(row - ranges[range].start)))
            ranges[range].end = row + 1
            cursors[best].row += 1
            if cursors[best].row >= rowsOf[best] { rangeOf[best] = -1 }
            if try cursors[best].ready() {
                loadKey(best)
                siftDown(0)
            } else {
                heap.swapAt(0, heap.count - 1)
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
        }
        guard !picks.isEmpty else { return nil }
        var first = [Int32](repeating: 0, count: ranges.count)
        var total: Int32 = 0
        for (index, range) in ranges.enumerated() {
            first[index] = total
            total += Int32(range.end - range.start)
        }
        let order = picks.map { first[Int($0.range)] + $0.row }
        let columns = schema.fields.indices.map { column -> Column in
            let parts = ranges.map { $0.batch.columns[column].slice($0.start..<$0.end) }
            return Column.concat(parts, type: schema[column].type).take(order)
        }
        return RecordBatch(unchecked: schema, columns: columns, rowCount: picks.count)
    }
}
