public import SluiceCore

/// An expression resolved against a schema: column names became indices, every node knows
/// its result type, and operands of mixed types carry the type they are compared or
/// computed in. Bound once per plan; evaluated once per batch.
public indirect enum BoundExpr: Sendable {
    case column(Int, DataType)
    case literal(Value, DataType)
    /// `operandType` is the common type both sides are converted to before the operation.
    case binary(BinaryOperator, BoundExpr, BoundExpr, operandType: DataType, result: DataType)
    case unary(UnaryOperator, BoundExpr, result: DataType)
    case coalesce([BoundExpr], DataType)
    case caseWhen([BoundBranch], otherwise: BoundExpr?, DataType)
    case cast(BoundExpr, to: DataType)
    case call(BoundFunction, [BoundExpr], DataType)

    /// The type of the column `evaluate` returns.
    public var type: DataType {
        switch self {
        case .column(_, let type), .literal(_, let type): type
        case .binary(_, _, _, _, let result), .unary(_, _, let result): result
        case .coalesce(_, let type), .caseWhen(_, _, let type), .call(_, _, let type): type
        case .cast(_, let type): type
        }
    }

    /// Resolves `expr` against `schema`, checking types.
    /// - Throws: a plan error naming the unknown column or the mismatched types.
    public static func bind(_ expr: Expr, to schema: Schema) throws(SluiceError) -> BoundExpr {
        switch expr {
        case .column(let name):
            let index = try schema.requireIndex(of: name)
            return .column(index, schema[index].type)
        case .literal(let value):
            return .literal(value, value.dataType ?? .int64)
        case .alias(let input, _):
            return try bind(input, to: schema)
        case .binary(let op, let left, let right):
            return try bindBinary(op, try bind(left, to: schema), try bind(right, to: schema))
        case .unary(let op, let input):
            let bound = try bind(input, to: schema)
            switch op {
            case .not:
                guard bound.type == .bool else { throw SluiceError.plan("NOT needs a bool, got \(bound.type) in \(expr)") }
                return .unary(.not, bound, result: .bool)
            case .negate:
                guard bound.type.isNumeric else { throw SluiceError.plan("cannot negate \(bound.type) in \(expr)") }
                return .unary(.negate, bound, result: bound.type)
            case .isNull, .isNotNull:
                return .unary(op, bound, result: .bool)
            }
        case .coalesce(let inputs):
            guard !inputs.isEmpty else { throw SluiceError.plan("coalesce needs at least one argument") }
            var bound: [BoundExpr] = []
            for input in inputs { bound.append(try bind(input, to: schema)) }
            let type = try commonType(bound.map(\.type), context: expr.description)
            return .coalesce(try bound.map { (e) throws(SluiceError) in try coerce(e, to: type) }, type)
        case .caseWhen(let branches, let otherwise):
            var conditions: [BoundExpr] = []
            var values: [BoundExpr] = []
            for branch in branches {
                let condition = try bind(branch.condition, to: schema)
                guard condition.type == .bool else {
                    throw SluiceError.plan("CASE WHEN condition must be bool, got \(condition.type): \(branch.condition)")
                }
                conditions.append(condition)
                values.append(try bind(branch.value, to: schema))
            }
            let fallback = try otherwise.map { (e) throws(SluiceError) in try bind(e, to: schema) }
            let type = try commonType(values.map(\.type) + (fallback.map { [$0.type] } ?? []), context: expr.description)
            var bound: [BoundBranch] = []
            for (condition, value) in zip(conditions, values) {
                bound.append(BoundBranch(condition: condition, value: try coerce(value, to: type)))
            }
            return .caseWhen(bound, otherwise: try fallback.map { (e) throws(SluiceError) in try coerce(e, to: type) }, type)
        case .cast(let input, let type):
            let bound = try bind(input, to: schema)
            return bound.type == type ? bound : .cast(bound, to: type)
        case .call(let function, let arguments):
            var bound: [BoundExpr] = []
            for argument in arguments { bound.append(try bind(argument, to: schema)) }
            return try BoundFunction.bind(function, bound, context: expr.description)
        }
    }

    static func bindBinary(_ op: BinaryOperator, _ left: BoundExpr, _ right: BoundExpr) throws(SluiceError) -> BoundExpr {
        let description = "\(op.rawValue) between \(left.type) and \(right.type)"
        switch op {
        case .and, .or:
            guard left.type == .bool, right.type == .bool else { throw SluiceError.plan("\(op.rawValue) needs bools, got \(description)") }
            return .binary(op, left, right, operandType: .bool, result: .bool)
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            let common = try commonType([left.type, right.type], context: description)
            return .binary(op, try coerce(left, to: common), try coerce(right, to: common), operandType: common, result: .bool)
        case .add, .subtract, .multiply, .divide, .modulo:
            if case .date = left.type, right.type == .int64, op == .add || op == .subtract {
                return .binary(op, left, right, operandType: .date, result: .date)
            }
            guard left.type.isNumeric, right.type.isNumeric else { throw SluiceError.plan("cannot compute \(description)") }
            if op == .divide {
                return .binary(op, try coerce(left, to: .float64), try coerce(right, to: .float64), operandType: .float64, result: .float64)
            }
            let common = try commonType([left.type, right.type], context: description)
            var result = common
            if op == .multiply, case .decimal = common {
                let scale = left.type.scale + right.type.scale
                guard scale <= 18 else { throw SluiceError.plan("decimal product scale \(scale) exceeds 18 in \(description)") }
                result = .decimal(precision: 18, scale: scale)
                // Operands keep their own scales; the product's scale is their sum.
                return .binary(op, left, right, operandType: common, result: result)
            }
            if case .decimal = common { result = .decimal(precision: 18, scale: common.scale) }
            return .binary(op, try coerce(left, to: common), try coerce(right, to: common), operandType: common, result: result)
        }
    }

    /// The type values of all `types` convert to without loss, or a plan error.
    static func commonType(_ types: [DataType], context: String) throws(SluiceError) -> DataType {
        guard var common = types.first else { return .int64 }
        for type in types.dropFirst() where type != common {
            switch (common, type) {
            case (.int64, .float64), (.float64, .int64): common = .float64
            case (.decimal, .float64), (.float64, .decimal): common = .float64
            case (.int64, .decimal(_, let scale)), (.decimal(_, let scale), .int64):
                common = .decimal(precision: 18, scale: scale)
            case (.decimal(_, let a), .decimal(_, let b)): common = .decimal(precision: 18, scale: max(a, b))
            case (.date, .timestamp), (.timestamp, .date): common = .timestamp
            case (.string, .date), (.date, .string): common = .date
            case (.string, .timestamp), (.timestamp, .string): common = .timestamp
            default:
                throw SluiceError.plan("incompatible types \(common) and \(type) in \(context)")
            }
        }
        return common
    }

    /// `expr` converted to `type` (a no-op when it already has it). String literals compared
    /// with dates are parsed once here rather than per row.
    static func coerce(_ expr: BoundExpr, to type: DataType) throws(SluiceError) -> BoundExpr {
        if expr.type == type { return expr }
        if case .literal(let value, _) = expr {
            let converted = try Cast.castValue(value, to: type)
            if !value.isNull, converted.isNull {
                throw SluiceError.plan("literal \(value) cannot be read as \(type)")
            }
            return .literal(converted, type)
        }
        return .cast(expr, to: type)
    }
}

/// One bound `WHEN … THEN …` branch.
public struct BoundBranch: Sendable {
    public var condition: BoundExpr
    public var value: BoundExpr
}
