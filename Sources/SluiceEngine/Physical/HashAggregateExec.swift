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

    /// The same call reading `[its value, each value in `values`…, its ordering…]` and keeping
    /// them all (``SharedOrdering``: `values` are the calls that share its ordering).
    init(leading aggregate: BoundAggregate, values: [BoundAggregate]) {
        function = aggregate.function
        arguments = [aggregate.arguments[0]] + values.map { $0.arguments[0] } + aggregate.arguments.dropFirst()
        name = aggregate.name
        inputTypes = arguments.map(\.type)
        stateTypes = inputTypes
        returnType = aggregate.returnType
    }

    /// The same call reading and keeping nothing: another call keeps its value (``SharedOrdering``).
    init(following aggregate: BoundAggregate) {
        function = aggregate.function
        arguments = []
        name = aggregate.name
        inputTypes = []
        stateTypes = []
        returnType = aggregate.returnType
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
    /// argMax / argMin calls that share one ordering.
    let sharedOrdering: SharedOrdering
    public let schema: Schema
    /// Keys then partial-state columns: the partial mode's output, and the layout spilled
    /// state is written in.
    public let partialSchema: Schema
    /// Keys then each aggregate's arguments as evaluated: the rows a map side passes on
    /// ungrouped for the shuffle to fold per bucket (see ``BucketCombiner``), narrower than
    /// one-row states (a sum's carry column, a set's list offsets).
    let projectedSchema: Schema
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
        for key in keys {
            let expression = try BoundExpr.bind(key.expr, to: rawSchema)
            try GroupKeyEncoder.requireEncodable(expression.type, key: key.name, in: "a grouping or distinct()")
            bound.append(expression)
        }
        var boundAggregates: [BoundAggregate] = []
        for aggregate in aggregates { boundAggregates.append(try BoundAggregate(aggregate, schema: rawSchema)) }
        sharedOrdering = SharedOrdering(aggregates, inputTypes: boundAggregates.map(\.inputTypes))
        self.aggregates = sharedOrdering.rewrite(boundAggregates)
        if mode == .final {
            self.keys = bound.enumerated().map { .column($0.offset, $0.element.type) }
        } else {
            self.keys = bound
        }
        let keyFields = zip(keyNames, bound).map { Field($0.0, $0.1.type) }
        var stateFields = keyFields
        var finalFields = keyFields
        var projectedFields = keyFields
        for aggregate in self.aggregates {
            for (index, type) in aggregate.inputTypes.enumerated() { projectedFields.append(Field("\(aggregate.name)#argument\(index)", type)) }
            for (index, type) in aggregate.stateTypes.enumerated() {
                stateFields.append(Field(Self.stateName(aggregate.name, index, of: aggregate.stateTypes.count), type))
            }
            finalFields.append(Field(aggregate.name, aggregate.returnType))
        }
        partialSchema = Schema(stateFields)
        projectedSchema = Schema(projectedFields)
        schema = mode == .partial ? partialSchema : Schema(finalFields)
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
        let calls = aggregates.enumerated().map { index, aggregate in
            "\(aggregate.function.name)(…) AS \(aggregate.name)" + (sharedOrdering.leaders[index].map { " (kept by \(aggregates[$0].name))" } ?? "")
        }
        return "keys=[\(keyText)] aggs=[\(calls.joined(separator: ", "))]"
    }

    /// Fresh accumulators, one per aggregate (argMax calls that share an ordering wired together).
    func makeAccumulators() throws(SluiceError) -> [any GroupsAccumulator] {
        try sharedOrdering.makeAccumulators(aggregates)
    }

    /// One state row per input row: the keys, and each aggregate's state of just that row —
    /// made directly where an accumulator can (a sum is the value, a set the one value; from
    /// `direct`, or fresh ones), else by folding the rows into fresh accumulators, a group per
    /// row. `arguments` holds each aggregate's evaluated arguments.
    func singleRowStates(keys: [Column], arguments: [[Column]], rows: Int, direct given: [any GroupsAccumulator]? = nil) throws(SluiceError) -> RecordBatch {
        let direct: [any GroupsAccumulator]
        if let given { direct = given } else { direct = try makeAccumulators() }
        var columns = keys
        var fresh: [any GroupsAccumulator] = []
        for (index, arguments) in arguments.enumerated() {
            if let states = try direct[index].singleRowStates(arguments, rows: rows) {
                columns += states
                continue
            }
            // Fresh accumulators, wired as the plan wires them, only for the aggregates that
            // have no direct one-row state.
            if fresh.isEmpty { fresh = try makeAccumulators() }
            try fresh[index].update(arguments, groups: Array(0..<Int32(rows)), groupCount: rows)
            columns += try fresh[index].state()
        }
        return RecordBatch(unchecked: partialSchema, columns: columns, rowCount: rows)
    }

    /// The one-row states of a batch of keys and arguments (``projectedSchema``).
    func states(ofProjected batch: RecordBatch, direct: [any GroupsAccumulator]? = nil) throws(SluiceError) -> RecordBatch {
        let keys = Array(batch.columns[0..<self.keys.count])
        var column = keys.count
        var arguments: [[Column]] = []
        for aggregate in aggregates {
            arguments.append(Array(batch.columns[column..<column + aggregate.arguments.count]))
            column += aggregate.arguments.count
        }
        return try singleRowStates(keys: keys, arguments: arguments, rows: batch.rowCount, direct: direct)
    }

    /// A final aggregate over a shuffle bucket knows the bucket's rows: its table starts with
    /// room for a sixteenth of them as groups and its accumulators for a value each (see
    /// ``finalGroupsPerRow``), where growing from nothing rehashed the table and copied the
    /// day sets a dozen times over.
    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        let stream = try input.execute(partition: partition, context: context)
        let rows = mode == .final ? (stream as? BucketStream)?.rows ?? 0 : 0
        return HashAggregateStream(
            plan: self, input: stream, context: context, readsStates: mode == .final, emitsStates: mode == .partial, level: 0,
            expectedGroups: Int(Double(rows) * Self.finalGroupsPerRow), expectedRows: rows
        )
    }

    /// Groups a final aggregate expects per state row it reads: a guess, low enough that a
    /// bucket whose rows reduce well (the 100M file: 0.18 groups a row, a table of 131,072
    /// slots) starts no larger than it grows to anyway (a quarter made it 524,288 slots, four
    /// times the cache misses), high enough that one that barely reduces (the wide file: 0.6)
    /// grows twice rather than eleven times.
    static let finalGroupsPerRow = 1.0 / 16
}
