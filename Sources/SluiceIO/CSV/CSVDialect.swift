public import SluiceCore

/// How a CSV file is written: its delimiter, quoting and header.
public struct CSVDialect: Sendable, Equatable, CustomStringConvertible {
    public var delimiter: UInt8
    /// The quote byte, or nil when fields are never quoted.
    public var quote: UInt8?
    /// The escape byte inside quoted fields, or nil for RFC 4180 doubled quotes (`""`).
    public var escape: UInt8?
    public var hasHeader: Bool

    public init(delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8? = UInt8(ascii: "\""), escape: UInt8? = nil, hasHeader: Bool = true) {
        self.delimiter = delimiter
        self.quote = quote
        self.escape = escape
        self.hasHeader = hasHeader
    }

    public var description: String {
        let name: String
        switch delimiter {
        case UInt8(ascii: "\t"): name = "tab"
        default: name = "'\(Character(Unicode.Scalar(delimiter)))'"
        }
        return "delimiter \(name), \(hasHeader ? "header" : "no header")"
    }

    /// Parses a delimiter as users type it: `,` `|` `;` `tab` or `\t`.
    /// A delimiter as users write it: `tab` (or `\t`), or one ASCII punctuation character or
    /// space; nil for anything that cannot separate fields (letters, digits, the quote, a line
    /// break, several characters).
    public static func delimiter(named text: String) -> UInt8? {
        switch text {
        case "tab", "\\t", "\t": return UInt8(ascii: "\t")
        default:
            let bytes = Array(text.utf8)
            guard bytes.count == 1, let byte = bytes.first else { return nil }
            let letterOrDigit = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            let usable = (0x20...0x7E).contains(byte) && !letterOrDigit && byte != UInt8(ascii: "\"")
            return usable ? byte : nil
        }
    }
}

/// What a CSV source is told; anything left nil is detected from a sample of the file.
public struct CSVOptions: Sendable {
    /// The delimiter, or nil to detect among `,` `|` `;` and tab.
    public var delimiter: UInt8?
    public var quote: UInt8? = UInt8(ascii: "\"")
    public var escape: UInt8?
    public var hasHeader = true
    /// Types for columns by name; columns not named here are inferred from the sample.
    public var columnTypes: [String: DataType] = [:]
    /// Columns the file must have (checked against the header, in any order).
    public var requiredColumns: [String] = []
    /// Columns that must not be empty: a row with an empty value there is rejected as
    /// `invalid_value` (checked whether or not the job reads the column).
    public var notNullColumns: [String] = []
    /// Date / timestamp formats tried, in order, per column (ISO is always tried first).
    public var formats: [String: [DateTimeFormat]] = [:]
    /// A record longer than this is rejected as `line_too_long`.
    public var maxLineBytes = 1 << 20
    /// The most lines one record may span through newlines inside quoted values. A quote
    /// that does not close within them (or before the end of the file) makes its line an
    /// `unterminated_quote` reject, and reading goes on at the next line. The bound is what
    /// lets splits find their first record without reading the file before them.
    public var maxQuotedLines = CSVOptions.defaultMaxQuotedLines
    /// The default of ``maxQuotedLines``: multi-line addresses and notes fit, and a stray
    /// quote costs one row.
    public static let defaultMaxQuotedLines = 8
    /// Bytes read from the start of the file to detect the dialect and infer types.
    public var sampleBytes = 1 << 20
    /// Adds the ``Provenance`` columns (the file's path and each record's first line) after
    /// the file's own, for plans that reject rows or keep where a row came from.
    public var provenance = false
    /// The type of every column `columnTypes` does not name, or nil to infer each from the
    /// sample (a pipeline whose rules decide what a value is reads them all as text).
    public var defaultType: DataType?
    /// Counts each blank line as read and set apart (`SourceCounts.blank`), for pipelines
    /// that account for every line of a file; by default blank lines are skipped uncounted.
    public var countBlankLines = false

    public init(delimiter: UInt8? = nil, hasHeader: Bool = true, columnTypes: [String: DataType] = [:], requiredColumns: [String] = []) {
        self.delimiter = delimiter
        self.hasHeader = hasHeader
        self.columnTypes = columnTypes
        self.requiredColumns = requiredColumns
    }
}
