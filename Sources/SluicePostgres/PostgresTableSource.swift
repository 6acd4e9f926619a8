public import SluiceCore
public import SluiceEngine

/// A PostgreSQL table (or query) as a one-partition source: read once with
/// `COPY (…) TO STDOUT`, decoded into batches of the given schema, and held in memory — the
/// shape of a dimension table a join broadcasts to every task.
public final class PostgresTableSource: TableSource {
    public let connectionString: String
    public let table: QualifiedName
    public let schema: Schema

    /// - Parameter schema: the columns to read, by name, with the types to decode them as.
    public init(connectionString: String, table: QualifiedName, schema: Schema) {
        self.connectionString = connectionString
        self.table = table
        self.schema = schema
    }

    public var scanName: String { "PostgresScan" }
    public var displayName: String { table.description }
    public func partitionCount(config: ExecutionConfig) -> Int { 1 }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws -> any BatchStream {
        let connection = try PostgresConnection.connect(connectionString)
        defer { connection.close() }
        let columns = Schema(projection.map { schema[$0] })
        var batches: [RecordBatch] = []
        let reservation = context.reservation("PostgreSQL table \(table)")
        do {
            try connection.copyOut(table: table, schema: columns, batchRows: context.batchRows) { batch in
                try reservation.grow(by: batch.byteSize)
                batches.append(batch)
            }
        } catch let error as PostgresError where error.code == .undefinedTable {
            throw SluiceError(.configuration, "table \(table) does not exist", location: error.host,
                              hint: "create and fill it first (sluice generate ecommerce-db loads the sample dimension tables)")
        }
        return MemoryBatchStream(batches)
    }
}
