public import SluiceCore

/// A scalar expression over the columns of a row, in the logical plan. Expressions are
/// evaluated a batch at a time once bound to a schema (see ``BoundExpr``).
///
/// ```swift
/// col("quantity") * col("price")
/// col("quantity").gt(0).and(col("currency").isIn(["EUR", "USD"]))
/// col("ts").parseTimestamp(["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M %p", "epoch"])
/// ```
public indirect enum Expr: Sendable, Hashable, CustomStringConvertible {
    case column(String)
    case literal(Value)
    case binary(BinaryOperator, Expr, Expr)
    case unary(UnaryOperator, Expr)
    /// The first non-null argument.
    case coalesce([Expr])
    /// `CASE WHEN c1 THEN v1 … ELSE otherwise END`.
    case caseWhen([WhenThen], otherwise: Expr?)
    case cast(Expr, DataType)
    case call(ScalarFunction, [Expr])
    /// Names the result of an expression (the output column's name).
    case alias(Expr, String)

    /// The name an output column gets when the expression is not aliased.
    public var outputName: String {
        switch self {
        case .column(let name): name
        case .alias(_, let name): name
        default: description
        }
    }

    public var description: String {
        switch self {
        case .column(let name): name
        case .literal(let value):
            if case .string(let text) = value { "'\(text)'" } else { value.description }
        case .binary(let op, let left, let right): "(\(left) \(op.rawValue) \(right))"
        case .unary(let op, let input): "\(op.rawValue)(\(input))"
        case .coalesce(let inputs): "coalesce(\(inputs.map(\.description).joined(separator: ", ")))"
        case .caseWhen(let branches, let otherwise):
            "case " + branches.map { "when \($0.condition) then \($0.value)" }.joined(separator: " ")
                + (otherwise.map { " else \($0)" } ?? "") + " end"
        case .cast(let input, let type): "cast(\(input) as \(type))"
        case .call(let function, let arguments):
            "\(function.name)(\(arguments.map(\.description).joined(separator: ", "))\(function.constantArguments))"
        case .alias(let input, let name): "\(input) AS \(name)"
        }
    }

    /// The columns this expression reads.
    public var referencedColumns: Set<String> {
        switch self {
        case .column(let name): [name]
        case .literal: []
        case .binary(_, let left, let right): left.referencedColumns.union(right.referencedColumns)
        case .unary(_, let input), .cast(let input, _), .alias(let input, _): input.referencedColumns
        case .coalesce(let inputs), .call(_, let inputs):
            inputs.reduce(into: Set<String>()) { $0.formUnion($1.referencedColumns) }
        case .caseWhen(let branches, let otherwise):
            branches.reduce(into: otherwise?.referencedColumns ?? []) {
                $0.formUnion($1.condition.referencedColumns)
                $0.formUnion($1.value.referencedColumns)
            }
        }
    }
}

/// One `WHEN condition THEN value` branch of a ``Expr/caseWhen(_:otherwise:)``.
public struct WhenThen: Sendable, Hashable {
    public var condition: Expr
    public var value: Expr

    public init(_ condition: Expr, _ value: Expr) {
        self.condition = condition
        self.value = value
    }
}

/// Operators with two operands. Arithmetic follows SQL: null in, null out; division by zero
/// is null; integer overflow is an error.
public enum BinaryOperator: String, Sendable, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case and = "AND", or = "OR"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: true
        default: false
        }
    }

    var isArithmetic: Bool {
        switch self {
        case .add, .subtract, .multiply, .divide, .modulo: true
        default: false
        }
    }
}

/// Operators with one operand.
public enum UnaryOperator: String, Sendable, Hashable {
    case not = "NOT", negate = "-", isNull = "isNull", isNotNull = "isNotNull"
}

/// Creates a column reference.
public func col(_ name: String) -> Expr { .column(name) }

/// Creates a literal.
public func lit(_ value: Value) -> Expr { .literal(value) }
public func lit(_ value: Int) -> Expr { .literal(.int64(Int64(value))) }
public func lit(_ value: Double) -> Expr { .literal(.float64(value)) }
public func lit(_ value: String) -> Expr { .literal(.string(value)) }
public func lit(_ value: Bool) -> Expr { .literal(.bool(value)) }

extension Expr: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(integerLiteral value: Int64) { self = .literal(.int64(value)) }
    public init(floatLiteral value: Double) { self = .literal(.float64(value)) }
    public init(booleanLiteral value: Bool) { self = .literal(.bool(value)) }
}

extension Expr {
    public static func + (left: Expr, right: Expr) -> Expr { .binary(.add, left, right) }
    public static func - (left: Expr, right: Expr) -> Expr { .binary(.subtract, left, right) }
    public static func * (left: Expr, right: Expr) -> Expr { .binary(.multiply, left, right) }
    public static func / (left: Expr, right: Expr) -> Expr { .binary(.divide, left, right) }
    public static func % (left: Expr, right: Expr) -> Expr { .binary(.modulo, left, right) }
    public static prefix func - (input: Expr) -> Expr { .unary(.negate, input) }

    public func eq(_ other: Expr) -> Expr { .binary(.equal, self, other) }
    public func notEq(_ other: Expr) -> Expr { .binary(.notEqual, self, other) }
    public func lt(_ other: Expr) -> Expr { .binary(.less, self, other) }
    public func ltEq(_ other: Expr) -> Expr { .binary(.lessOrEqual, self, other) }
    public func gt(_ other: Expr) -> Expr { .binary(.greater, self, other) }
    public func gtEq(_ other: Expr) -> Expr { .binary(.greaterOrEqual, self, other) }
    public func and(_ other: Expr) -> Expr { .binary(.and, self, other) }
    public func or(_ other: Expr) -> Expr { .binary(.or, self, other) }
    public func not() -> Expr { .unary(.not, self) }
    public func isNull() -> Expr { .unary(.isNull, self) }
    public func isNotNull() -> Expr { .unary(.isNotNull, self) }
    public func cast(_ type: DataType) -> Expr { .cast(self, type) }
    public func alias(_ name: String) -> Expr { .alias(self, name) }

    /// True when the value equals one of `values` (a chain of equalities).
    public func isIn(_ values: [Value]) -> Expr {
        guard let first = values.first else { return .literal(.bool(false)) }
        return values.dropFirst().reduce(self.eq(.literal(first))) { $0.or(self.eq(.literal($1))) }
    }

    public func isIn(_ values: [String]) -> Expr { isIn(values.map(Value.string)) }
}

/// `coalesce(a, b, …)`: the first non-null argument.
public func coalesce(_ inputs: Expr...) -> Expr { .coalesce(inputs) }

/// `CASE WHEN … THEN … ELSE … END`.
public func when(_ branches: [WhenThen], otherwise: Expr? = nil) -> Expr {
    .caseWhen(branches, otherwise: otherwise)
}
