import SluiceCore

/// Vectorised implementations of the operators: one tight loop per operator and layout.
enum Kernels {
    /// - Parameter overflowIsNull: an integer or decimal result that does not fit is null
    ///   (`tryMultiply`) rather than an error.
    static func arithmetic(
        _ op: BinaryOperator, _ a: Column, _ b: Column, operandType: DataType, result: DataType, overflowIsNull: Bool = false
    ) throws(SluiceError) -> Column {
        let validity = Column.bothValid(a, b)
        if operandType == .float64 {
            guard let x = a.doubleValues(), let y = b.doubleValues() else {
                throw SluiceError.internal("float arithmetic on \(a.type) and \(b.type)")
            }
            var out = [Double](repeating: 0, count: x.count)
            for row in 0..<x.count {
                switch op {
                case .add: out[row] = x[row] + y[row]
                case .subtract: out[row] = x[row] - y[row]
                case .multiply: out[row] = x[row] * y[row]
                case .divide: out[row] = x[row] / y[row]
                default: out[row] = x[row].truncatingRemainder(dividingBy: y[row])
                }
            }
            // Division by zero is null, as in SQL.
            var finalValidity = validity
            if op == .divide || op == .modulo, y.contains(0) {
                var bitmap = validity ?? ValidityBitmap(count: x.count, allValid: true)
                for row in 0..<y.count where y[row] == 0 { bitmap.set(row, valid: false) }
                finalValidity = bitmap
            }
            return Column(type: .float64, storage: .float64(out), validity: finalValidity)
        }
        guard let x = a.int64Values(), let y = b.int64Values() else {
            throw SluiceError.internal("integer arithmetic on \(a.type) and \(b.type)")
        }
        var out = [Int64](repeating: 0, count: x.count)
        var nullRows: [Int] = []
        for row in 0..<x.count {
            if let validity, !validity.isValid(row) { continue }
            let value: Int64
            let overflow: Bool
            switch op {
            case .add: (value, overflow) = x[row].addingReportingOverflow(y[row])
            case .subtract: (value, overflow) = x[row].subtractingReportingOverflow(y[row])
            case .multiply: (value, overflow) = x[row].multipliedReportingOverflow(by: y[row])
            default:
                if y[row] == 0 {
                    nullRows.append(row)
                    continue
                }
                (value, overflow) = x[row].remainderReportingOverflow(dividingBy: y[row])
            }
            if overflow, overflowIsNull {
                nullRows.append(row)
                continue
            }
            if overflow {
                throw SluiceError(.data, "integer overflow computing \(x[row]) \(op.rawValue) \(y[row])",
                                  hint: "use float64 or a wider decimal scale")
            }
            out[row] = value
        }
        var finalValidity = validity
        if !nullRows.isEmpty {
            var bitmap = validity ?? ValidityBitmap(count: x.count, allValid: true)
            for row in nullRows { bitmap.set(row, valid: false) }
            finalValidity = bitmap
        }
        if result == .date {
            return Column(type: .date, storage: .int32(out.map { Int32(truncatingIfNeeded: $0) }), validity: finalValidity)
        }
        return Column(type: result, storage: .int64(out), validity: finalValidity)
    }

    static func negate(_ column: Column) throws(SluiceError) -> Column {
        switch column.storage {
        case .float64(let values): return Column(type: column.type, storage: .float64(values.map { -$0 }), validity: column.validity)
        case .int64(let values):
            if values.contains(.min) { throw SluiceError(.data, "integer overflow negating \(Int64.min)") }
            return Column(type: column.type, storage: .int64(values.map { -$0 }), validity: column.validity)
        default: throw SluiceError.internal("negate on \(column.type)")
        }
    }

    static func compare(_ op: BinaryOperator, _ a: Column, _ b: Column) -> Column {
        let rows = a.count
        var out = [Bool](repeating: false, count: rows)
        @inline(__always) func decide(_ order: Int) -> Bool { Kernels.decide(op, order) }
        switch (a.storage, b.storage) {
        case (.int64(let x), .int64(let y)):
            for row in 0..<rows { out[row] = decide(x[row] < y[row] ? -1 : (x[row] == y[row] ? 0 : 1)) }
        case (.int32(let x), .int32(let y)):
            for row in 0..<rows { out[row] = decide(x[row] < y[row] ? -1 : (x[row] == y[row] ? 0 : 1)) }
        case (.float64(let x), .float64(let y)):
            for row in 0..<rows { out[row] = decide(x[row] < y[row] ? -1 : (x[row] == y[row] ? 0 : 1)) }
        case (.bool(let x), .bool(let y)):
            for row in 0..<rows { out[row] = decide(x[row] == y[row] ? 0 : (x[row] ? 1 : -1)) }
        case (.string(let x), .string(let y)):
            for row in 0..<rows {
                out[row] = decide(x.withBytes(at: row) { left in y.withBytes(at: row) { right in compareBytes(left, right) } })
            }
        default:
            for row in 0..<rows {
                let left = a.value(at: row).description, right = b.value(at: row).description
                out[row] = decide(left < right ? -1 : (left == right ? 0 : 1))
            }
        }
        return Column(type: .bool, storage: .bool(out), validity: Column.bothValid(a, b))
    }

