/// The logical type of a column. Every type can hold nulls.
///
/// Physical layout (see ``ColumnStorage``): `int64`, `decimal` and `timestamp` share an
/// Int64 buffer, `date` is Int32 days since 1970-01-01, `string` is offsets plus one byte
/// buffer, and `list` is offsets into a child column.
public indirect enum DataType: Sendable, Hashable, CustomStringConvertible {
    case int64
    case float64
    /// Exact decimal stored as an Int64 scaled by `10^scale`; money is summed exactly.
    case decimal(precision: Int, scale: Int)
    case bool
    /// UTF-8 text.
    case string
    /// Days since 1970-01-01 as Int32.
    case date
    /// Microseconds since the epoch, UTC, as Int64.
    case timestamp
    /// A variable-length list of values of one type (for example `collectSet`'s result).
    case list(DataType)

    public var description: String {
        switch self {
        case .int64: "int64"
        case .float64: "float64"
        case .decimal(let precision, let scale): "decimal(\(precision),\(scale))"
        case .bool: "bool"
        case .string: "string"
        case .date: "date"
        case .timestamp: "timestamp"
        case .list(let element): "list<\(element)>"
        }
    }

    /// True for types ordered and summed as numbers.
    public var isNumeric: Bool {
        switch self {
        case .int64, .float64, .decimal: true
        default: false
        }
    }

    /// The decimal scale, or 0 for non-decimal types.
    public var scale: Int {
        if case .decimal(_, let scale) = self { return scale }
        return 0
    }

    /// The width in bytes of one value in its fixed-width buffer, or nil for variable-width types.
    public var fixedWidth: Int? {
        switch self {
        case .int64, .float64, .decimal, .timestamp: 8
        case .date: 4
        case .bool: 1
        case .string, .list: nil
        }
    }

    /// Parses a type name as written in schemas and on the command line
    /// (`int64`, `decimal(10,2)`, `date`, …). Returns nil for an unknown name.
    public init?(parsing text: String) {
        let name = text.lowercased().filter { !$0.isWhitespace }
        switch name {
        case "int64", "int", "integer", "bigint", "long": self = .int64
        case "float64", "double", "float": self = .float64
        case "bool", "boolean": self = .bool
        case "string", "text", "utf8", "varchar": self = .string
        case "date": self = .date
        case "timestamp": self = .timestamp
        default:
            if name.hasPrefix("decimal("), name.hasSuffix(")") {
                let inner = name.dropFirst("decimal(".count).dropLast()
                let parts = inner.split(separator: ",")
                guard parts.count == 2, let precision = Int(parts[0]), let scale = Int(parts[1]),
                      (1...18).contains(precision), (0...precision).contains(scale)
                else { return nil }
                self = .decimal(precision: precision, scale: scale)
            } else if name.hasPrefix("list<"), name.hasSuffix(">"),
                      let element = DataType(parsing: String(name.dropFirst(5).dropLast())) {
                self = .list(element)
            } else {
                return nil
            }
        }
    }
}
