/// One scalar value of any ``DataType``: literals in expressions, and rows read back in tests
/// and small outputs. Hot paths never go through `Value`; they read column buffers.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case int64(Int64)
    case float64(Double)
    /// A scaled decimal: `unscaled / 10^scale`.
    case decimal(Int64, scale: Int)
    case bool(Bool)
    case string(String)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Microseconds since the epoch, UTC.
    case timestamp(Int64)
    case list([Value])

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The natural type of this value; nil for `null`, whose type comes from context.
    public var dataType: DataType? {
        switch self {
        case .null: nil
        case .int64: .int64
        case .float64: .float64
        case .decimal(_, let scale): .decimal(precision: 18, scale: scale)
        case .bool: .bool
        case .string: .string
        case .date: .date
        case .timestamp: .timestamp
        case .list(let values): .list(values.lazy.compactMap(\.dataType).first ?? .int64)
        }
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .int64(let value): String(value)
        case .float64(let value): String(value)
        case .decimal(let value, let scale): DecimalMath.format(value, scale: scale)
        case .bool(let value): String(value)
        case .string(let value): value
        case .date(let days): DateEncoding.formatDate(days)
        case .timestamp(let micros): DateEncoding.formatTimestamp(micros)
        case .list(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
