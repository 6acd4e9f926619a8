public import SluiceCore
public import SluiceEngine

/// A PostgreSQL table as a one-partition source: read once with `COPY (…) TO STDOUT`,
/// decoded into batches, and held in memory — the shape of a dimension table a join
/// broadcasts to every task.
///
/// Its column types come from the table itself: ``init(connectionString:table:columns:)``
/// reads them from the catalog (`pg_attribute`) before any work starts, so a table with
/// `varchar(10)` ids yields text ids and one with `integer` ids yields integers, and a missing
/// table or column is an error naming it, not a failure halfway through a run.
///
/// With `provenance`, the ``Provenance`` columns follow the table's: the table's name and
/// each row's number in the order the table was read (1-based), so a plan can reject a
/// dimension row by table and row; the table's rows are then counted in the run's reject
/// sink like a file's (`read == passed + rejected + apart`).
public final class PostgresTableSource: TableSource {
    public let connectionString: String
    public let table: QualifiedName
    public let schema: Schema
    /// How connecting is retried (the run's `--db-timeout`).
    public let retry: RetryPolicy
    /// Whether the schema ends with the provenance columns.
    public let provenance: Bool

    /// A source with a schema given by the caller (types are not checked against the table).
    public init(connectionString: String, table: QualifiedName, schema: Schema) {
        self.connectionString = connectionString
        self.table = table
        self.schema = schema
        self.retry = .default
        self.provenance = false
    }

    /// Reads the table's columns from the catalog and types the source after them.
    /// - Parameters:
    ///   - columns: the columns to read, in this order (all of them when nil).
    ///   - provenance: add the table's name and each row's number (see the type's notes).
    /// - Throws: a configuration error naming the table when it does not exist or lacks a
    ///   column, or a ``PostgresError`` when the server cannot be reached.
    public init(connectionString: String, table: QualifiedName, columns: [String]? = nil, retry: RetryPolicy = .default,
                provenance: Bool = false) throws {
        let connection = try PostgresConnection.connect(connectionString, retry: retry)
        defer { connection.close() }
        let found = try connection.execute("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [.text(table.quoted)])
        guard !found.rows.isEmpty else {
            throw SluiceError(.configuration, "table \(table) does not exist", location: connection.host,
                              hint: "create and fill it first (sluice generate ecommerce-db loads the sample dimension tables)")
        }
        var types: [String: String] = [:]
        var order: [String] = []
        for row in found.rows {
            guard let name = row[0], let type = row[1] else { continue }
            types[name] = type
            order.append(name)
        }
        var fields: [Field] = []
        for name in columns ?? order {
            guard let type = types[name] else {
                throw SluiceError(.configuration, "table \(table) has no column \(Identifier.quote(name)); it has: \(order.joined(separator: ", "))",
                                  location: connection.host, hint: "check the table, or point the job at the right database")
            }
            fields.append(Field(name, try Self.dataType(forPostgres: type, column: name, table: table)))
        }
        self.connectionString = connectionString
        self.table = table
        self.schema = Schema(provenance ? fields + Provenance.fields : fields)
        self.retry = retry
        self.provenance = provenance
    }

    /// The Sluice type a PostgreSQL column type is read as: integers → int64, `numeric(p,s)`
    /// → decimal(p,s), text types → string, `date`, `timestamp[tz]`, `boolean`, floats.
    /// - Throws: a configuration error for a type Sluice cannot hold exactly (`numeric`
    ///   without a scale, or wider than 18 digits; arrays; anything else unknown).
    public static func dataType(forPostgres type: String, column: String, table: QualifiedName) throws(SluiceError) -> DataType {
        switch type {
        case "smallint", "integer", "bigint": return .int64
        case "real", "double precision": return .float64
        case "boolean": return .bool
        case "date": return .date
        case "text", "name", "uuid", "citext": return .string
        default: break
        }
        if type.hasPrefix("character") || type.hasPrefix("varchar") || type.hasPrefix("char") { return .string }
        if type.hasPrefix("timestamp") { return .timestamp }
        if type.hasPrefix("numeric("), type.hasSuffix(")") {
            let parts = type.dropFirst("numeric(".count).dropLast().split(separator: ",").compactMap { Int($0.filter { $0 != " " }) }
            if parts.count == 2, parts[0] <= 18, parts[1] >= 0, parts[1] <= parts[0] { return .decimal(precision: parts[0], scale: parts[1]) }
        }
        throw SluiceError(.configuration, "column \(Identifier.quote(column)) of \(table) is \(type), which Sluice cannot read exactly",
                          hint: "give it a type such as text, bigint, numeric(p,s) with p ≤ 18, date or timestamp")
    }

    public var scanName: String { "PostgresScan" }
    public var displayName: String { table.description }
    public func partitionCount(config: ExecutionConfig) -> Int { 1 }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        let projected = Schema(projection.map { schema[$0] })
        let columns = Schema(projected.fields.filter { !Provenance.isProvenance($0.name) })
        var batches: [RecordBatch] = []
        let reservation = context.reservation("PostgreSQL table \(table)")
        var rows = 0
        do {
            let connection = try PostgresConnection.connect(connectionString, retry: retry)
            defer { connection.close() }
            try connection.copyOut(table: table, schema: columns, batchRows: context.batchRows) { batch in
                let withProvenance = projected.count == columns.count ? batch : addingProvenance(to: batch, firstRow: rows + 1, schema: projected)
                rows += batch.rowCount
                try reservation.grow(by: withProvenance.byteSize)
                batches.append(withProvenance)
            }
        } catch let error as PostgresError where error.code == .undefinedTable {
            throw SluiceError(.configuration, "table \(table) does not exist", location: error.host,
                              hint: "create and fill it first (sluice generate ecommerce-db loads the sample dimension tables)")
        } catch let error as PostgresError {
            throw error.sluiceError.at("reading table \(table)")
        } catch let error as SluiceError {
            throw error
        } catch {
            throw SluiceError(.io, "reading table \(table) failed: \(error)")
        }
        if provenance { context.runtime.rejects.count(source: displayName, read: rows, passed: rows, rejected: 0) }
        return MemoryBatchStream(batches)
    }

    /// `batch` (the table's columns) with the projected provenance columns put in: the
    /// table's name, and row numbers from `firstRow` on.
    private func addingProvenance(to batch: RecordBatch, firstRow: Int, schema projected: Schema) -> RecordBatch {
        var next = 0
        let columns = projected.fields.map { field -> Column in
            switch field.name {
            case Provenance.sourceColumn: return .string([String](repeating: displayName, count: batch.rowCount))
            case Provenance.lineColumn: return .int64((0..<batch.rowCount).map { Int64(firstRow + $0) })
            default:
                next += 1
                return batch.columns[next - 1]
            }
        }
        return RecordBatch(unchecked: projected, columns: columns, rowCount: batch.rowCount)
    }
}
