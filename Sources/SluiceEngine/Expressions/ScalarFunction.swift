import SluiceCore

/// Built-in scalar functions. Constant arguments (patterns, formats) are part of the function
/// so they are compiled once per plan, not once per row.
public enum ScalarFunction: Sendable, Hashable {
    // Strings
    case trim, lower, upper, length
    /// Null where the text is empty (SQL's `NULLIF(x, '')`).
    case nullIfEmpty
    case replace(String, with: String)
    /// True when the regular expression matches anywhere in the text.
    case regexMatch(String)
    /// The text of capture group `group` (0: the whole match), or null when nothing matches.
    case regexExtract(String, group: Int)
    /// The `index`-th (1-based) piece of the text split on `delimiter`, or null.
    case splitPart(String, index: Int)
    /// `length` characters (UTF-8 bytes for ASCII) from 1-based `start`.
    case substring(start: Int, length: Int)
    /// The arguments' text joined.
    case concat
    /// The non-null arguments' text joined by the separator; null when every argument is
    /// null (so a list of optional pieces, such as failed rules, is null when empty).
    case concatNonNull(separator: String)
    /// The text as a JSON string literal (quoted, escaped); a null is the JSON `null`, so the
    /// result is never null and can be pasted into a JSON document.
    case jsonQuote
    /// True when the text is a syntactically valid e-mail address (`local@domain.tld`: the
    /// local part of RFC 5322's unquoted characters and dots, a domain of dot-separated
    /// labels of letters, digits and inner hyphens, at least two of them).
    case isEmailAddress
    /// True when the text is an absolute `http` or `https` URL with a host.
    case isHTTPURL
    // Dates and times
    /// Parses text with each format in turn; the first that matches wins, else null.
    case parseDate(formats: [String])
    case parseTimestamp(formats: [String])
    /// The first of `formats` that parses the text as a timestamp (as written in the list),
    /// or null: says which form each value came in.
    case matchedFormat(formats: [String])
    /// The text as an exact `decimal(precision, scale)`: an optional sign, digits and one
    /// optional point; null when it is anything else, when it has non-zero digits past the
    /// scale (a value is never rounded), or when it needs more digits than the precision.
    case parseDecimal(precision: Int, scale: Int)
    /// The date of a timestamp (UTC).
    case toDate
    /// A date plus a number of days (second argument).
    case dateAddDays
    /// Days from the second date argument to the first.
    case dateDiffDays
    case year, month, day
    // Numbers
    /// The product of two numbers, typed like `*`, but null where it does not fit its type
    /// (Spark's `try_multiply`) instead of an error.
    case tryMultiply
    // Other
    /// A 64-bit hash of all arguments (stable across runs).
    case hash
    /// Apache Spark's `xxhash64` of the arguments (``XXH64``): the same 64-bit value Spark
    /// gives, so an id hashed from a row's values is one id on either engine.
    case xxhash64

    public var name: String {
        switch self {
        case .trim: "trim"
        case .nullIfEmpty: "nullIfEmpty"
        case .lower: "lower"
        case .upper: "upper"
        case .length: "length"
        case .replace: "replace"
        case .regexMatch: "regexMatch"
        case .regexExtract: "regexExtract"
        case .splitPart: "splitPart"
        case .substring: "substring"
        case .concat: "concat"
        case .concatNonNull: "concatNonNull"
        case .jsonQuote: "jsonQuote"
        case .isEmailAddress: "isEmailAddress"
        case .isHTTPURL: "isHTTPURL"
        case .parseDate: "parseDate"
        case .parseTimestamp: "parseTimestamp"
        case .matchedFormat: "matchedFormat"
        case .parseDecimal: "parseDecimal"
        case .toDate: "toDate"
        case .dateAddDays: "dateAddDays"
        case .dateDiffDays: "dateDiffDays"
        case .year: "year"
        case .month: "month"
        case .day: "day"
        case .tryMultiply: "tryMultiply"
        case .hash: "hash"
        case .xxhash64: "xxhash64"
        }
    }

