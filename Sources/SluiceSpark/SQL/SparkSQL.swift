import Foundation
public import SluiceCore

/// Spark SQL text: quoted identifiers, string literals and type names. Every piece of a
/// generated script that comes from a name or a value goes through here, so no name or value
/// can change the meaning of the SQL around it.
public enum SparkSQL {
    /// `name` as a Spark SQL identifier: in backticks, a backtick doubled.
    public static func identifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// `text` as a Spark SQL string literal. Spark's parser reads backslash escapes inside
    /// literals (`spark.sql.parser.escapedStringLiterals` is false by default), so a
    /// backslash and a quote are escaped, and control characters are written as `\uXXXX`.
    public static func string(_ text: String) -> String {
        var out = "'"
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "'"
    }

    /// The Spark SQL type that holds a Sluice type's values exactly: `decimal(p, s)` as
    /// `DECIMAL(18,s)` (the engine keeps every decimal as a scaled 64-bit integer, whatever
    /// precision it declares, so 18 digits is what its values and its overflow follow), dates
    /// and timestamps as `DATE` and `TIMESTAMP` (UTC instants: every script sets
    /// `spark.sql.session.timeZone` to UTC), lists as arrays.
    public static func type(_ type: DataType) -> String {
        switch type {
        case .int64: "BIGINT"
        case .float64: "DOUBLE"
        case .decimal(_, let scale): "DECIMAL(18,\(scale))"
        case .bool: "BOOLEAN"
        case .string: "STRING"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        case .list(let element): "ARRAY<\(Self.type(element))>"
        }
    }

    /// A literal of `value` typed as `type` (a typed null for `.null`).
    public static func literal(_ value: Value, as type: DataType) -> String {
        switch value {
        case .null: return "CAST(NULL AS \(Self.type(type)))"
        case .int64(let number): return number == .min ? "CAST(\(string(String(number))) AS BIGINT)" : "\(number)L"
        case .float64(let number):
            guard number.isFinite else { return "CAST(\(string(number.isNaN ? "NaN" : number > 0 ? "Infinity" : "-Infinity")) AS DOUBLE)" }
            return "CAST(\(string(String(number))) AS DOUBLE)"
        case .decimal(let scaled, let scale):
            return "CAST(\(string(DecimalMath.format(scaled, scale: scale))) AS \(Self.type(type)))"
        case .bool(let flag): return flag ? "TRUE" : "FALSE"
        case .string(let text): return string(text)
        case .date(let days): return "DATE \(string(DateEncoding.formatDate(days)))"
        case .timestamp(let micros): return "TIMESTAMP \(string(DateEncoding.formatTimestamp(micros)))"
        case .list(let values):
            guard case .list(let element) = type else { return "CAST(NULL AS \(Self.type(type)))" }
            return values.isEmpty ? "CAST(array() AS \(Self.type(type)))" : "array(" + values.map { literal($0, as: element) }.joined(separator: ", ") + ")"
        }
    }
}
