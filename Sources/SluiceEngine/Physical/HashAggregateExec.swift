public import SluiceCore

/// One bound aggregate call: function, argument expressions over the input, output name.
public struct BoundAggregate: Sendable {
    public let function: any AggregateFunction
    public let arguments: [BoundExpr]
    public let name: String
    public let inputTypes: [DataType]
    public let stateTypes: [DataType]
    public let returnType: DataType

    init(_ aggregate: AggregateExpr, schema: Schema) throws(SluiceError) {
        function = aggregate.function
        var bound: [BoundExpr] = []
        for argument in aggregate.arguments { bound.append(try BoundExpr.bind(argument, to: schema)) }
        arguments = bound
        name = aggregate.name
        inputTypes = bound.map(\.type)
        stateTypes = try function.stateTypes(inputTypes)
        returnType = try function.returnType(inputTypes)
    }
}

/// Hash aggregation in one of three modes:
/// - `partial`: raw rows in, one row per group of partial state out (map side). It may emit
///   early when the memory budget refuses to let its table grow; the final phase merges.
/// - `final`: partial states in (keys first, then state columns), final values out.
/// - `single`: raw rows in, final values out; used when the input is already partitioned so
///   that each group lives in one partition, which is what saves a second shuffle.
public final class HashAggregateExec: ExecutionPlan {
    public enum Mode: String, Sendable { case partial, final, single }

    public let input: any ExecutionPlan
    public let mode: Mode
    public let keyNames: [String]
    /// Key expressions over the input (for `final`, the input's first key columns).
    public let keys: [BoundExpr]
    public let aggregates: [BoundAggregate]
    public let schema: Schema
    public let metrics = OperatorMetrics()

    /// - Parameters:
    ///   - keys: names and expressions over `input`'s schema; in `final` mode, `input` is a
    ///     `partial` node with the same keys and aggregates.
    public init(
        input: any ExecutionPlan, mode: Mode, keys: [(name: String, expr: Expr)], aggregates: [AggregateExpr],
        rawSchema: Schema
    ) throws(SluiceError) {
        self.input = input
        self.mode = mode
        keyNames = keys.map(\.name)
        var bound: [BoundExpr] = []
        for key in keys { bound.append(try BoundExpr.bind(key.expr, to: rawSchema)) }
        var boundAggregates: [BoundAggregate] = []
        for aggregate in aggregates { boundAggregates.append(try BoundAggregate(aggregate, schema: rawSchema)) }
        self.aggregates = boundAggregates
        if mode == .final {
            self.keys = bound.enumerated().map { .column($0.offset, $0.element.type) }
        } else {
            self.keys = bound
        }
        var fields = zip(keyNames, bound).map { Field($0.0, $0.1.type) }
        for aggregate in boundAggregates {
            if mode == .partial {
                for (index, type) in aggregate.stateTypes.enumerated() {
                    fields.append(Field(Self.stateName(aggregate.name, index, of: aggregate.stateTypes.count), type))
                }
            } else {
                fields.append(Field(aggregate.name, aggregate.returnType))
            }
        }
        schema = Schema(fields)
    }

    static func stateName(_ name: String, _ index: Int, of count: Int) -> String {
        count == 1 ? "\(name)#state" : "\(name)#state\(index)"
    }

    public var name: String { "HashAggregate(\(mode.rawValue))" }
    public var children: [any ExecutionPlan] { [input] }

    /// Output rows of one group stay in the partition the input put them in, so the input's
    /// hash partitioning on key columns carries over.
    public var partitioning: Partitioning {
        if case .hash(let hashKeys, let count) = input.partitioning, Set(hashKeys).isSubset(of: Set(keyNames)) {
            return .hash(keys: hashKeys, count: count)
        }
        return input.partitioning
    }

    public var details: String {
        let keyText = keyNames.isEmpty ? "none" : keyNames.joined(separator: ", ")
        return "keys=[\(keyText)] aggs=[\(aggregates.map { "\($0.function.name)(…) AS \($0.name)" }.joined(separator: ", "))]"
    }

    public func execute(partition: Int, context: TaskContext) throws -> any BatchStream {
        HashAggregateStream(plan: self, input: try input.execute(partition: partition, context: context), context: context)
    }
}