    /// A column against a non-null constant of the same type.
    static func compare(_ op: BinaryOperator, _ a: Column, scalar: Value) -> Column {
        let rows = a.count
        var out = [Bool](repeating: false, count: rows)
        @inline(__always) func decide(_ order: Int) -> Bool { Kernels.decide(op, order) }
        switch (a.storage, scalar) {
        case (.string(let storage), .string(let text)):
            var constant = text
            constant.withUTF8 { key in
                storage.offsets.withUnsafeBufferPointer { offsets in
                    storage.bytes.withUnsafeBufferPointer { bytes in
                        for row in 0..<rows {
                            let value = UnsafeBufferPointer(rebasing: bytes[Int(offsets[row])..<Int(offsets[row + 1])])
                            if op == .equal || op == .notEqual {
                                let same = value.count == key.count && compareBytes(value, key) == 0
                                out[row] = (op == .equal) == same
                            } else {
                                out[row] = decide(compareBytes(value, key))
                            }
                        }
                    }
                }
            }
        case (.int64(let values), .int64(let v)), (.int64(let values), .decimal(let v, _)), (.int64(let values), .timestamp(let v)):
            for row in 0..<rows { out[row] = decide(values[row] < v ? -1 : (values[row] == v ? 0 : 1)) }
        case (.int32(let values), .date(let v)):
            for row in 0..<rows { out[row] = decide(values[row] < v ? -1 : (values[row] == v ? 0 : 1)) }
        case (.float64(let values), .float64(let v)):
            for row in 0..<rows { out[row] = decide(values[row] < v ? -1 : (values[row] == v ? 0 : 1)) }
        default:
            let repeated = (try? Column.repeating(scalar, type: a.type, count: rows)) ?? a
            return compare(op, a, repeated)
        }
        return Column(type: .bool, storage: .bool(out), validity: a.validity)
    }

    /// Whether a three-way order (negative, zero, positive) satisfies a comparison operator.
    @inline(__always)
    static func decide(_ op: BinaryOperator, _ order: Int) -> Bool {
        switch op {
        case .equal: order == 0
        case .notEqual: order != 0
        case .less: order < 0
        case .lessOrEqual: order <= 0
        case .greater: order > 0
        default: order >= 0
        }
    }

    /// Lexicographic byte order (UTF-8 byte order is code-point order).
    @inline(__always)
    static func compareBytes(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(left.count, right.count)
        for index in 0..<common where left[index] != right[index] {
            return left[index] < right[index] ? -1 : 1
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }

    /// SQL's three-valued AND / OR: `false AND null` is false, `true OR null` is true.
    static func logical(_ op: BinaryOperator, _ a: Column, _ b: Column) -> Column {
        guard case .bool(let x) = a.storage, case .bool(let y) = b.storage else {
            return Column(type: .bool, storage: .bool([]))
        }
        let rows = x.count
        var out = [Bool](repeating: false, count: rows)
        var validity: ValidityBitmap?
        if a.validity == nil && b.validity == nil {
            for row in 0..<rows { out[row] = op == .and ? (x[row] && y[row]) : (x[row] || y[row]) }
        } else {
            var bitmap = ValidityBitmap(count: rows, allValid: true)
            for row in 0..<rows {
                let left: Bool? = a.isNull(row) ? nil : x[row]
                let right: Bool? = b.isNull(row) ? nil : y[row]
                let value: Bool?
                if op == .and {
                    value = left == false || right == false ? false : (left == nil || right == nil ? nil : true)
                } else {
                    value = left == true || right == true ? true : (left == nil || right == nil ? nil : false)
                }
                out[row] = value ?? false
                if value == nil { bitmap.set(row, valid: false) }
            }
            validity = bitmap
        }
        return Column(type: .bool, storage: .bool(out), validity: validity)
    }

    static func not(_ column: Column) -> Column {
        guard case .bool(let values) = column.storage else { return column }
        return Column(type: .bool, storage: .bool(values.map { !$0 }), validity: column.validity)
    }

    static func firstNonNull(_ columns: [Column], type: DataType, rows: Int) -> Column {
        if let first = columns.first, first.validity == nil { return first }
        var builder = ColumnBuilder(type: type, capacity: rows)
        for row in 0..<rows {
            if let source = columns.first(where: { !$0.isNull(row) }) {
                builder.append(from: source, at: row)
            } else {
                builder.appendNull()
            }
        }
        return builder.finish()
    }

}
