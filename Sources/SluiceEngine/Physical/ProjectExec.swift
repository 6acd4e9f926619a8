public import SluiceCore

/// Computes a new set of columns from expressions (select, withColumn, rename).
public final class ProjectExec: ExecutionPlan {
    public let input: any ExecutionPlan
    public let expressions: [Expr]
    let bound: [BoundExpr]
    public let schema: Schema
    public let metrics = OperatorMetrics()

    public init(input: any ExecutionPlan, expressions: [Expr]) throws(SluiceError) {
        self.input = input
        self.expressions = expressions
        var bound: [BoundExpr] = []
        for expression in expressions { bound.append(try BoundExpr.bind(expression, to: input.schema)) }
        self.bound = bound
        let names = expressions.map(\.outputName)
        if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw SluiceError.plan("two output columns are named '\(duplicate)'", hint: "alias one of them")
        }
        schema = Schema(zip(names, bound).map { Field($0.0, $0.1.type) })
    }

    public var name: String { "Project" }
    public var details: String { expressions.map(\.description).joined(separator: ", ") }
    public var children: [any ExecutionPlan] { [input] }

    /// Hash partitioning survives when every hash key is passed through (possibly renamed).
    public var partitioning: Partitioning {
        guard case .hash(let keys, let count) = input.partitioning else { return input.partitioning }
        var renamed: [String] = []
        for key in keys {
            guard let output = Self.passThroughName(of: key, in: expressions) else { return .unknown(count) }
            renamed.append(output)
        }
        return .hash(keys: renamed, count: count)
    }

    /// The output name under which input column `column` is passed through unchanged.
    static func passThroughName(of column: String, in expressions: [Expr]) -> String? {
        for expression in expressions {
            switch expression {
            case .column(let name) where name == column: return name
            case .alias(.column(let name), let output) where name == column: return output
            default: continue
            }
        }
        return nil
    }

    public func execute(partition: Int, context: TaskContext) throws(SluiceError) -> any BatchStream {
        ProjectStream(plan: self, input: try input.execute(partition: partition, context: context))
    }
}

final class ProjectStream: BatchStream {
    let plan: ProjectExec
    let input: any BatchStream

    init(plan: ProjectExec, input: any BatchStream) {
        self.plan = plan
        self.input = input
    }

    func next() throws(SluiceError) -> RecordBatch? {
        guard let batch = try input.next() else { return nil }
        let start = SystemInfo.monotonicNanos()
        plan.metrics.recordInput(rows: batch.rowCount)
        var columns: [Column] = []
        for expression in plan.bound { columns.append(try expression.evaluate(batch)) }
        let output = RecordBatch(unchecked: plan.schema, columns: columns, rowCount: batch.rowCount)
        plan.metrics.addTime(since: start)
        plan.metrics.recordOutput(rows: output.rowCount, bytes: output.byteSize)
        return output
    }
}
