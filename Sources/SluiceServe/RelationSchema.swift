import HTTPTypes
public import SluicePipelines
public import SluicePostgres

/// How a column's text from PostgreSQL becomes JSON, and how a client's text is checked
/// before it is sent as a parameter of that type.
public enum ValueKind: String, Sendable, Hashable {
    /// `smallint`, `integer`, `bigint`: a JSON number.
    case integer
    /// `real`, `double precision`: a JSON number (NaN and infinities as strings).
    case float
    /// `numeric`: a string, so that no client rounds it through a float.
    case decimal
    /// `boolean`: `true` / `false`.
    case boolean
    /// `date`: ISO 8601, `2023-12-01`.
    case date
    /// `timestamp with time zone`: RFC 3339 in UTC, `2024-01-01T10:30:00Z`.
    case timestamp
    /// `timestamp without time zone`: read as UTC, as Sluice writes every time.
    case localTimestamp
    /// `json`, `jsonb`: the value itself, an object or array.
    case json
    /// Everything else: a JSON string.
    case text

    /// The kind for a type name as `pg_type.typname` spells it.
    public init(typeName: String) {
        switch typeName {
        case "int2", "int4", "int8", "oid": self = .integer
        case "float4", "float8": self = .float
        case "numeric": self = .decimal
        case "bool": self = .boolean
        case "date": self = .date
        case "timestamptz": self = .timestamp
        case "timestamp": self = .localTimestamp
        case "json", "jsonb": self = .json
        default: self = .text
        }
    }
}

/// One column of a served relation, as the catalogue describes it.
public struct ServedColumn: Sendable, Hashable {
    public var name: String
    /// The type as SQL spells it (`numeric(12,2)`, `timestamp with time zone`), for casts of
    /// parameters, so that a filter compares values of the column's own type.
    public var sqlType: String
    public var kind: ValueKind
    /// False when the catalogue promises no NULL (NOT NULL, a primary key), which lets a
    /// cursor's condition be one an index can answer; a view's columns are always nullable.
    public var nullable: Bool

    public init(name: String, sqlType: String, kind: ValueKind, nullable: Bool = true) {
        self.name = name
        self.sqlType = sqlType
        self.kind = kind
        self.nullable = nullable
    }
}

/// A served table together with its columns in the database: what a request is checked
/// against and what its SQL is built from.
public struct RelationSchema: Sendable {
    public var table: ServedTable
    /// Every column, in the relation's order (the order of the JSON fields).
    public var columns: [ServedColumn]
    /// How its rows are written as JSON.
    public let layout: RowLayout
    private var byName: [String: Int]

    /// - Throws: ``APIError`` (500) when the pipeline declares a field the relation lacks: the
    ///   tables are older than this build of Sluice, and re-running the pipeline fixes it.
    public init(table: ServedTable, columns: [ServedColumn]) throws(APIError) {
        self.table = table
        self.columns = columns
        self.layout = RowLayout(columns: columns)
        var byName: [String: Int] = [:]
        for (index, column) in columns.enumerated() { byName[column.name] = index }
        self.byName = byName
        for field in Set(table.key + table.filters + table.search + table.ordering) where byName[field] == nil {
            throw APIError(.internalServerError, "\(table.relation) has no column '\(field)' that the \(table.pipeline) pipeline "
                + "serves: it was loaded by an older Sluice; run `sluice run \(table.pipeline)` again")
        }
    }

    /// The column called `name`, if any.
    public func column(_ name: String) -> ServedColumn? {
        byName[name].map { columns[$0] }
    }

    /// The columns of `table` from the catalogue, or nil when the relation does not exist.
    /// - Throws: ``PostgresError`` when the catalogue cannot be read.
    public static func columns(of relation: QualifiedName, on connection: PostgresConnection) throws -> [ServedColumn]? {
        let result = try connection.executePrepared("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.attnotnull
            FROM pg_catalog.pg_attribute AS a
            JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
            WHERE c.relname = $1 AND n.nspname = coalesce($2, current_schema()) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [.text(relation.name.name), relation.schema.map { .text($0.name) }])
        guard !result.rows.isEmpty else { return nil }
        return result.rows.map { row in
            let type = row[2] ?? "text"
            return ServedColumn(name: row[0] ?? "", sqlType: row[1] ?? "text", kind: ValueKind(typeName: type), nullable: row[3] != "t")
        }
    }
}
