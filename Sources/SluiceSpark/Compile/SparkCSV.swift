import Foundation
public import SluiceCore
public import SluiceEngine
public import SluiceIO

/// A CSV file read by Spark exactly as ``CSVSource`` reads it.
///
/// Spark's CSV reader differs from Sluice's in what it accepts, in what it rejects, and it
/// numbers no lines. So the file is read as lines (`text`, split on `\n` only), numbered from
/// each split's place in the file (rows of one split are consecutive in
/// `monotonically_increasing_id()`; the lines of the splits before it are counted per
/// `input_file_block_start()`), and each line is cut into fields by a regular expression with
/// Sluice's grammar: a field that starts with the quote is quoted (a doubled quote or the
/// escape byte inside, text after the closing quote makes it malformed), any other runs to the
/// delimiter (a quote inside it is a literal). Then the fields are checked and typed by
/// Sluice's rules — field count, not-empty columns, malformed quoting, invalid UTF-8, the
/// shapes each type accepts — and every failing record is a reject with Sluice's kind,
/// column and message; blank lines are skipped or counted as Sluice counts them.
///
/// One difference is left, and said: a record is one line. A quoted value that holds a line
/// break (which Sluice reads across up to `--max-quoted-lines` lines) is an
/// `unterminated_quote` reject of its first line, and the lines after it are read as records.
public enum SparkCSV {
    /// Adds the file's views, rejects and counts to `compiler` and registers `source` as the
    /// view of its good rows (the file's columns, typed, then the provenance columns).
    /// - Parameter reading: the columns the plans read (nil: all); only those are checked and
    ///   typed, as Sluice's reader parses only the columns a plan reads.
    /// - Parameter reports: false when the source's counts and rejects go to a sink of its own,
    ///   not the run's (Sluice's second read of a file counts nothing): Spark then writes none.
    public static func register(_ source: CSVSource, reading: Set<String>? = nil, reports: Bool = true,
                                into compiler: inout SparkPlanCompiler) throws(SluiceError) {
        let layout = source.layout
        let fields = try SparkCSVFields(layout, reading: reading)
        let text = compiler.name("text"), lines = compiler.name("lines"), checked = compiler.name("checked")
        let numbered = compiler.name("numbered"), rows = compiler.name("rows")
        let layers = (1...4).map { compiler.name("fields\($0)") }
        let path = SparkSQL.string(layout.path)
        let record = "__sluice_line > \(layout.headerLines) AND NOT __sluice_blank"
        compiler.add(statements: [
            // Spark runs in the staging folder: the file by its absolute path; rows keep the path as given.
            "CREATE OR REPLACE TEMPORARY VIEW \(text) USING text OPTIONS (path \(SparkSQL.string(Self.absolute(layout.path))), lineSep '\\n')",
            // Each line with its split (`block`) and its place in it (`id`: a split's lines have consecutive ids);
            // a CR before the line feed and a byte-order mark at the start are not data.
            "CREATE OR REPLACE TEMPORARY VIEW \(lines) AS SELECT regexp_replace(CASE WHEN endswith(value, '\\r') THEN substring(value, 1, char_length(value) - 1) "
                + "ELSE value END, '^\\uFEFF', '') AS __sluice_text, input_file_block_start() AS __sluice_block, monotonically_increasing_id() AS __sluice_id FROM \(text)",
            // Each layer computes each field's next form once, from the columns of the one below:
            // the raw fields, then quoted / inside the quotes, then the text, then trimmed and typed.
            "CREATE OR REPLACE TEMPORARY VIEW \(layers[0]) AS SELECT __sluice_block, __sluice_id, __sluice_text, __sluice_fields, \(fields.layer(1)) FROM "
                + "(SELECT __sluice_block, __sluice_id, __sluice_text, \(fields.split("__sluice_text")) AS __sluice_fields FROM \(lines))",
            "CREATE OR REPLACE TEMPORARY VIEW \(layers[1]) AS SELECT *, \(fields.layer(2)) FROM \(layers[0])",
            "CREATE OR REPLACE TEMPORARY VIEW \(layers[2]) AS SELECT *, \(fields.layer(3)) FROM \(layers[1])",
            "CREATE OR REPLACE TEMPORARY VIEW \(layers[3]) AS SELECT *, \(fields.layer(4)) FROM \(layers[2])",
            // The file is read and parsed once, for the rows, the rejects and the counts: cached when first read.
            "CACHE LAZY TABLE \(checked) AS SELECT __sluice_block, __sluice_id, \(fields.blank) AS __sluice_blank, __sluice_failure, "
                + "CASE WHEN __sluice_failure IS NOT NULL THEN left(__sluice_text, 4096) END AS __sluice_raw, \(fields.values.joined(separator: ", ")) "
                + "FROM (SELECT *, \(fields.failure) AS __sluice_failure FROM \(layers[3]))",
            // Line numbers: a line's place in its split plus the lines of the splits before it in the file.
            """
            CREATE OR REPLACE TEMPORARY VIEW \(numbered) AS
            WITH blocks AS (SELECT __sluice_block AS block, min(__sluice_id) AS __sluice_first, count(*) AS n FROM \(checked) GROUP BY __sluice_block),
            offsets AS (SELECT block, __sluice_first, sum(n) OVER (ORDER BY block ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - n AS before FROM blocks)
            SELECT c.*, CAST(offsets.before + (c.__sluice_id - offsets.__sluice_first) + 1 AS BIGINT) AS __sluice_line FROM \(checked) c JOIN offsets ON c.__sluice_block = offsets.block
            """,
            "CREATE OR REPLACE TEMPORARY VIEW \(rows) AS SELECT \(layout.fields.map { SparkSQL.identifier($0.name) }.joined(separator: ", "))"
                + (layout.provenance ? ", \(path) AS \(SparkSQL.identifier(Provenance.sourceColumn)), __sluice_line AS \(SparkSQL.identifier(Provenance.lineColumn))" : "")
                + " FROM \(numbered) WHERE \(record) AND __sluice_failure IS NULL",
        ])
        var schema = layout.fields
        if layout.provenance { schema += Provenance.fields }
        compiler.register(source, as: SparkRelation(view: rows, schema: Schema(schema)))
        guard reports else { return }
        compiler.addRejects("SELECT \(path) AS source, __sluice_line AS line, __sluice_failure.kind AS kind, __sluice_failure.column AS column, __sluice_failure.message AS message, "
            + "__sluice_raw AS raw, CAST(NULL AS STRING) AS \(SparkSQL.identifier("values")), CAST(-1 AS BIGINT) AS rule "
            + "FROM \(numbered) WHERE \(record) AND __sluice_failure IS NOT NULL")
        let blank = layout.countsBlankLines ? "count_if(__sluice_blank)" : "CAST(0 AS BIGINT)"
        compiler.addCounts("SELECT \(path) AS source, \(layout.countsBlankLines ? "count(*)" : "count_if(NOT __sluice_blank)") AS read, "
            + "\(blank) AS blank, \(blank) AS apart FROM \(numbered) WHERE __sluice_line > \(layout.headerLines)")
    }
}

