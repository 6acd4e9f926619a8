public import SluiceCore
public import SluiceEngine

/// The records a customers run's last-wins grouping superseded: each one's `customer_id`, file
/// and line, and the record that won (file and line). Filled while the grouping's rows flow
/// (``observation()``), which also sets each superseded record apart in its **own** file's
/// counts (so per file, rows read = loaded + quarantined + duplicates + blank lines, and the
/// engine's `read = passed + rejected + apart` holds); then read as a table, in file and line
/// order, by the step that writes `duplicates.csv`.
///
/// The grouping hands over each customer's records as a list of their ordering keys (file
/// ordinal × 2⁴⁰ + line, see ``CustomersRecords``): the greatest is the winner, the others
/// are what is listed here.
public final class CustomerDuplicates: TableSource {
    /// One superseded record: its ordering key and its winner's.
    public struct Entry: Sendable, Equatable {
        public var customerID: String
        public var ord: Int64
        public var winner: Int64
    }

    /// `customer_id, file, line, superseded_by_file, superseded_by_line`: `duplicates.csv`.
    public let schema = Schema([Field("customer_id", .string), Field("file", .string), Field("line", .int64),
                                Field("superseded_by_file", .string), Field("superseded_by_line", .int64)])
    public var scanName: String { "SupersededRecords" }
    public var displayName: String { "records superseded by the last-wins grouping" }

    /// The run's files by ordinal.
    let paths: [String]
    private let found = Locked<[Entry]>([])

    public init(paths: [String]) {
        self.paths = paths
    }

    /// Every superseded record, in file and line order.
    public var entries: [Entry] { found.withLock { $0 }.sorted { $0.ord < $1.ord } }

    /// `(file, line)` of an ordering key.
    public func place(_ ord: Int64) -> (file: String, line: Int64) {
        let ordinal = Int(ord / CustomersRecords.lineBits)
        return (paths.indices.contains(ordinal) ? paths[ordinal] : "file #\(ordinal)", ord % CustomersRecords.lineBits)
    }

    /// The figure `duplicates` over the grouped rows (`customer_id`, `ords`): lists the
    /// superseded records and sets each apart in its own file.
    public func observation() -> Observation {
        .custom("duplicates", columns: ["customer_id", "ords"]) { [self] batch, rejects throws(SluiceError) in
            try self.observe(batch, rejects: rejects)
        }
    }

    func observe(_ batch: RecordBatch, rejects: RejectSink) throws(SluiceError) -> Int64 {
        guard let idIndex = batch.schema.index(of: "customer_id"), let ordsIndex = batch.schema.index(of: "ords"),
              case .list(let offsets, let values) = batch.columns[ordsIndex].storage, case .int64(let ords) = values.storage
        else {
            throw SluiceError.internal("the customers grouping's rows have no customer_id and ords (list<int64>): \(batch.schema)")
        }
        var entries: [Entry] = []
        var perFile: [Int: Int] = [:]
        let ids = batch.columns[idIndex]
        for row in 0..<batch.rowCount {
            let group = ords[Int(offsets[row])..<Int(offsets[row + 1])]
            guard group.count > 1, let winner = group.max() else { continue }
            let id = ids.isNull(row) ? "" : ids.value(at: row).description
            for ord in group where ord != winner {
                entries.append(Entry(customerID: id, ord: ord, winner: winner))
                perFile[Int(ord / CustomersRecords.lineBits), default: 0] += 1
            }
        }
        for (ordinal, count) in perFile.sorted(by: { $0.key < $1.key }) where paths.indices.contains(ordinal) {
            rejects.count(source: paths[ordinal], read: 0, passed: -count, rejected: 0, apart: count)
        }
        if !entries.isEmpty { found.withLock { $0 += entries } }
        return Int64(entries.count)
    }

    public func partitionCount(config: ExecutionConfig) -> Int { 1 }

    public func open(partition: Int, projection: [Int], context: TaskContext) throws(SluiceError) -> any BatchStream {
        let entries = self.entries
        let winners = entries.map { place($0.winner) }, losers = entries.map { place($0.ord) }
        let batch = try RecordBatch(schema: schema, columns: [
            .string(entries.map(\.customerID)), .string(losers.map(\.file)), .int64(losers.map(\.line)),
            .string(winners.map(\.file)), .int64(winners.map(\.line)),
        ])
        return try MemoryTable(schema: schema, partitions: [[batch]], name: displayName).open(partition: 0, projection: projection, context: context)
    }
}
