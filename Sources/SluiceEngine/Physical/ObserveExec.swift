public import SluiceCore

/// Adds named figures up over the rows flowing past (Spark's `observe`): counts, or sums of
/// an integer expression, each over the rows where its predicate holds. Rows pass unchanged;
/// the totals land in ``ExecutionRuntime/observations``, once per batch per figure.
public final class ObserveExec: ExecutionPlan {
    public let input: any ExecutionPlan
    public let observations: [Observation]
    let bound: [(value: BoundExpr?, predicate: BoundExpr?)]
    /// The source column, when an observation sets rows apart.
    let sourceIndex: Int?
    public let metrics = OperatorMetrics()

    public init(input: any ExecutionPlan, observations: [Observation]) throws(SluiceError) {
        self.input = input
        self.observations = observations
        var bound: [(value: BoundExpr?, predicate: BoundExpr?)] = []
        for observation in observations {
            let value = try observation.value.map { (expression) throws(SluiceError) in try BoundExpr.bind(expression, to: input.schema) }
            if let value, value.type != .int64 {
                throw SluiceError.plan("observe(\(observation.name)) sums an integer, got \(value.type)")
            }
            let predicate = try observation.predicate.map { (expression) throws(SluiceError) in try BoundExpr.bind(expression, to: input.schema) }
            if let predicate, predicate.type != .bool {
                throw SluiceError.plan("observe(\(observation.name)) needs a bool predicate, got \(predicate.type)")
            }
            bound.append((value, predicate))
        }
        self.bound = bound
        sourceIndex = input.schema.index(of: Provenance.sourceColumn)
        if let apart = observations.first(where: \.setsApart), sourceIndex == nil {
            throw SluiceError.plan("observe(\(apart.name)) sets rows apart, which needs the source column \(Provenance.sourceColumn)",
                                   hint: "read the source with provenance and keep \(Provenance.sourceColumn) (a grouping key, say)")
        }
    }

    public var name: String { "Observe" }
    public var details: String { observations.map(\.description).joined(separator: "; ") }
    public var schema: Schema { input.schema }
    public var children: [any ExecutionPlan] { [input] }
    public var partitioning: Partitioning { input.partitioning }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        ObserveStream(plan: self, input: try input.execute(partition: partition, context: context), context: context)
    }

    /// Adds this batch's figures to the run's observations.
    func observe(_ batch: RecordBatch, into observations: Observations, rejects: RejectSink) throws(SluiceError) {
        for (observation, expressions) in zip(self.observations, bound) {
            if let custom = observation.custom {
                observations.add(observation.name, try custom(batch, rejects))
                continue
            }
            let rows: [Int32]? = try expressions.predicate.map { (predicate) throws(SluiceError) in try predicate.selectedRows(batch) }
            guard let value = expressions.value else {
                observations.add(observation.name, Int64(rows?.count ?? batch.rowCount))
                continue
            }
            let column = try value.evaluate(batch)
            guard case .int64(let values) = column.storage else { continue }
            if observation.setsApart, let sourceIndex {
                observations.add(observation.name, setApart(values, column: column, rows: rows, batch: batch, sourceIndex: sourceIndex, rejects: rejects))
                continue
            }
            var total: Int64 = 0
            if let rows {
                for row in rows where !column.isNull(Int(row)) { total &+= values[Int(row)] }
            } else {
                for row in 0..<batch.rowCount where !column.isNull(row) { total &+= values[row] }
            }
            observations.add(observation.name, total)
        }
    }
}

extension ObserveExec {
    /// Moves each row's `values` from its source's passed rows to apart; returns the total.
    func setApart(_ values: [Int64], column: Column, rows: [Int32]?, batch: RecordBatch, sourceIndex: Int, rejects: RejectSink) -> Int64 {
        var perSource: [String: Int] = [:]
        var total: Int64 = 0
        let sources = batch.columns[sourceIndex]
        for row in rows.map({ $0.map(Int.init) }) ?? Array(0..<batch.rowCount) where !column.isNull(row) && values[row] != 0 {
            perSource[sources.value(at: row).description, default: 0] += Int(values[row])
            total &+= values[row]
        }
        for (source, count) in perSource.sorted(by: { $0.key < $1.key }) {
            rejects.count(source: source, read: 0, passed: -count, rejected: 0, apart: count)
        }
        return total
    }
}

final class ObserveStream: BatchStream {
    let plan: ObserveExec
    let input: any BatchStream
    let context: TaskContext

    init(plan: ObserveExec, input: any BatchStream, context: TaskContext) {
        self.plan = plan
        self.input = input
        self.context = context
    }

    func next() throws(SluiceError) -> RecordBatch? {
        guard let batch = try input.next() else { return nil }
        let start = SystemInfo.monotonicNanos()
        plan.metrics.recordInput(rows: batch.rowCount)
        try plan.observe(batch, into: context.runtime.observations, rejects: context.runtime.rejects)
        plan.metrics.addTime(since: start)
        plan.metrics.recordOutput(rows: batch.rowCount, bytes: batch.byteSize)
        return batch
    }
}
