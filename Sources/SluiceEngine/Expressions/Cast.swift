import SluiceCore

/// Type conversions. A value that cannot be converted becomes null (like Spark's `cast`
/// and DuckDB's `TRY_CAST`); jobs that must not lose values validate before casting.
enum Cast {
    static func cast(_ column: Column, to type: DataType) throws(SluiceError) -> Column {
        if column.type == type { return column }
        switch (column.storage, type) {
        case (.int64(let values), .float64) where column.type.scale == 0:
            return Column(type: type, storage: .float64(values.map(Double.init)), validity: column.validity)
        case (.int64(let values), .decimal(_, let scale)) where column.type.scale <= scale:
            let factor = DecimalMath.powersOfTen[scale - column.type.scale]
            var builder = ColumnBuilder(type: type, capacity: values.count)
            for row in 0..<values.count {
                let (scaled, overflow) = values[row].multipliedReportingOverflow(by: factor)
                if column.isNull(row) || overflow { builder.appendNull() } else { builder.append(int64: scaled) }
            }
            return builder.finish()
        case (.int32(let values), .timestamp):
            return Column(type: type, storage: .int64(values.map { Int64($0) * DateEncoding.microsPerDay }), validity: column.validity)
        case (.string(let storage), _):
            return fromString(storage, column: column, to: type)
        default:
            var builder = ColumnBuilder(type: type, capacity: column.count)
            for row in 0..<column.count {
                let converted = try castValue(column.value(at: row), to: type)
                try builder.append(converted)
            }
            return builder.finish()
        }
    }

    private static func fromString(_ storage: StringStorage, column: Column, to type: DataType) -> Column {
        var builder = ColumnBuilder(type: type, capacity: column.count)
        for row in 0..<column.count {
            if column.isNull(row) {
                builder.appendNull()
                continue
            }
            storage.withBytes(at: row) { bytes in
                switch type {
                case .int64:
                    if let value = DecimalMath.parse(bytes, scale: 0), !bytes.contains(UInt8(ascii: ".")) {
                        builder.append(int64: value)
                    } else { builder.appendNull() }
                case .decimal(_, let scale):
                    if let value = DecimalMath.parse(bytes, scale: scale) { builder.append(int64: value) } else { builder.appendNull() }
                case .date:
                    if let value = DateEncoding.parseISODate(bytes) { builder.append(date: value) } else { builder.appendNull() }
                case .timestamp:
                    if let value = DateTimeFormat.isoTimestamp.parseTimestamp(bytes) {
                        builder.append(int64: value)
                    } else if let day = DateEncoding.parseISODate(bytes) {
                        builder.append(int64: Int64(day) * DateEncoding.microsPerDay)
                    } else { builder.appendNull() }
                default:
                    let value = (try? castValue(.string(String(decoding: bytes, as: UTF8.self)), to: type)) ?? .null
                    if (try? builder.append(value)) == nil { builder.appendNull() }
                }
            }
        }
        return builder.finish()
    }

    /// Converts one value; null when the conversion is impossible for this value.
    static func castValue(_ value: Value, to type: DataType) throws(SluiceError) -> Value {
        switch (value, type) {
        case (.null, _): return .null
        case (.int64(let v), .int64): return .int64(v)
        case (.int64(let v), .float64): return .float64(Double(v))
        case (.int64(let v), .decimal(_, let scale)): return DecimalMath.rescale(v, from: 0, to: scale).map { .decimal($0, scale: scale) } ?? .null
        case (.int64(let v), .bool): return .bool(v != 0)
        case (.int64(let v), .timestamp): return .timestamp(v)
        case (.float64(let v), .int64): return v.isFinite && abs(v) < 9.2e18 ? .int64(Int64(v)) : .null
        case (.float64(let v), .decimal(_, let scale)):
            let scaled = (v * Double(DecimalMath.powersOfTen[scale])).rounded()
            return scaled.isFinite && abs(scaled) < 9.2e18 ? .decimal(Int64(scaled), scale: scale) : .null
        case (.decimal(let v, let from), .decimal(_, let to)): return DecimalMath.rescale(v, from: from, to: to).map { .decimal($0, scale: to) } ?? .null
        case (.decimal(let v, let scale), .float64): return .float64(Double(v) / Double(DecimalMath.powersOfTen[scale]))
        case (.decimal(let v, let scale), .int64): return .int64(v / DecimalMath.powersOfTen[scale])
        case (.date(let d), .timestamp): return .timestamp(Int64(d) * DateEncoding.microsPerDay)
        case (.timestamp(let t), .date):
            let days = t >= 0 ? t / DateEncoding.microsPerDay : (t - DateEncoding.microsPerDay + 1) / DateEncoding.microsPerDay
            return Int32(exactly: days).map(Value.date) ?? .null
        case (.bool(let b), .int64): return .int64(b ? 1 : 0)
        case (.string(let text), .bool):
            switch text.lowercased() {
            case "true", "t", "yes", "y", "1": return .bool(true)
            case "false", "f", "no", "n", "0": return .bool(false)
            default: return .null
            }
        case (.string(let text), .float64): return Double(text).map(Value.float64) ?? .null
        case (.string(let text), .int64): return Int64(text).map(Value.int64) ?? .null
        case (.string(let text), .decimal(_, let scale)): return DecimalMath.parse(text, scale: scale).map { .decimal($0, scale: scale) } ?? .null
        case (.string(let text), .date): return DateEncoding.parseDate(text).map(Value.date) ?? .null
        case (.string(let text), .timestamp):
            if let micros = DateTimeFormat.isoTimestamp.parseTimestamp(text) { return .timestamp(micros) }
            return DateEncoding.parseDate(text).map { .timestamp(Int64($0) * DateEncoding.microsPerDay) } ?? .null
        case (_, .string): return .string(value.description)
        case (.float64(let v), .float64): return .float64(v)
        case (.bool(let v), .bool): return .bool(v)
        case (.date(let v), .date): return .date(v)
        case (.timestamp(let v), .timestamp): return .timestamp(v)
        default:
            throw SluiceError.plan("cannot cast \(value.dataType.map(\.description) ?? "null") to \(type)")
        }
    }
}
