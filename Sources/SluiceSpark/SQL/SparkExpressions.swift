public import SluiceCore
public import SluiceEngine

/// Compiles a bound expression (``BoundExpr``: names resolved, operand types and coercions
/// explicit) to Spark SQL with the same result for every row, the engine's null semantics
/// included: arithmetic is null in, null out; a division or remainder by zero is null
/// (`try_divide`, `try_mod`); integer and decimal overflow is an error, as ANSI mode makes it
/// in Spark; a cast that cannot convert a value gives null, exactly where the engine's does.
///
/// An expression with no faithful Spark form (the engine's own 64-bit `hash`) is a plan
/// error naming it, raised when the script is compiled, never a silent difference.
public struct SparkExpressions: Sendable {
    /// The input's column names, by index (``BoundExpr/column(_:_:)`` holds indices).
    public let columns: [String]
    /// Prefixes every column reference (`l.` in a join), or empty.
    public let qualifier: String

    public init(columns: [String], qualifier: String = "") {
        self.columns = columns
        self.qualifier = qualifier
    }

    /// Binds `expr` to `schema` and compiles it.
    public static func compile(_ expr: Expr, over schema: Schema) throws(SluiceError) -> String {
        try SparkExpressions(columns: schema.names).sql(try BoundExpr.bind(expr, to: schema))
    }

    /// The SQL text of `expr`, parenthesised where it combines others.
    public func sql(_ expr: BoundExpr) throws(SluiceError) -> String {
        switch expr {
        case .column(let index, _):
            guard index < columns.count else { throw SluiceError.internal("column \(index) of \(columns.count) in a Spark expression") }
            return qualifier + SparkSQL.identifier(columns[index])
        case .literal(let value, let type):
            return SparkSQL.literal(value, as: type)
        case .binary(let op, let left, let right, let operandType, let result):
            return try binary(op, left, right, operandType: operandType, result: result)
        case .unary(let op, let input, _):
            let inner = try sql(input)
            switch op {
            case .not: return "(NOT \(inner))"
            case .negate: return "(- \(inner))"
            case .isNull: return "(\(inner) IS NULL)"
            case .isNotNull: return "(\(inner) IS NOT NULL)"
            }
        case .coalesce(let inputs, _):
            var parts: [String] = []
            for input in inputs { parts.append(try sql(input)) }
            return "coalesce(\(parts.joined(separator: ", ")))"
        case .caseWhen(let branches, let otherwise, _):
            var text = "CASE"
            for branch in branches { text += " WHEN \(try sql(branch.condition)) THEN \(try sql(branch.value))" }
            if let otherwise { text += " ELSE \(try sql(otherwise))" }
            return text + " END"
        case .cast(let input, let type):
            return try SparkCasts.cast(try sql(input), from: input.type, to: type)
        case .call(let function, let arguments, let type):
            var compiled: [String] = []
            for argument in arguments { compiled.append(try sql(argument)) }
            return try SparkFunctions.call(function, compiled, argumentTypes: arguments.map(\.type), result: type)
        }
    }

    private func binary(_ op: BinaryOperator, _ left: BoundExpr, _ right: BoundExpr, operandType: DataType, result: DataType)
        throws(SluiceError) -> String
    {
        let l = try sql(left), r = try sql(right)
        switch op {
        case .and: return "(\(l) AND \(r))"
        case .or: return "(\(l) OR \(r))"
        case .equal: return "(\(l) = \(r))"
        case .notEqual: return "(\(l) <> \(r))"
        case .less: return "(\(l) < \(r))"
        case .lessOrEqual: return "(\(l) <= \(r))"
        case .greater: return "(\(l) > \(r))"
        case .greaterOrEqual: return "(\(l) >= \(r))"
        case .add, .subtract:
            if operandType == .date {
                // A date plus or minus whole days; the engine's day counts are 32-bit.
                return "\(op == .add ? "date_add" : "date_sub")(\(l), CAST(\(r) AS INT))"
            }
            return exact("(\(l) \(op.rawValue) \(r))", result)
        case .multiply: return exact("(\(l) * \(r))", result)
        case .divide: return "try_divide(\(l), \(r))"
        case .modulo: return exact("try_mod(\(l), \(r))", result)
        }
    }

    /// Decimal results are cast back to the engine's decimal type (Spark widens them): the
    /// values are the same, and a value past that type is an error in both engines.
    private func exact(_ text: String, _ type: DataType) -> String {
        if case .decimal = type { return "CAST(\(text) AS \(SparkSQL.type(type)))" }
        return text
    }
}
