public import SluiceCore

/// The engine's date and time formats (``DateTimeFormat``, strftime notation) in Spark SQL.
///
/// Spark's own parsers (`to_timestamp` with a Java pattern) read a different grammar: fixed
/// widths, other month names, no leap-second rule, other zone forms. So a format becomes a
/// regular expression with exactly the engine's grammar — `%Y` one to four digits, every other
/// number one or two, taken greedily and never given back (possessive quantifiers, as the
/// engine's parser does not backtrack), literals as written — and the value is computed from
/// its captured fields: the date checked by Spark's strict parser (31 February is no date),
/// the time of day checked against its ranges, the offset taken off.
public enum SparkDateFormats {
    typealias Field = DateTimeFormat.Token

    /// SQL for the timestamp `text` reads as in `pattern`, or NULL when it does not.
    /// - Throws: a plan error for a pattern the engine would refuse.
    public static func timestamp(_ text: String, pattern: String) throws(SluiceError) -> String {
        switch pattern {
        case "epoch", "epoch_s": return epoch(text, factor: 1_000_000)
        case "epoch_ms": return epoch(text, factor: 1_000)
        default: break
        }
        let fields = try parse(pattern)
        var shape = "^"
        var groups: [Field: Int] = [:]
        // Literal bytes are gathered and decoded together, so a literal of several UTF-8 bytes stays one character.
        var literal: [UInt8] = []
        let flush = {
            shape += String(decoding: literal, as: UTF8.self).map(NSRegularExpressionEscape.escape).joined()
            literal.removeAll()
        }
        for field in fields {
            switch field {
            case .literal(let byte): literal.append(byte)
            default:
                flush()
                groups[field] = groups.count + 1
                shape += "(" + regex(field) + ")"
            }
        }
        flush()
        shape += "$"
        let group = { (field: Field) -> String? in
            groups[field].map { "regexp_extract(\(text), \(SparkSQL.string(shape)), \($0))" }
        }
        let number = { (field: Field, fallback: String) -> String in group(field).map { "try_cast(\($0) AS INT)" } ?? fallback }
        var year = number(.year4, "1970")
        if let twoDigits = group(.year2) { year = "(CASE WHEN try_cast(\(twoDigits) AS INT) < 70 THEN 2000 ELSE 1900 END + try_cast(\(twoDigits) AS INT))" }
        var month = number(.month, "1")
        if let name = group(.monthName) {
            let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            month = "(array_position(array(\(names.map { SparkSQL.string($0) }.joined(separator: ", "))), lower(\(name))))"
        }
        let day = number(.day, "1")
        var hour = number(.hour24, "0")
        var checks = ["\(month) BETWEEN 1 AND 12", "\(number(.minute, "0")) < 60", "\(number(.second, "0")) < 60"]
        if groups[.hour24] != nil { checks.append("\(hour) < 24") }
        if let twelve = group(.hour12) {
            let value = "try_cast(\(twelve) AS INT)"
            checks.append("\(value) BETWEEN 1 AND 12")
            // A 12-hour clock without AM or PM is no time to the engine.
            guard let ampm = group(.ampm) else { return "CAST(NULL AS TIMESTAMP)" }
            hour = "(\(value) % 12 + CASE WHEN lower(\(ampm)) = 'pm' THEN 12 ELSE 0 END)"
        }
        let fraction = group(.fraction).map { "try_cast(rpad(\($0), 6, '0') AS BIGINT)" } ?? "0"
        var offset = "0"
        if let zone = group(.zone) {
            let digits = "regexp_replace(\(zone), ':', '')"
            let hours = "coalesce(try_cast(substring(\(digits), 2, 2) AS INT), 0)", minutes = "coalesce(try_cast(substring(\(digits), 4, 2) AS INT), 0)"
            checks.append("(lower(\(zone)) = 'z' OR (\(minutes) < 60 AND \(hours) * 60 + \(minutes) <= 18 * 60))")
            offset = "CASE WHEN lower(\(zone)) = 'z' THEN 0 ELSE (CASE WHEN \(zone) LIKE '-%' THEN -1 ELSE 1 END) * (\(hours) * 3600 + \(minutes) * 60) END"
        }
        // The date through Spark's date cast, strict about the calendar: a day the month does not have is null.
        let date = "try_cast(concat(lpad(CAST(\(year) AS STRING), 4, '0'), '-', lpad(CAST(\(month) AS STRING), 2, '0'), '-', "
            + "lpad(CAST(\(day) AS STRING), 2, '0')) AS DATE)"
        let micros = "CAST(unix_date(\(date)) AS BIGINT) * 86400000000 + (CAST(\(hour) AS BIGINT) * 3600 + \(number(.minute, "0")) * 60 + "
            + "\(number(.second, "0")) - \(offset)) * 1000000 + \(fraction)"
        return "CASE WHEN \(text) RLIKE \(SparkSQL.string(shape)) AND \(checks.joined(separator: " AND ")) THEN timestamp_micros(\(micros)) END"
    }

    /// SQL for the date `text` reads as in `pattern` (any time part dropped), or NULL.
    public static func date(_ text: String, pattern: String) throws(SluiceError) -> String {
        "CAST(\(try timestamp(text, pattern: pattern)) AS DATE)"
    }

    /// Seconds or milliseconds since 1970: an integer (a sign allowed) whose microseconds fit
    /// 64 bits.
    static func epoch(_ text: String, factor: Int64) -> String {
        let limit = Int64.max / factor
        return "CASE WHEN \(text) RLIKE '^[+-]?[0-9]+$' AND try_cast(\(text) AS BIGINT) BETWEEN -\(limit) AND \(limit) "
            + "THEN timestamp_micros(try_cast(\(text) AS BIGINT) * \(factor)) END"
    }

    static func regex(_ field: Field) -> String {
        switch field {
        case .year4: "[0-9]{1,4}+"
        case .year2, .month, .day, .hour24, .hour12, .minute, .second: "[0-9]{1,2}+"
        case .fraction: "[0-9]{1,6}+"
        case .ampm: "[AaPp][Mm]"
        case .monthName: "(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
        case .zone: "[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?+"
        case .literal: ""
        }
    }

    /// The fields of a strftime pattern, as ``DateTimeFormat`` reads it (its own parser).
    static func parse(_ pattern: String) throws(SluiceError) -> [Field] {
        guard let fields = try DateTimeFormat(pattern).tokens else { return [] }
        let named = fields.filter { if case .literal = $0 { false } else { true } }
        guard Set(named).count == named.count else {
            throw SluiceError.plan("date format '\(pattern)' names a field twice, which has no Spark SQL form")
        }
        return fields
    }
}


/// Escaping one literal character of a format for a Java regular expression.
enum NSRegularExpressionEscape {
    static func escape(_ character: Character) -> String {
        let special: Set<Character> = ["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]
        return special.contains(character) ? "\\" + String(character) : String(character)
    }
}
