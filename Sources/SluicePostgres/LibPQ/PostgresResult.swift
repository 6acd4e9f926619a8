/// The complete result of one statement run by ``PostgresConnection/execute(_:_:)``: column
/// names, every row as text (nil for NULL), and the command's row count.
///
/// Values are PostgreSQL's text output (the session uses ISO dates and UTC). A result is read
/// whole into memory; stream large reads with ``PostgresConnection/copyOut(query:schema:batchRows:_:)``.
///
/// ```swift
/// let result = try connection.execute("SELECT id, name FROM t WHERE id = $1", [7])
/// result[0, "name"]        // "seven"
/// ```
public struct PostgresResult: Sendable, Hashable {
    /// Column names in order.
    public let columns: [String]
    /// Rows of cells; nil is SQL NULL.
    public let rows: [[String?]]
    /// Rows inserted, updated, deleted, copied or selected (from `PQcmdTuples`), or nil when
    /// the command reports no count (DDL, `BEGIN`).
    public let rowsAffected: Int?
    /// The command tag, such as `INSERT 0 3` (from `PQcmdStatus`).
    public let commandTag: String

    /// A result from its parts (for tests and test doubles).
    public init(columns: [String] = [], rows: [[String?]] = [], rowsAffected: Int? = nil, commandTag: String = "") {
        self.columns = columns
        self.rows = rows
        self.rowsAffected = rowsAffected
        self.commandTag = commandTag
    }

    /// The cell at `row` in the column called `column`; nil for NULL, an unknown column or a
    /// row out of range.
    public subscript(row: Int, column: String) -> String? {
        guard rows.indices.contains(row), let index = columns.firstIndex(of: column) else { return nil }
        return rows[row][index]
    }

    /// All cells of the column called `name`, or nil when there is no such column.
    public func column(_ name: String) -> [String?]? {
        guard let index = columns.firstIndex(of: name) else { return nil }
        return rows.map { $0[index] }
    }
}
