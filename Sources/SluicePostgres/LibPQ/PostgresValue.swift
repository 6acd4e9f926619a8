public import SluiceCore

/// A query parameter, sent to the server in PostgreSQL's text format and never pasted into SQL.
///
/// Literals convert on their own, and `nil` in a `[PostgresValue?]` is SQL NULL:
///
/// ```swift
/// try connection.execute("INSERT INTO t (id, name, price) VALUES ($1, $2, $3)",
///                        [42, "O'Brien; DROP TABLE t", .decimal(1999, scale: 2)])
/// ```
///
/// The server infers each parameter's type from where it is used; add a cast (`$1::date`)
/// where the context does not say.
public enum PostgresValue: Sendable, Hashable, CustomStringConvertible {
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    /// An exact decimal, `unscaled / 10^scale`.
    case decimal(Int64, scale: Int)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Microseconds since the epoch, UTC.
    case timestamp(Int64)
    /// An array literal of the elements (`{1,2,NULL}`).
    case array([PostgresValue?])

    /// The parameter for a ``Value`` from a batch, or nil for `.null`.
    public init?(_ value: Value) {
        switch value {
        case .null: return nil
        case .int64(let v): self = .int(v)
        case .float64(let v): self = .double(v)
        case .decimal(let v, let scale): self = .decimal(v, scale: scale)
        case .bool(let v): self = .bool(v)
        case .string(let v): self = .text(v)
        case .date(let v): self = .date(v)
        case .timestamp(let v): self = .timestamp(v)
        case .list(let values): self = .array(values.map { PostgresValue($0) })
        }
    }

    /// The same value as a ``Value``.
    public var value: Value {
        switch self {
        case .text(let v): .string(v)
        case .int(let v): .int64(v)
        case .double(let v): .float64(v)
        case .bool(let v): .bool(v)
        case .decimal(let v, let scale): .decimal(v, scale: scale)
        case .date(let v): .date(v)
        case .timestamp(let v): .timestamp(v)
        case .array(let values): .list(values.map { $0?.value ?? .null })
        }
    }

    /// The UTF-8 bytes of the text format sent to the server.
    public var textBytes: [UInt8] {
        var out: [UInt8] = []
        PostgresText.appendValue(value, to: &out)
        return out
    }

    /// The text format, as a string.
    public var description: String { String(decoding: textBytes, as: UTF8.self) }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral {
    /// `"text"` is ``text(_:)``.
    public init(stringLiteral value: String) { self = .text(value) }
    /// `42` is ``int(_:)``.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// `0.5` is ``double(_:)``.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `true` is ``bool(_:)``.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