/// The running state of one partition of a ``HashAggregateExec``.
final class HashAggregateStream: BatchStream {
    private let plan: HashAggregateExec
    private let input: any BatchStream
    private let context: TaskContext
    private let reservation: MemoryReservation
    private var encoder: GroupKeyEncoder
    private var table: GroupTable
    private var accumulators: [any GroupsAccumulator]
    private var pending: [RecordBatch] = []
    private var inputDone = false
    private var words: [UInt64] = []
    private var indices: [Int32] = []

    init(plan: HashAggregateExec, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.input = input
        self.context = context
        reservation = context.reservation("HashAggregate(\(plan.mode.rawValue))")
        encoder = GroupKeyEncoder(types: plan.keys.map(\.type))
        table = GroupTable(width: encoder.width)
        accumulators = []
    }

    func next() throws -> RecordBatch? {
        if accumulators.isEmpty, !plan.aggregates.isEmpty { try resetState() }
        while pending.isEmpty, !inputDone {
            try context.checkCancelled()
            guard let batch = try input.next() else {
                inputDone = true
                try emit(final: true)
                break
            }
            let start = SystemInfo.monotonicNanos()
            plan.metrics.recordInput(rows: batch.rowCount)
            try consume(batch)
            plan.metrics.addTime(since: start)
        }
        guard !pending.isEmpty else {
            reservation.free()
            return nil
        }
        let batch = pending.removeFirst()
        plan.metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize)
        return batch
    }

    private func resetState() throws(SluiceError) {
        encoder = GroupKeyEncoder(types: plan.keys.map(\.type))
        table = GroupTable(width: encoder.width)
        var fresh: [any GroupsAccumulator] = []
        for aggregate in plan.aggregates { fresh.append(try aggregate.function.makeAccumulator(aggregate.inputTypes)) }
        accumulators = fresh
    }

    private func consume(_ batch: RecordBatch) throws {
        guard batch.rowCount > 0 else { return }
        var keyColumns: [Column] = []
        for key in plan.keys { keyColumns.append(try key.evaluate(batch)) }
        encoder.encode(keyColumns, rows: batch.rowCount, into: &words)
        table.groupIndices(words, rows: batch.rowCount, into: &indices)
        if plan.mode == .final {
            var column = plan.keys.count
            for (aggregate, accumulator) in zip(plan.aggregates, accumulators) {
                let states = Array(batch.columns[column..<column + aggregate.stateTypes.count])
                column += aggregate.stateTypes.count
                try accumulator.merge(states, groups: indices, groupCount: table.groupCount)
            }
        } else {
            for (aggregate, accumulator) in zip(plan.aggregates, accumulators) {
                var arguments: [Column] = []
                for argument in aggregate.arguments { arguments.append(try argument.evaluate(batch)) }
                try accumulator.update(arguments, groups: indices, groupCount: table.groupCount)
            }
        }
        let held = table.byteSize + encoder.byteSize + accumulators.reduce(0) { $0 + $1.byteSize }
        if !reservation.tryResize(to: held) {
            // The map side may hand its groups on early; the final phase merges them.
            guard plan.mode == .partial else { try reservation.resize(to: held); return }
            try emit(final: false)
            try resetState()
            reservation.free()
        }
    }

    /// Turns the current groups into output batches.
    private func emit(final: Bool) throws {
        var groupCount = table.groupCount
        if groupCount == 0, plan.keys.isEmpty, plan.mode != .partial, final {
            // A global aggregate over no rows still has one row (count = 0, sum = null).
            table.groupIndices([], rows: 1, into: &indices)
            for (aggregate, accumulator) in zip(plan.aggregates, accumulators) {
                try accumulator.update(aggregate.inputTypes.map { Column(empty: $0) }, groups: [], groupCount: 1)
            }
            groupCount = 1
        }
        guard groupCount > 0 else { return }
        var columns = encoder.decode(table.keys, groupCount: groupCount)
        for accumulator in accumulators {
            if plan.mode == .partial { columns += try accumulator.state() } else { columns.append(try accumulator.finish()) }
        }
        let whole = RecordBatch(unchecked: plan.schema, columns: columns, rowCount: groupCount)
        let size = context.batchRows
        var start = 0
        while start < groupCount {
            let end = min(groupCount, start + size)
            pending.append(start == 0 && end == groupCount ? whole : whole.slice(start..<end))
            start = end
        }
    }
}
