public import SluiceCore
public import SluiceEngine

/// The engine's scalar functions (``BoundFunction``) in Spark SQL, each with the engine's
/// result for every input, nulls included. Where Spark's function of the same name differs
/// (`trim` removes spaces only, `regexp_extract` gives `''` for no match, `split_part` counts
/// from the end for a negative index), the SQL says what the engine does instead.
enum SparkFunctions {
    /// The SQL of `function` over compiled arguments.
    /// - Throws: a plan error for a function with no exact Spark form (the engine's `hash`).
    static func call(_ function: BoundFunction, _ arguments: [String], argumentTypes: [DataType], result: DataType)
        throws(SluiceError) -> String
    {
        let x = arguments.first ?? "NULL"
        switch function {
        case .trim: return "trim(BOTH \(SparkSQL.string(" \t\n\r")) FROM \(x))"
        case .nullIfEmpty: return "nullif(\(x), '')"
        case .lower: return "lower(\(x))"
        case .upper: return "upper(\(x))"
        case .length: return "CAST(char_length(\(x)) AS BIGINT)"
        case .concat: return "concat(\(arguments.joined(separator: ", ")))"
        case .concatNonNull(let separator):
            return "CASE WHEN coalesce(\(arguments.joined(separator: ", "))) IS NULL THEN NULL "
                + "ELSE concat_ws(\(SparkSQL.string(String(decoding: separator, as: UTF8.self))), \(arguments.joined(separator: ", "))) END"
        case .jsonQuote: return jsonQuote(x)
        case .isEmailAddress: return "(\(x) RLIKE \(SparkSQL.string(SparkPatterns.email)))"
        case .isHTTPURL: return "(\(x) RLIKE \(SparkSQL.string(SparkPatterns.httpURL)))"
        case .replace(let from, let to):
            return "replace(\(x), \(SparkSQL.string(String(decoding: from, as: UTF8.self))), \(SparkSQL.string(String(decoding: to, as: UTF8.self))))"
        case .regexMatch(let regex): return "(\(x) RLIKE \(SparkSQL.string(regex.pattern)))"
        case .regexExtract(let regex, let group):
            // No match is null to the engine, '' to Spark's regexp_extract.
            let pattern = SparkSQL.string(regex.pattern)
            return "CASE WHEN \(x) RLIKE \(pattern) THEN regexp_extract(\(x), \(pattern), \(group)) END"
        case .splitPart(let delimiterBytes, let index):
            guard index >= 1, !delimiterBytes.isEmpty else { return "CAST(NULL AS STRING)" }
            let delimiter = SparkSQL.string(String(decoding: delimiterBytes, as: UTF8.self))
            // The engine's part past the last is null; Spark's is ''.
            let pieces = "(char_length(\(x)) - char_length(replace(\(x), \(delimiter), ''))) DIV char_length(\(delimiter)) + 1"
            return "CASE WHEN \(pieces) >= \(index) THEN split_part(\(x), \(delimiter), \(index)) END"
        case .substring(let start, let length):
            return "substring(\(x), \(max(1, start)), \(max(0, length)))"
        case .parseDate(let formats):
            var parts = [SparkCasts.isoDate(x)]
            for format in formats { parts.append(try SparkDateFormats.date(x, pattern: format.pattern)) }
            return "coalesce(\(parts.joined(separator: ", ")))"
        case .parseTimestamp(let formats):
            var parts: [String] = []
            for format in formats { parts.append(try SparkDateFormats.timestamp(x, pattern: format.pattern)) }
            return parts.count == 1 ? parts[0] : "coalesce(\(parts.joined(separator: ", ")))"
        case .matchedFormat(let formats):
            var text = "CASE"
            for format in formats {
                text += " WHEN \(try SparkDateFormats.timestamp(x, pattern: format.pattern)) IS NOT NULL THEN \(SparkSQL.string(format.pattern))"
            }
            return text + " END"
        case .parseDecimal(let precision, let scale):
            return parseDecimal(x, precision: precision, scale: scale)
        case .toDate: return "CAST(\(x) AS DATE)"
        case .dateAddDays: return "date_add(\(x), CAST(\(arguments[1]) AS INT))"
        case .dateDiffDays: return "CAST(datediff(\(x), \(arguments[1])) AS BIGINT)"
        case .year: return "CAST(year(\(x)) AS BIGINT)"
        case .month: return "CAST(month(\(x)) AS BIGINT)"
        case .day: return "CAST(day(\(x)) AS BIGINT)"
        case .tryMultiply:
            guard case .decimal = result else { return "try_multiply(\(x), \(arguments[1]))" }
            // Operands at 18 digits each, so Spark's product type (37 digits) keeps every digit.
            let operands = zip(arguments, argumentTypes).map { text, type in "CAST(\(text) AS DECIMAL(18,\(type.scale)))" }
            return "try_cast(try_multiply(\(operands.joined(separator: ", "))) AS \(SparkSQL.type(result)))"
        case .xxhash64: return "xxhash64(\(arguments.joined(separator: ", ")))"
        case .hash:
            throw SluiceError.plan("hash() is the engine's own 64-bit hash and has no Spark SQL form",
                                   hint: "run this pipeline with the local engine")
        }
    }