    /// Constant arguments as EXPLAIN shows them after the column arguments.
    var constantArguments: String {
        switch self {
        case .replace(let from, let to): ", '\(from)', '\(to)'"
        case .regexMatch(let pattern): ", /\(pattern)/"
        case .concatNonNull(let separator): ", '\(separator)'"
        case .regexExtract(let pattern, let group): ", /\(pattern)/, \(group)"
        case .splitPart(let delimiter, let index): ", '\(delimiter)', \(index)"
        case .substring(let start, let length): ", \(start), \(length)"
        case .parseDate(let formats), .parseTimestamp(let formats), .matchedFormat(let formats):
            ", [" + formats.map { "'\($0)'" }.joined(separator: ", ") + "]"
        case .parseDecimal(let precision, let scale): ", \(precision), \(scale)"
        default: ""
        }
    }
}

extension Expr {
    public func trim() -> Expr { .call(.trim, [self]) }
    public func lower() -> Expr { .call(.lower, [self]) }
    public func upper() -> Expr { .call(.upper, [self]) }
    public func length() -> Expr { .call(.length, [self]) }
    public func replace(_ from: String, with to: String) -> Expr { .call(.replace(from, with: to), [self]) }
    public func regexMatch(_ pattern: String) -> Expr { .call(.regexMatch(pattern), [self]) }
    public func regexExtract(_ pattern: String, group: Int = 0) -> Expr {
        .call(.regexExtract(pattern, group: group), [self])
    }
    public func splitPart(_ delimiter: String, _ index: Int) -> Expr { .call(.splitPart(delimiter, index: index), [self]) }
    public func substring(_ start: Int, _ length: Int) -> Expr { .call(.substring(start: start, length: length), [self]) }
    public func parseDate(_ formats: [String]) -> Expr { .call(.parseDate(formats: formats), [self]) }
    public func parseTimestamp(_ formats: [String]) -> Expr { .call(.parseTimestamp(formats: formats), [self]) }
    public func matchedFormat(_ formats: [String]) -> Expr { .call(.matchedFormat(formats: formats), [self]) }
    public func parseDecimal(precision: Int, scale: Int) -> Expr { .call(.parseDecimal(precision: precision, scale: scale), [self]) }
    /// Null where the text is empty, else the text (SQL's `NULLIF(x, '')`).
    public func nullIfEmpty() -> Expr { .call(.nullIfEmpty, [self]) }
    public func toDate() -> Expr { .call(.toDate, [self]) }
    public func addDays(_ days: Expr) -> Expr { .call(.dateAddDays, [self, days]) }
    public func daysSince(_ other: Expr) -> Expr { .call(.dateDiffDays, [self, other]) }
    public func year() -> Expr { .call(.year, [self]) }
    public func month() -> Expr { .call(.month, [self]) }
    public func day() -> Expr { .call(.day, [self]) }
    /// The text as a JSON string literal, `null` for a null (``ScalarFunction/jsonQuote``).
    public func jsonQuote() -> Expr { .call(.jsonQuote, [self]) }
    /// True for a syntactically valid e-mail address (``ScalarFunction/isEmailAddress``).
    public func isEmailAddress() -> Expr { .call(.isEmailAddress, [self]) }
    /// True for an absolute http(s) URL with a host (``ScalarFunction/isHTTPURL``).
    public func isHTTPURL() -> Expr { .call(.isHTTPURL, [self]) }
}

/// `concatNonNull(separator, a, b, …)`: the non-null arguments joined by `separator`, or null
/// when all are null (SQL's `concat_ws`, but null rather than empty when nothing is left).
public func concatNonNull(_ separator: String, _ inputs: [Expr]) -> Expr { .call(.concatNonNull(separator: separator), inputs) }

/// `concat(a, b, …)`: the arguments' text joined; null when any is null.
public func concat(_ inputs: Expr...) -> Expr { .call(.concat, inputs) }

/// `tryMultiply(a, b)`: `a * b`, or null where the product does not fit its type (a decimal
/// product past the 64-bit range, say), so a plan can reject such rows instead of failing.
public func tryMultiply(_ a: Expr, _ b: Expr) -> Expr { .call(.tryMultiply, [a, b]) }

/// `hash(a, b, …)`: a stable 64-bit hash of the arguments.
public func hash(_ inputs: Expr...) -> Expr { .call(.hash, inputs) }

/// `xxhash64(a, b, …)`: Spark's `xxhash64` of the arguments (nulls skipped), the same value on
/// both engines.
public func xxhash64(_ inputs: Expr...) -> Expr { .call(.xxhash64, inputs) }