extension SparkCSV {
    /// `path` from the working directory, unless it is absolute or a URI (`hdfs://…`).
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") || path.contains("://") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// The SQL that cuts a line into fields and checks and types them, for one file's layout.
struct SparkCSVFields {
    let layout: CSVLayout
    let delimiter: String, quote: String?, escape: String?
    /// The columns read (checked and typed).
    let reading: Set<String>

    init(_ layout: CSVLayout, reading: Set<String>?) throws(SluiceError) {
        self.layout = layout
        self.reading = reading ?? Set(layout.fields.map(\.name))
        delimiter = Self.character(layout.dialect.delimiter)
        quote = layout.dialect.quote.map(Self.character)
        escape = layout.dialect.escape.flatMap { $0 == layout.dialect.quote ? nil : Self.character($0) }
    }

    /// A byte as a regular-expression character (escaped when it means something there).
    static func character(_ byte: UInt8) -> String {
        let character = Character(Unicode.Scalar(byte))
        return "\\^$.|?*+()[]{}".contains(character) ? "\\" + String(character) : String(character)
    }

    /// The quoted-field body: anything but the quote, a doubled quote, or the escape and any byte.
    var quotedBody: String {
        guard let quote else { return "" }
        // Possessive: runs of plain bytes in one step, no backtracking (Java's regex recurses per repetition).
        return "(?:[^\(quote)\(escape ?? "")]++|\(quote)\(quote)\(escape.map { "|\($0)[\\s\\S]" } ?? ""))*+"
    }