    /// The text as a JSON string literal as the engine writes it: quotes, backslashes and
    /// control characters escaped (`\n`, `\r`, `\t`, others `\u00xx` in lower case), a null as
    /// the JSON `null`. Spark's `to_json` escapes in upper case and with `\b` and `\f`.
    static func jsonQuote(_ x: String) -> String {
        var text = "replace(replace(\(x), '\\\\', '\\\\\\\\'), '\"', '\\\\\"')"
        for code in 0..<0x20 {
            let escaped: String
            switch code {
            case 0x0A: escaped = "\\n"
            case 0x0D: escaped = "\\r"
            case 0x09: escaped = "\\t"
            default: escaped = "\\u00" + String(code >> 4, radix: 16) + String(code & 0xF, radix: 16)
            }
            text = "replace(\(text), \(SparkSQL.string(String(UnicodeScalar(UInt8(code))))), \(SparkSQL.string(escaped)))"
        }
        return "CASE WHEN \(x) IS NULL THEN 'null' ELSE concat('\"', \(text), '\"') END"
    }

    /// ``DecimalMath/parseExact``: a sign, digits with at most one point, no non-zero digit past
    /// the scale and at most precision − scale digits before the point (leading zeros aside).
    static func parseDecimal(_ x: String, precision: Int, scale: Int) -> String {
        let integerDigits = max(0, precision - scale)
        let shape = "^[+-]?0*([0-9]{0,\(integerDigits)})([.][0-9]{0,\(scale)}0*)?$"
        let hasDigit = "\(x) RLIKE '[0-9]'"
        return "CASE WHEN \(x) RLIKE \(SparkSQL.string(shape)) AND \(hasDigit) THEN try_cast(\(x) AS \(SparkSQL.type(.decimal(precision: 18, scale: scale)))) END"
    }
}

/// Regular expressions (Java syntax) that accept exactly what the engine's byte-level
/// validators (``TextKernels``) accept.
enum SparkPatterns {
    static let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    /// Labels joined by dots, 1–253 bytes, the last not all digits, followed by `end` (a
    /// lookahead); at least two labels for an e-mail domain.
    static func domain(atLeastTwo: Bool, end: String) -> String {
        "(?=[^/?#:@]{1,253}\(end))(?:\(label)\\.)\(atLeastTwo ? "+" : "*")(?![0-9]+\(end))\(label)"
    }

    static let localCharacters = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
    static let email = "^(?=[^@]{1,64}@)\(localCharacters)+(?:\\.\(localCharacters)+)*@\(domain(atLeastTwo: true, end: "$"))$"
    /// `http` or `https` in any case, user info up to the last `@`, a host, a port of 1–5
    /// digits, then a path, query or fragment of printable characters.
    static let httpURL = "^(?i:https?)://(?:[^/?#]*@)?\(domain(atLeastTwo: false, end: "(?::|[/?#]|$)"))"
        + "(?::[0-9]{1,5})?(?:[/?#][^\\x00-\\x20\\x7F]*)?$"
}
