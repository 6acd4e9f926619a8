public import SluiceCore

/// A lazy, immutable query: each method returns a new `DataFrame` with one more step, and
/// nothing is read until an action (`collect`, `forEachBatch`) runs it.
///
/// ```swift
/// let result = try DataFrame(source)
///     .filter(col("unitsSold").gt(0))
///     .groupBy("custId", "productSold").agg(Agg.sum(col("unitsSold")).as("units"))
///     .groupBy("custId").agg(Agg.argMax(col("productSold"), by: col("units")).as("favourite"))
///     .sort(.asc("custId"))
///     .collect(runtime: ExecutionRuntime())
/// ```
public struct DataFrame: Sendable {
    public let plan: LogicalPlan

    public init(_ plan: LogicalPlan) {
        self.plan = plan
    }

    /// A frame that scans `source`.
    public init(_ source: any TableSource) {
        self.plan = .scan(source, projection: nil)
    }

    public func schema() throws(SluiceError) -> Schema { try plan.schema() }

    public func filter(_ predicate: Expr) -> DataFrame { DataFrame(.filter(predicate, plan)) }

    public func select(_ expressions: [Expr]) -> DataFrame { DataFrame(.project(expressions, plan)) }
    public func select(_ expressions: Expr...) -> DataFrame { select(expressions) }
    public func select(columns: String...) -> DataFrame { select(columns.map(Expr.column)) }

    /// Adds a column, or replaces the one of the same name.
    public func withColumn(_ name: String, _ expression: Expr) -> DataFrame {
        DataFrame(.extend([expression.alias(name)], plan))
    }

    /// Groups by columns; finish with `agg`.
    public func groupBy(_ keys: String...) -> GroupedDataFrame { GroupedDataFrame(plan: plan, keys: keys.map(Expr.column)) }
    /// Groups by expressions (aliased to name the key columns).
    public func groupBy(_ keys: [Expr]) -> GroupedDataFrame { GroupedDataFrame(plan: plan, keys: keys) }

    /// A broadcast hash join: `other` (the smaller side) is gathered and indexed once.
    /// - Parameter duplicates: what a key on several rows of `other` does; `.allow` (SQL's
    ///   many-to-many join) by default. A dimension table's key should be unique: `.fail`,
    ///   `.first` or `.reject` check it, and keep one output row per input row, so rows can
    ///   still be rejected by line after the join.
    public func join(_ other: DataFrame, on keys: [JoinKey], type: JoinType = .inner, duplicates: DuplicateKeys = .allow) -> DataFrame {
        DataFrame(.join(plan, other.plan, on: keys, type: type, duplicates: duplicates))
    }

    /// A join on columns named the same on both sides.
    public func join(_ other: DataFrame, on columns: String..., type: JoinType = .inner, duplicates: DuplicateKeys = .allow) -> DataFrame {
        join(other, on: columns.map { JoinKey($0, $0) }, type: type, duplicates: duplicates)
    }

    /// Rejects the rows where `predicate` is true, with `kind` and a reason text (a string
    /// expression evaluated for each rejected row); the other rows pass on. The input must
    /// carry the source's ``Provenance`` columns, so each reject names its file and line and
    /// the file's counts stay exact (`read == passed + rejected`). `column` is the column the
    /// reject names, when one value is what is wrong.
    public func rejectWhen(_ predicate: Expr, kind: RejectKind, reason: Expr, column: String? = nil, raw: Expr? = nil) -> DataFrame {
        DataFrame(.reject(RejectRule(predicate, kind: kind, reason: reason, column: column, raw: raw), plan))
    }

    /// `rejectWhen` with a fixed reason.
    public func rejectWhen(_ predicate: Expr, kind: RejectKind, reason: String, column: String? = nil) -> DataFrame {
        rejectWhen(predicate, kind: kind, reason: lit(reason), column: column)
    }

    /// Adds figures up over the rows flowing past (read from ``ExecutionRuntime/observations``
    /// when the run is over); the rows pass on unchanged.
    public func observe(_ observations: Observation...) -> DataFrame {
        DataFrame(.observe(observations, plan))
    }

    /// ``observe(_:)-(Observation...)`` with the figures as an array (one per input file, say).
    public func observe(_ observations: [Observation]) -> DataFrame {
        DataFrame(.observe(observations, plan))
    }

    /// One row per element of the list column `column`, the element in its place and the
    /// other columns repeated; a null or empty list gives no row (Spark's `explode`).
    public func explode(_ column: String) -> DataFrame { DataFrame(.explode(column, plan)) }

    public func sort(_ keys: SortKey...) -> DataFrame { DataFrame(.sort(keys, plan)) }
    public func sort(_ keys: [SortKey]) -> DataFrame { DataFrame(.sort(keys, plan)) }
    public func distinct() -> DataFrame { DataFrame(.distinct(plan)) }
    public func union(_ others: DataFrame...) -> DataFrame { DataFrame(.union([plan] + others.map(\.plan))) }

    /// The physical plan this frame runs under `config`.
    public func physicalPlan(config: ExecutionConfig) throws -> any ExecutionPlan {
        try PhysicalPlanner(config: config).plan(plan)
    }

    /// The stages, exchanges and operators this frame would run, as text.
    public func explain(config: ExecutionConfig) throws -> String {
        Explain.text(try physicalPlan(config: config))
    }

    /// Runs the job and hands every result batch to `body`, in order.
    public func forEachBatch(runtime: ExecutionRuntime, _ body: (RecordBatch) throws -> Void) throws {
        try JobRunner.run(try physicalPlan(config: runtime.config), runtime: runtime, consume: body)
    }

    /// Runs the job and returns all result batches.
    public func collect(runtime: ExecutionRuntime) throws -> [RecordBatch] {
        var batches: [RecordBatch] = []
        try forEachBatch(runtime: runtime) { batches.append($0) }
        return batches
    }

    /// Runs the job and returns the result as one batch.
    public func collectBatch(runtime: ExecutionRuntime) throws -> RecordBatch {
        let physical = try physicalPlan(config: runtime.config)
        var batches: [RecordBatch] = []
        try JobRunner.run(physical, runtime: runtime) { batches.append($0) }
        return batches.isEmpty ? .empty(physical.schema) : RecordBatch.concat(batches, schema: physical.schema)
    }
}

/// A ``DataFrame`` waiting for its aggregates.
public struct GroupedDataFrame: Sendable {
    let plan: LogicalPlan
    let keys: [Expr]

    public func agg(_ aggregates: AggregateExpr...) -> DataFrame { agg(aggregates) }
    public func agg(_ aggregates: [AggregateExpr]) -> DataFrame {
        DataFrame(.aggregate(keys: keys, aggregates: aggregates, plan))
    }
}
