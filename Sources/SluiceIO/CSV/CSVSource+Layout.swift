public import SluiceCore

/// What another engine needs to read a CSV file exactly as ``CSVSource`` reads it: the
/// dialect, the lines the header takes, the file's columns with their types and formats, the
/// columns that may not be empty. (The Spark compiler writes its source views from this.)
public struct CSVLayout: Sendable {
    public var path: String
    public var dialect: CSVDialect
    /// Lines the header takes (0 without a header).
    public var headerLines: Int
    /// The file's own columns, in file order (without the provenance columns).
    public var fields: [Field]
    /// Extra formats a date or timestamp column also reads, by column.
    public var formats: [String: [String]]
    public var notNullColumns: [String]
    /// Whether the rows carry ``Provenance`` columns after the file's own.
    public var provenance: Bool
    /// Whether blank lines count as read (and set apart as blank).
    public var countsBlankLines: Bool
    public var maxLineBytes: Int
    /// Lines one record may span through quoted line breaks.
    public var maxQuotedLines: Int
}

extension CSVSource {
    /// The file's dialect, header, columns and rules (see ``CSVLayout``).
    public var layout: CSVLayout {
        CSVLayout(path: file.path, dialect: dialect, headerLines: headerLines, fields: Array(schema.fields.prefix(fileFieldCount)),
                  formats: options.formats.mapValues { $0.map(\.pattern) }, notNullColumns: options.notNullColumns,
                  provenance: options.provenance, countsBlankLines: options.countBlankLines, maxLineBytes: options.maxLineBytes,
                  maxQuotedLines: options.maxQuotedLines)
    }
}