    /// The raw fields of a line: a quoted field with any stray text after it, or an unquoted one.
    func split(_ text: String) -> String {
        guard let quote else { return "split(\(text), \(SparkSQL.string(delimiter)), -1)" }
        // A field starts at the line's start or after a delimiter (a lookbehind: each match
        // consumes only its field, so an empty field never hides the delimiter after it).
        let field = "(?<=^|\(delimiter))(\(quote)\(quotedBody)\(quote)[^\(delimiter)]*|(?!\(quote))[^\(delimiter)]*)"
        // A line without a quote, the usual one, is cut at its delimiters, no pattern walked.
        return "CASE WHEN instr(\(text), \(quoteLiteral)) = 0 THEN split(\(text), \(SparkSQL.string(delimiter)), -1) "
            + "ELSE regexp_extract_all(\(text), \(SparkSQL.string(field)), 1) END"
    }

    /// A blank line: one empty, unquoted field.
    var blank: String { "__sluice_text = ''" }

    /// A line whose quote opens a field and does not close on it.
    var unterminated: String {
        guard let quote else { return "FALSE" }
        return "(instr(__sluice_text, \(quoteLiteral)) > 0 AND __sluice_text RLIKE \(SparkSQL.string("(?:^|\(delimiter))\(quote)\(quotedBody)$")))"
    }

    /// The columns each layer adds (see ``SparkCSV/register(_:reading:reports:into:)``): the
    /// fields the run reads or requires, each under `sluice_<form><index>`.
    var used: [Int] {
        layout.fields.indices.filter { reading.contains(layout.fields[$0].name) || layout.notNullColumns.contains(layout.fields[$0].name) }
    }

    func raw(_ index: Int) -> String { "__sluice_r\(index)" }
    func isQuoted(_ index: Int) -> String { quote == nil ? "FALSE" : "__sluice_q\(index)" }
    /// The field's text inside its quotes, still escaped (what Sluice's messages quote).
    func span(_ index: Int) -> String { "__sluice_s\(index)" }
    /// The field's value as text: unescaped; an empty unquoted field is null.
    func text(_ index: Int) -> String { "__sluice_t\(index)" }
    /// The text with spaces and tabs trimmed, as typed fields are read (empty: null).
    func trimmed(_ index: Int) -> String { "__sluice_w\(index)" }
    func typed(_ index: Int) -> String { "__sluice_v\(index)" }

    /// The quote byte as a SQL string literal.
    var quoteLiteral: String { SparkSQL.string(String(Character(Unicode.Scalar(layout.dialect.quote ?? 0)))) }

