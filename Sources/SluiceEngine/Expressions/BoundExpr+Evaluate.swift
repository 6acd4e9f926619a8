public import SluiceCore

extension BoundExpr {
    /// Evaluates the expression over every row of `batch`, a column at a time.
    /// - Throws: a data error on integer overflow; plan errors are caught at bind time.
    public func evaluate(_ batch: RecordBatch) throws(SluiceError) -> Column {
        switch self {
        case .column(let index, _):
            return batch.columns[index]
        case .literal(let value, let type):
            return try Column.repeating(value, type: type, count: batch.rowCount)
        case .binary(let op, let left, let right, let operandType, let result):
            if op == .and || op == .or {
                return Kernels.logical(op, try left.evaluate(batch), try right.evaluate(batch))
            }
            if op.isComparison, case .literal(let value, _) = right, !value.isNull {
                // Column against a constant: compared in place, no column of copies built.
                return Kernels.compare(op, try left.evaluate(batch), scalar: value)
            }
            let a = try left.evaluate(batch)
            let b = try right.evaluate(batch)
            if op.isComparison { return Kernels.compare(op, a, b) }
            return try Kernels.arithmetic(op, a, b, operandType: operandType, result: result)
        case .unary(let op, let input, _):
            let column = try input.evaluate(batch)
            switch op {
            case .not: return Kernels.not(column)
            case .negate: return try Kernels.negate(column)
            case .isNull: return .bool((0..<column.count).map { column.isNull($0) })
            case .isNotNull: return .bool((0..<column.count).map { !column.isNull($0) })
            }
        case .coalesce(let inputs, let type):
            var columns: [Column] = []
            for input in inputs { columns.append(try input.evaluate(batch)) }
            return Kernels.firstNonNull(columns, type: type, rows: batch.rowCount)
        case .caseWhen(let branches, let otherwise, let type):
            return try Kernels.caseWhen(branches, otherwise: otherwise, type: type, batch: batch)
        case .cast(let input, let type):
            return try Cast.cast(try input.evaluate(batch), to: type)
        case .call(let function, let arguments, let type):
            var columns: [Column] = []
            for argument in arguments { columns.append(try argument.evaluate(batch)) }
            return try function.evaluate(columns, type: type, rows: batch.rowCount)
        }
    }

    /// Evaluates a boolean predicate into the indices of the rows where it is true
    /// (null counts as false), the selection a filter keeps.
    public func selectedRows(_ batch: RecordBatch) throws(SluiceError) -> [Int32] {
        let column = try evaluate(batch)
        guard case .bool(let values) = column.storage else {
            throw SluiceError.internal("predicate produced \(column.type)")
        }
        var selected: [Int32] = []
        selected.reserveCapacity(values.count)
        for row in 0..<values.count where values[row] && !column.isNull(row) {
            selected.append(Int32(row))
        }
        return selected
    }
}

extension Column {
    /// `count` copies of one value.
    public static func repeating(_ value: Value, type: DataType, count: Int) throws(SluiceError) -> Column {
        if value.isNull {
            var column = Column(type: type, storage: ColumnBuilder(type: type).finish().storage)
            var builder = ColumnBuilder(type: type, capacity: count)
            for _ in 0..<count { builder.appendNull() }
            column = builder.finish()
            return column
        }
        switch (type, value) {
        case (.int64, .int64(let v)), (.timestamp, .timestamp(let v)), (.decimal, .decimal(let v, _)):
            return Column(type: type, storage: .int64(Array(repeating: v, count: count)))
        case (.float64, .float64(let v)):
            return Column(type: type, storage: .float64(Array(repeating: v, count: count)))
        case (.date, .date(let v)):
            return Column(type: type, storage: .int32(Array(repeating: v, count: count)))
        case (.bool, .bool(let v)):
            return Column(type: type, storage: .bool(Array(repeating: v, count: count)))
        default:
            var builder = ColumnBuilder(type: type, capacity: count)
            for _ in 0..<count { try builder.append(value) }
            return builder.finish()
        }
    }

    /// The validity of rows valid in both columns.
    static func bothValid(_ a: Column, _ b: Column) -> ValidityBitmap? {
        switch (a.validity, b.validity) {
        case (nil, nil): return nil
        case (let only?, nil), (nil, let only?): return only
        case (let x?, let y?):
            return ValidityBitmap((0..<a.count).lazy.map { x.isValid($0) && y.isValid($0) })
        }
    }

    /// The values of an Int64-layout column (int64, decimal, timestamp) or a date column
    /// widened to Int64.
    func int64Values() -> [Int64]? {
        switch storage {
        case .int64(let values): values
        case .int32(let values): values.map(Int64.init)
        default: nil
        }
    }

    /// The values as doubles, decimals divided by their scale.
    func doubleValues() -> [Double]? {
        switch storage {
        case .float64(let values): return values
        case .int64(let values):
            let divisor = Double(DecimalMath.powersOfTen[type.scale])
            return type.scale == 0 ? values.map(Double.init) : values.map { Double($0) / divisor }
        case .int32(let values): return values.map(Double.init)
        default: return nil
        }
    }
}
