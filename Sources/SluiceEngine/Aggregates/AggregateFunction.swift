public import SluiceCore

/// An aggregate function: the recipe for a per-group accumulator, and the types of its
/// partial state and final result.
///
/// Every aggregate is two-phase. A map task `update`s accumulators with raw rows and emits
/// their partial *state* as ordinary columns; the shuffle moves those columns; a reduce task
/// `merge`s states and `finish`es. State columns are plain types (lists included), so they
/// can be spilled and shuffled like any other data.
public protocol AggregateFunction: Sendable {
    var name: String { get }
    /// The type of the final value for arguments of `inputs` types.
    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType
    /// The types of the partial-state columns.
    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType]
    /// A fresh accumulator for every group of one operator instance.
    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator
    /// True when the result does not depend on the order rows arrive in, so a sort below the
    /// aggregate can be dropped (``SortElimination``). False unless a function says otherwise.
    var ignoresInputOrder: Bool { get }
}

extension AggregateFunction {
    public var ignoresInputOrder: Bool { false }
}

/// The running state of one aggregate for *all* groups of one hash-aggregate instance,
/// updated a batch at a time: `groups[i]` is the dense group index of row `i`.
///
/// Vectorised on purpose (the shape of DataFusion's `GroupsAccumulator`): one virtual call
/// per batch, a tight loop per row, no per-group objects.
public protocol GroupsAccumulator: AnyObject {
    /// Folds raw argument rows into their groups. `groupCount` is the number of groups so
    /// far (new groups have indices ≥ the previous count).
    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError)
    /// Folds partial-state rows (as emitted by `state()`) into their groups.
    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError)
    /// The partial state of every group, in group order.
    func state() throws(SluiceError) -> [Column]
    /// The final value of every group, in group order.
    func finish() throws(SluiceError) -> Column
    /// Bytes held, for the memory budget.
    var byteSize: Int { get }
    /// The partial state of `rows` raw rows, each its own group, made straight from the
    /// argument columns: the map side's pass-through when grouping does not reduce the rows
    /// (see ``HashAggregateStream``). Nil when there is no direct form; the caller then
    /// folds the rows into fresh groups one each. Does not touch the accumulator's groups.
    func singleRowStates(_ inputs: [Column], rows: Int) throws(SluiceError) -> [Column]?
    /// Makes room up front for about `groups` groups fed `rows` rows, when the caller knows
    /// (a shuffle bucket's merge), so the state is not copied again and again as it grows.
    func reserve(groups: Int, rows: Int)
}

extension GroupsAccumulator {
    public func singleRowStates(_ inputs: [Column], rows: Int) throws(SluiceError) -> [Column]? { nil }
    public func reserve(groups: Int, rows: Int) {}
}

/// An aggregate call in a plan: a function, its argument expressions and its output name.
public struct AggregateExpr: Sendable, CustomStringConvertible {
    public var function: any AggregateFunction
    public var arguments: [Expr]
    public var name: String

    public init(_ function: any AggregateFunction, _ arguments: [Expr], name: String? = nil) {
        self.function = function
        self.arguments = arguments
        self.name = name ?? "\(function.name)(\(arguments.map(\.description).joined(separator: ", ")))"
    }

    /// The same aggregate with another output name.
    public func `as`(_ name: String) -> AggregateExpr {
        AggregateExpr(function, arguments, name: name)
    }

    public var description: String {
        let call = "\(function.name)(\(arguments.map(\.description).joined(separator: ", ")))"
        return call == name ? call : "\(call) AS \(name)"
    }
}

/// Constructors for the built-in aggregates.
///
/// ```swift
/// df.groupBy("custId").agg(
///     Agg.argMax(col("productSold"), by: col("units")).as("favourite_product"),
///     Agg.longestConsecutiveDays(col("days")).as("longest_streak")
/// )
/// ```
public enum Agg {
    /// The number of rows.
    public static func count() -> AggregateExpr { AggregateExpr(CountFunction(star: true), [], name: "count") }
    /// The number of non-null values.
    public static func count(_ expr: Expr) -> AggregateExpr { AggregateExpr(CountFunction(star: false), [expr]) }
    /// The number of distinct non-null values.
    public static func countDistinct(_ expr: Expr) -> AggregateExpr { AggregateExpr(DistinctFunction(mode: .count), [expr]) }
    /// The sorted distinct non-null values, as a list (Spark's `collect_set`, sorted).
    public static func collectSet(_ expr: Expr) -> AggregateExpr { AggregateExpr(DistinctFunction(mode: .collect), [expr]) }
    /// The exact sum: decimals and integers never go through floating point, and add up in
    /// 128 bits, so a running total may pass the 64-bit range; a group whose final total does
    /// not fit the (64-bit) result is a data error naming the group (see `SumFunction`).
    public static func sum(_ expr: Expr) -> AggregateExpr { AggregateExpr(SumFunction(), [expr]) }
    public static func min(_ expr: Expr) -> AggregateExpr { AggregateExpr(MinMaxFunction(isMax: false), [expr]) }
    public static func max(_ expr: Expr) -> AggregateExpr { AggregateExpr(MinMaxFunction(isMax: true), [expr]) }
    /// The mean: float64 for numbers, decimal (same scale, rounded) for decimals.
    public static func avg(_ expr: Expr) -> AggregateExpr { AggregateExpr(AvgFunction(), [expr]) }
    /// The value of `value` on the row with the greatest `by`; ties go to the smallest value.
    public static func argMax(_ value: Expr, by: Expr) -> AggregateExpr {
        AggregateExpr(ArgExtremeFunction(isMax: true), [value, by])
    }
    /// The value of `value` on the row with the least `by`; ties go to the smallest value.
    public static func argMin(_ value: Expr, by: Expr) -> AggregateExpr {
        AggregateExpr(ArgExtremeFunction(isMax: false), [value, by])
    }
    /// The value of `value` on the row whose `by` columns are greatest, compared in order (the
    /// first that differs decides: the latest time, then the later file, then the later line);
    /// ties go to the smallest value.
    public static func argMax(_ value: Expr, by: [Expr]) -> AggregateExpr {
        AggregateExpr(ArgExtremeFunction(isMax: true), [value] + by)
    }
    /// The longest run of consecutive calendar days among the dates (a date column, or a
    /// list of dates such as `collectSet`'s output).
    public static func longestConsecutiveDays(_ expr: Expr) -> AggregateExpr {
        AggregateExpr(DistinctFunction(mode: .longestRun), [expr])
    }
    /// A user-defined aggregate.
    public static func udaf<U: UserDefinedAggregate>(_ aggregate: U, _ arguments: Expr...) -> AggregateExpr {
        AggregateExpr(UserAggregateFunction(aggregate), arguments)
    }
}