    /// The columns of layer `number` (1: raw; 2: quoted, inside the quotes; 3: text; 4: trimmed, typed).
    func layer(_ number: Int) -> String {
        used.map { index -> String in
            switch number {
            case 1:
                return "try_element_at(__sluice_fields, \(index + 1)) AS \(raw(index))"
            case 2:
                guard let quote else { return "FALSE AS __sluice_q\(index), \(raw(index)) AS \(span(index))" }
                let quoted = "startswith(\(raw(index)), \(quoteLiteral))"
                return "\(quoted) AS __sluice_q\(index), CASE WHEN \(quoted) THEN regexp_extract(\(raw(index)), "
                    + "\(SparkSQL.string("^\(quote)(\(quotedBody))\(quote)")), 1) ELSE \(raw(index)) END AS \(span(index))"
            case 3:
                guard quote != nil else { return "nullif(\(raw(index)), '') AS \(text(index))" }
                let character = String(Character(Unicode.Scalar(layout.dialect.quote ?? 0)))
                var inner = "replace(\(span(index)), \(SparkSQL.string(character + character)), \(quoteLiteral))"
                if let escape { inner = "regexp_replace(\(span(index)), \(SparkSQL.string("\(escape)([\\s\\S])")), '$1')" }
                return "CASE WHEN \(isQuoted(index)) THEN \(inner) WHEN \(raw(index)) = '' THEN NULL ELSE \(raw(index)) END AS \(text(index))"
            default:
                let trimmedText = "trim(BOTH ' \\t' FROM coalesce(\(text(index)), ''))"
                return "\(trimmedText) AS \(trimmed(index)), \(value(index, type: layout.fields[index].type, trimmedText: trimmedText)) AS \(typed(index))"
            }
        }.joined(separator: ", ")
    }

    /// The typed value of every file column (each failing row is rejected before this is read).
    var values: [String] {
        layout.fields.enumerated().map { index, field in
            let value = reading.contains(field.name) ? typed(index) : "CAST(NULL AS \(SparkSQL.type(field.type)))"
            return "\(value) AS \(SparkSQL.identifier(field.name))"
        }
    }

    func value(_ index: Int, type: DataType, trimmedText t: String) -> String {
        switch type {
        case .string: return text(index)
        case .int64: return "CASE WHEN \(t) RLIKE '^[+-]?[0-9]+$' THEN try_cast(\(t) AS BIGINT) END"
        case .decimal: return "CASE WHEN \(t) RLIKE \(SparkSQL.string(SparkCasts.decimalShape)) THEN try_cast(\(t) AS \(SparkSQL.type(type))) END"
        case .float64: return "CASE WHEN \(t) RLIKE \(SparkSQL.string(SparkCasts.floatShape)) THEN try_cast(\(t) AS DOUBLE) END"
        case .bool: return "CASE WHEN \(t) <> '' THEN \(boolean(t)) END"
        case .date: return "CASE WHEN \(t) <> '' THEN \(date(t, index)) END"
        case .timestamp: return "CASE WHEN \(t) <> '' THEN \(timestamp(t, index)) END"
        case .list: return "CAST(NULL AS \(SparkSQL.type(type)))"
        }
    }

    func boolean(_ t: String) -> String {
        "CASE WHEN lower(\(t)) IN ('t', 'y', '1', 'true', 'yes') THEN TRUE WHEN lower(\(t)) IN ('f', 'n', '0', 'false', 'no') THEN FALSE END"
    }

    func date(_ t: String, _ index: Int) -> String {
        var parts = [SparkCasts.isoDate(t)]
        for pattern in layout.formats[layout.fields[index].name] ?? [] {
            if let sql = try? SparkDateFormats.date(t, pattern: pattern) { parts.append(sql) }
        }
        return "coalesce(\(parts.joined(separator: ", ")))"
    }

    func timestamp(_ t: String, _ index: Int) -> String {
        var parts = [SparkCasts.isoTimestampOrNull(t)]
        for pattern in layout.formats[layout.fields[index].name] ?? [] {
            if let sql = try? SparkDateFormats.timestamp(t, pattern: pattern) { parts.append(sql) }
        }
        return "coalesce(\(parts.joined(separator: ", ")))"
    }

    /// Whether a non-empty trimmed field fails to read as `type`.
    func fails(_ index: Int, type: DataType) -> String? {
        switch type {
        case .string, .list: return nil
        default: return "\(typed(index)) IS NULL"
        }
    }

