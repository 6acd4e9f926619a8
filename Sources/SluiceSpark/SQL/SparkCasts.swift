public import SluiceCore

/// The engine's casts (``Cast``) in Spark SQL. Spark's own casts accept more than the engine's
/// (white space around numbers, `1e3` as an integer) or convert differently (an integer as
/// seconds to a timestamp), so each is written as the engine's rule: text is matched against
/// exactly the shapes the engine reads before Spark converts it, and a value the engine would
/// make null is null here (`try_cast`, `CASE`), never an error.
public enum SparkCasts {
    /// Text the engine reads as an integer: an optional sign and digits.
    static let integerShape = "^[+-]?[0-9]+$"
    /// Text the engine reads as a decimal: an optional sign, digits with at most one point.
    static let decimalShape = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$"
    /// Text the engine reads as a float: a decimal with an optional exponent.
    static let floatShape = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"
    /// An ISO date, `YYYY-MM-DD`, as the engine's date cast reads it.
    static let dateShape = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    /// The engine's ISO timestamp (``DateEncoding/parseISOTimestamp(_:)``): a date, `T` or a
    /// space, `HH:MM[:SS][.f…]`, then `Z`, an offset `±HH[:][MM]`, or nothing (UTC).
    static let timestampShape = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-5][0-9])?([.][0-9]+)?(Z|[+-][0-9]{2}:?([0-9]{2})?)?)?$"

    /// `text` (SQL of a value of type `from`) converted to `to` as the engine converts it.
    /// - Throws: a plan error for a conversion whose result text or value Spark cannot give
    ///   exactly (a float as text, lists).
    public static func cast(_ text: String, from: DataType, to: DataType) throws(SluiceError) -> String {
        if from == to { return text }
        switch (from, to) {
        case (.string, _): return try fromString(text, to: to)
        case (.int64, .float64), (.decimal, .float64): return "CAST(\(text) AS DOUBLE)"
        case (.int64, .decimal), (.decimal, .decimal):
            // Up: null past the 64-bit range; down: rounded half away from zero, as Spark does.
            return "try_cast(\(text) AS \(SparkSQL.type(to)))"
        case (.int64, .bool): return "(\(text) <> 0)"
        case (.int64, .timestamp): return "timestamp_micros(\(text))"
        case (.float64, .int64):
            return "CASE WHEN abs(\(text)) < 9.2E18 THEN CAST(\(text) AS BIGINT) END"
        case (.float64, .decimal(_, let scale)):
            // The engine rounds value × 10^scale to the nearest integer, ties away from zero.
            let scaled = "round(\(text) * 1.0E\(scale))"
            let exact = "CAST(CAST(\(scaled) AS BIGINT) AS DECIMAL(18,0)) / \(powerOfTen(scale))"
            return "CASE WHEN abs(\(scaled)) < 9.2E18 THEN CAST(\(exact) AS \(SparkSQL.type(to))) END"
        case (.decimal, .int64): return "CAST(\(text) AS BIGINT)"
        case (.bool, .int64): return "CAST(\(text) AS BIGINT)"
        case (.date, .timestamp): return "CAST(\(text) AS TIMESTAMP)"
        case (.timestamp, .date): return "CAST(\(text) AS DATE)"
        case (.int64, .string), (.decimal, .string), (.bool, .string), (.date, .string):
            return "CAST(\(text) AS STRING)"
        case (.timestamp, .string):
            return timestampText(text)
        default:
            throw SluiceError.plan("the cast of \(from) to \(to) has no exact Spark SQL form",
                                   hint: "cast to another type in the plan, or run it with the local engine")
        }
    }

    /// A timestamp as the engine writes it: `YYYY-MM-DD HH:MM:SS`, and `.ffffff` only when
    /// the fraction is not zero.
    public static func timestampText(_ text: String) -> String {
        "CASE WHEN \(text) = date_trunc('second', \(text)) THEN date_format(\(text), 'yyyy-MM-dd HH:mm:ss') "
            + "ELSE date_format(\(text), 'yyyy-MM-dd HH:mm:ss.SSSSSS') END"
    }

    private static func fromString(_ text: String, to type: DataType) throws(SluiceError) -> String {
        let matches = { (shape: String) in "\(text) RLIKE \(SparkSQL.string(shape))" }
        switch type {
        case .int64:
            return "CASE WHEN \(matches(integerShape)) THEN try_cast(\(text) AS BIGINT) END"
        case .decimal:
            return "CASE WHEN \(matches(decimalShape)) THEN try_cast(\(text) AS \(SparkSQL.type(type))) END"
        case .float64:
            // Swift's Double(text) also reads inf, infinity and nan, in any case.
            let lower = "lower(\(text))"
            return "CASE WHEN \(matches(floatShape)) THEN try_cast(\(text) AS DOUBLE) "
                + "WHEN \(lower) IN ('inf', '+inf', 'infinity', '+infinity') THEN CAST('Infinity' AS DOUBLE) "
                + "WHEN \(lower) IN ('-inf', '-infinity') THEN CAST('-Infinity' AS DOUBLE) "
                + "WHEN \(lower) IN ('nan', '+nan', '-nan') THEN CAST('NaN' AS DOUBLE) END"
        case .bool:
            let lower = "lower(\(text))"
            return "CASE WHEN \(lower) IN ('true', 't', 'yes', 'y', '1') THEN TRUE "
                + "WHEN \(lower) IN ('false', 'f', 'no', 'n', '0') THEN FALSE END"
        case .date:
            return isoDate(text)
        case .timestamp:
            // `%Y-%m-%d %H:%M:%S` in the engine's grammar, else an ISO date at midnight.
            let dateTime = try SparkDateFormats.timestamp(text, pattern: "%Y-%m-%d %H:%M:%S")
            return "coalesce(\(dateTime), CAST(\(isoDate(text)) AS TIMESTAMP))"
        case .string:
            return text
        case .list:
            throw SluiceError.plan("the cast of text to \(type) has no Spark SQL form")
        }
    }

    /// An ISO date `YYYY-MM-DD` (``DateEncoding/parseISODate(_:)``), or NULL: the shape first,
    /// then Spark's own date cast (fast, and strict about the calendar: no 30 February).
    static func isoDate(_ text: String) -> String {
        "CASE WHEN \(text) RLIKE \(SparkSQL.string(dateShape)) THEN try_cast(\(text) AS DATE) END"
    }

    /// The engine's ISO timestamp (``DateEncoding/parseISOTimestamp(_:)``, how a CSV column of
    /// timestamps is read), or NULL.
    static func isoTimestampOrNull(_ text: String) -> String {
        "CASE WHEN \(text) RLIKE \(SparkSQL.string(timestampShape)) THEN \(isoTimestamp(text)) END"
    }

    /// An ISO timestamp text (already of ``timestampShape``) as a UTC instant: the date, then
    /// the time of day with its fraction (six digits kept, as the engine keeps), less the offset.
    static func isoTimestamp(_ text: String) -> String {
        let date = "try_cast(substring(\(text), 1, 10) AS DATE)"
        let hour = "try_cast(substring(\(text), 12, 2) AS INT)", minute = "try_cast(substring(\(text), 15, 2) AS INT)"
        let second = "coalesce(try_cast(regexp_extract(\(text), '^.{16}:([0-9]{2})', 1) AS INT), 0)"
        let fraction = "coalesce(try_cast(rpad(substring(regexp_extract(\(text), '[.]([0-9]+)', 1), 1, 6), 6, '0') AS BIGINT), 0)"
        let zone = "regexp_extract(\(text), '(Z|[+-][0-9]{2}:?([0-9]{2})?)$', 1)"
        let offsetHours = "coalesce(try_cast(substring(\(zone), 2, 2) AS INT), 0)"
        let offsetMinutes = "coalesce(try_cast(substring(regexp_replace(\(zone), ':', ''), 4, 2) AS INT), 0)"
        let sign = "CASE WHEN \(zone) LIKE '-%' THEN -1 ELSE 1 END"
        let valid = "length(\(text)) = 10 OR (\(hour) < 24 AND \(minute) < 60)"
        let micros = "unix_micros(CAST(\(date) AS TIMESTAMP)) + CASE WHEN length(\(text)) = 10 THEN 0 ELSE "
            + "((CAST(\(hour) AS BIGINT) * 3600 + \(minute) * 60 + \(second)) * 1000000 + \(fraction) "
            + "- \(sign) * (CAST(\(offsetHours) AS BIGINT) * 3600 + \(offsetMinutes) * 60) * 1000000) END"
        return "CASE WHEN \(valid) THEN timestamp_micros(\(micros)) END"
    }

    /// `10^n` as an exact decimal literal.
    static func powerOfTen(_ n: Int) -> String {
        "CAST('1\(String(repeating: "0", count: n))' AS DECIMAL(\(n + 1),0))"
    }
}
