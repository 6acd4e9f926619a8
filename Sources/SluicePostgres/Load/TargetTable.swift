public import SluiceCore

/// A table a job loads into: its name, columns with PostgreSQL types, natural key, and how a
/// run's rows replace what is there.
public struct TargetTable: Sendable {
    /// How a load merges its rows into the table.
    public enum Mode: Sendable, Equatable {
        /// Insert new keys, update changed rows, leave identical rows untouched.
        case upsert
        /// Make the rows of the partitions the run covers (the distinct values of these
        /// columns in the new rows; all rows when empty) exactly the new rows.
        case replacePartitions([String])
        /// Add the rows as they are, COPYed straight into the table (an append-only raw
        /// layer: the pipeline decides, by file digest, that no row is added twice).
        case append
    }

    /// One column: its name, Sluice type, and the PostgreSQL type it is stored as.
    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: DataType
        public var postgresType: String

        public init(_ name: String, _ type: DataType, postgresType: String? = nil) {
            self.name = name
            self.type = type
            self.postgresType = postgresType ?? TargetTable.postgresType(for: type)
        }
    }

    /// A text column the load fills with the id of the run writing each row; it never makes
    /// a row count as changed, and an updated row takes the new id.
    public struct RunStamp: Sendable, Equatable {
        public var column: String
        public var runID: String

        public init(column: String, runID: String) {
            self.column = column
            self.runID = runID
        }
    }

    public var name: QualifiedName
    public var columns: [Column]
    public var key: [String]
    public var mode: Mode
    public var runStamp: RunStamp?
    /// Columns written with every insert or update but never compared: a row whose other
    /// values are the same is unchanged whatever these hold (where it was read from, say).
    public var uncompared: Set<String> = []
    /// A `timestamptz` column, beyond the result's, set to the load transaction's time when a
    /// row is inserted or its values change, and left alone when it is unchanged.
    public var changeStamp: String?

    public init(name: QualifiedName, columns: [Column], key: [String], mode: Mode = .upsert) {
        self.name = name
        self.columns = columns
        self.key = key
        self.mode = mode
    }

    /// A table shaped like `schema`, with per-column PostgreSQL type overrides.
    public init(name: QualifiedName, schema: Schema, key: [String], mode: Mode = .upsert, types: [String: String] = [:]) {
        self.init(name: name, columns: schema.fields.map { Column($0.name, $0.type, postgresType: types[$0.name]) }, key: key, mode: mode)
    }

    /// The PostgreSQL type a Sluice type is stored as by default.
    public static func postgresType(for type: DataType) -> String {
        switch type {
        case .int64: "bigint"
        case .float64: "double precision"
        case .decimal(let precision, let scale): "numeric(\(precision),\(scale))"
        case .bool: "boolean"
        case .string: "text"
        case .date: "date"
        case .timestamp: "timestamp without time zone"
        case .list(let element): postgresType(for: element) + "[]"
        }
    }

    /// The columns as stored: the result's, then the run stamp's.
    var storedColumns: [Column] {
        columns + (runStamp.map { [Column($0.column, .string)] } ?? [])
    }

    /// The stored columns whose values decide whether a row changed: all but the key and the
    /// run stamp.
    var comparedColumns: [String] {
        columns.map(\.name).filter { !key.contains($0) && !uncompared.contains($0) }
    }

    var quotedColumns: String { storedColumns.map { Identifier.quote($0.name) }.joined(separator: ", ") }

    /// `CREATE TABLE IF NOT EXISTS` with the key as primary key (quoted names throughout).
    var createSQL: String { createSQL(withKey: true) }

    /// The `CREATE TABLE`, with or without its primary key (a table created for a load gets
    /// its key after the rows are in: one sorted index build instead of a random insert into
    /// the index per row).
    func createSQL(withKey: Bool) -> String {
        var parts = storedColumns.map { column in
            "\(Identifier.quote(column.name)) \(column.postgresType)" + (key.contains(column.name) ? " NOT NULL" : "")
        }
        if let changeStamp { parts.append("\(Identifier.quote(changeStamp)) timestamptz NOT NULL DEFAULT now()") }
        if withKey, !key.isEmpty { parts.append(primaryKeyClause) }
        return "CREATE TABLE IF NOT EXISTS \(name.quoted) (\(parts.joined(separator: ", ")))"
    }

    var primaryKeyClause: String { "PRIMARY KEY (\(key.map(Identifier.quote).joined(separator: ", ")))" }

    /// Creates the table when missing; when it exists, checks that every column is there
    /// with a compatible type and that the key is its primary key.
    /// - Throws: a configuration error naming the table and the mismatch; nothing is changed.
    /// - Parameter deferKey: create a missing table without its primary key (the caller adds
    ///   it after loading; see ``createSQL(withKey:)``).
    /// - Returns: true when the table was created here.
    @discardableResult
    func ensure(on connection: PostgresConnection, deferKey: Bool = false) throws -> Bool {
        // Created only when missing, so a role that may write the table but not create
        // tables in its schema can still load.
        let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text(name.quoted)])
        guard exists.rows.first?[0] == "t" else {
            // A table in a schema of its own (`raw.sales`) creates the schema too, as dbt does.
            if let schema = name.schema,
               try connection.execute("SELECT to_regnamespace($1) IS NULL", [.text(schema.quoted)]).rows.first?[0] == "t" {
                try connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema.quoted)")
            }
            try connection.execute(createSQL(withKey: !deferKey))
            return true
        }
        let found = try serverColumns(on: connection)
        var existing: [String: String] = [:]
        for row in found.rows { if let column = row[0], let type = row[1] { existing[column] = type } }
        let written = Set(storedColumns.map(\.name) + (changeStamp.map { [$0] } ?? []))
        if let unfillable = found.rows.first(where: { $0[2] == "t" && !written.contains($0[0] ?? "") }), let column = unfillable[0] {
            throw SluiceError(.configuration, "table \(name) has column \(Identifier.quote(column)) NOT NULL without a default, which this job does not write",
                              location: "\(name)", hint: "give the column a default, drop NOT NULL, or load into another --table")
        }
        for column in storedColumns {
            guard let type = existing[column.name] else {
                throw SluiceError(.configuration, "table \(name) exists without column \(Identifier.quote(column.name))", location: "\(name)",
                                  hint: "drop or rename the existing table, or load into another --table")
            }
            guard Self.compatible(type, column.postgresType) else {
                throw SluiceError(.configuration, "table \(name) has column \(Identifier.quote(column.name)) of type \(type), expected \(column.postgresType)",
                                  location: "\(name)", hint: "drop or alter the existing table, or load into another --table")
            }
        }
        if let changeStamp, existing[changeStamp] != "timestamp with time zone" {
            throw SluiceError(.configuration, "table \(name) has no column \(Identifier.quote(changeStamp)) of type timestamp with time zone",
                              location: "\(name)", hint: "drop or alter the existing table, or load into another --table")
        }
        guard !key.isEmpty else { return false }
        let primary = try connection.execute("""
            SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = to_regclass($1) AND i.indisprimary
            """, [.text(name.quoted)])
        let keyColumns = Set(primary.rows.compactMap { $0[0] })
        guard keyColumns == Set(key) else {
            let actual = keyColumns.isEmpty ? "no primary key" : "primary key (\(keyColumns.sorted().joined(separator: ", ")))"
            throw SluiceError(.configuration, "table \(name) has \(actual), expected primary key (\(key.joined(separator: ", ")))",
                              location: "\(name)", hint: "the load upserts on that key; give the table that primary key or load into another --table")
        }
        return false
    }

    /// The table's columns as the server has them, in order: name, `format_type`, and whether
    /// a row must give it a value (NOT NULL with no default, identity or generation).
    private func serverColumns(on connection: PostgresConnection) throws -> PostgresResult {
        try connection.execute("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
            FROM pg_attribute a
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [.text(name.quoted)])
    }

    /// The server type of every stored column as ``BinaryCopyType``, read from the table as it
    /// is (a staging table made `LIKE` it has the same), or nil when one has no exact binary
    /// form (an `integer` column for 64-bit values, an array): the load then sends text, which
    /// the server converts.
    func binaryCopyTypes(on connection: PostgresConnection) throws -> [BinaryCopyType]? {
        let found = try serverColumns(on: connection)
        var server: [String: String] = [:]
        for row in found.rows { if let column = row[0], let type = row[1] { server[column] = type } }
        var types: [BinaryCopyType] = []
        for column in storedColumns {
            guard let type = server[column.name].flatMap({ BinaryCopyType(sluice: column.type, postgres: $0) }) else { return nil }
            types.append(type)
        }
        return types
    }

    /// Whether an existing column type holds our values without loss.
    static func compatible(_ existing: String, _ wanted: String) -> Bool {
        if existing == wanted { return true }
        let integers = ["smallint", "integer", "bigint"]
        if let have = integers.firstIndex(of: existing), let want = integers.firstIndex(of: wanted) { return have >= want }
        if existing == "numeric" && wanted.hasPrefix("numeric") { return true }
        if existing.hasPrefix("character varying") && wanted == "text" { return true }
        return false
    }
}