    /// The first failure of a record, as `named_struct(kind, column, message)`, or NULL.
    var failure: String {
        let expected = layout.fields.count
        var cases = [
            "WHEN \(unterminated) THEN \(Self.failure("unterminated_quote", nil, SparkSQL.string(Self.unterminatedMessage(layout))))",
            "WHEN octet_length(__sluice_text) > \(layout.maxLineBytes) THEN \(Self.failure("line_too_long", nil, SparkSQL.string("record longer than \(layout.maxLineBytes) bytes (an unclosed quote?)")))",
            "WHEN size(__sluice_fields) <> \(expected) THEN \(Self.failure("field_count", nil, "concat('expected \(expected) fields, found ', CAST(size(__sluice_fields) AS STRING))"))",
        ]
        for name in layout.notNullColumns {
            guard let index = layout.fields.firstIndex(where: { $0.name == name }) else { continue }
            let empty = "trim(BOTH ' \\t' FROM \(span(index))) = ''"
            cases.append("WHEN \(empty) THEN \(Self.failure("invalid_value", name, SparkSQL.string("\(name) is empty")))")
        }
        for (index, field) in layout.fields.enumerated() where reading.contains(field.name) {
            let column = field.name
            if let quote {
                let wellFormed = "\(raw(index)) RLIKE \(SparkSQL.string("^\(quote)\(quotedBody)\(quote)$"))"
                cases.append("WHEN \(isQuoted(index)) AND NOT \(wellFormed) THEN \(Self.failure("cast_failure", column, SparkSQL.string("text after the closing quote or an unclosed quote")))")
            }
            cases.append("WHEN instr(\(raw(index)), '\\uFFFD') > 0 THEN \(Self.failure("invalid_utf8", column, SparkSQL.string("invalid UTF-8 in column \(column)")))")
            guard let fails = fails(index, type: field.type) else { continue }
            let shown = "left(\(span(index)), 200)"
            let plain = "trim(BOTH ' \\t' FROM \(shown)) RLIKE '^[+-]?[0-9]*[.]?[0-9]*$' AND \(shown) RLIKE '[0-9]'"
            let isNumber: Bool
            switch field.type {
            case .int64, .decimal: isNumber = true
            default: isNumber = false
            }
            let overflow = Self.failure("overflow", column, "concat(\(shown), ' does not fit column \(Self.escaped(column)) (\(field.type))')")
            let cast = Self.failure("cast_failure", column, "concat('\\'', \(shown), '\\' is not a valid \(field.type) for column \(Self.escaped(column))')")
            let failing = "\(trimmed(index)) <> '' AND \(fails)"
            cases.append(isNumber ? "WHEN \(failing) AND \(plain) THEN \(overflow)" : "")
            cases.append("WHEN \(failing) THEN \(cast)")
        }
        return "CASE " + cases.filter { !$0.isEmpty }.joined(separator: " ") + " END"
    }

    static func failure(_ kind: String, _ column: String?, _ message: String) -> String {
        "named_struct('kind', \(SparkSQL.string(kind)), 'column', \(column.map(SparkSQL.string) ?? "CAST(NULL AS STRING)"), 'message', \(message))"
    }

    /// Text for inside a SQL string literal.
    static func escaped(_ text: String) -> String {
        let literal = SparkSQL.string(text)
        return String(literal.dropFirst().dropLast())
    }

    /// Sluice's message for a quote that does not close (with its own line limit: a stray quote
    /// is rejected alike by both engines).
    static func unterminatedMessage(_ layout: CSVLayout) -> String {
        let lines = max(1, layout.maxQuotedLines)
        return "a quoted value opened on this line does not close within \(lines) line\(lines == 1 ? "" : "s") or before the end of the file; "
            + "the line is rejected and reading goes on at the next (if values really span more lines, raise --max-quoted-lines)"
    }
}
