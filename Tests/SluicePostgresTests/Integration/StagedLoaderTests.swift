import Foundation
import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("Idempotent staged loads (live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct StagedLoaderTests {
    static let schema = Schema([
        Field("Order ID", .string), Field("select", .string), Field("amount", .decimal(precision: 12, scale: 2)), Field("day", .date),
    ])

    static func batch(_ rows: [(String, String?, Int64, Int32)]) throws -> RecordBatch {
        try RecordBatch(schema: schema, columns: [
            .string(rows.map(\.0)),
            try .from(rows.map { $0.1.map(Value.string) ?? .null }, type: .string),
            .decimal(rows.map(\.2), precision: 12, scale: 2),
            .date(rows.map(\.3)),
        ])
    }

    static let tricky = "tab\there, newline\nthere, 'quotes' \"double\" back\\slash, ünïcödé ✓; DROP TABLE x; --"

    @Test("upsert: awkward identifiers, values round-trip exactly, a re-run changes nothing, changes update only what changed")
    func upsert() throws {
        let connection = try PostgresConnection(try TestCluster.newDatabase("upsert"))
        let name = QualifiedName(name: "My \"odd\" Table")
        let target = TargetTable(name: name, schema: Self.schema, key: ["Order ID"])
        let first = try Self.batch([("a", Self.tricky, 1_050, 19_000), ("b", nil, 2, 19_001), ("c", "plain", 300, 19_002)])
        let loaded = try connection.transaction { try StagedLoader.load([first], into: target, on: $0) }
        #expect(loaded.inserted == 3 && loaded.updated == 0 && loaded.unchanged == 0)
        var read: [RecordBatch] = []
        try connection.copyOut(query: "SELECT * FROM \(name.quoted) ORDER BY \"Order ID\"", schema: Self.schema) { read.append($0) }
        #expect(read.flatMap(\.rows) == first.rows)
        let again = try connection.transaction { try StagedLoader.load([first], into: target, on: $0) }
        #expect(again.changed == 0 && again.unchanged == 3)
        let changed = try Self.batch([("a", Self.tricky, 1_050, 19_000), ("b", "now set", 2, 19_001), ("c", "plain", 300, 19_002), ("d", "new", 1, 19_003)])
        let update = try connection.transaction { try StagedLoader.load([changed], into: target, on: $0) }
        #expect(update.inserted == 1 && update.updated == 1 && update.unchanged == 2)
    }

    @Test("replace partitions: only the covered days change; a re-run deletes and inserts nothing")
    func replacePartitions() throws {
        let connection = try PostgresConnection(try TestCluster.newDatabase("replace"))
        let target = TargetTable(name: QualifiedName(name: "daily"), schema: Self.schema, key: ["Order ID", "day"], mode: .replacePartitions(["day"]))
        _ = try connection.transaction {
            try StagedLoader.load([try Self.batch([("a", "x", 1, 1), ("b", "x", 2, 1), ("c", "x", 3, 2)])], into: target, on: $0)
        }
        let result = try connection.transaction {
            try StagedLoader.load([try Self.batch([("a", "x", 1, 1), ("z", "x", 9, 1)])], into: target, on: $0)
        }
        #expect(result.deleted == 1 && result.inserted == 1 && result.unchanged == 1)
        let rows = try connection.execute("SELECT \"Order ID\", day FROM daily ORDER BY 1").rows
        #expect(rows == [["a", "1970-01-02"], ["c", "1970-01-03"], ["z", "1970-01-02"]])
        let rerun = try connection.transaction {
            try StagedLoader.load([try Self.batch([("a", "x", 1, 1), ("z", "x", 9, 1)])], into: target, on: $0)
        }
        #expect(rerun.changed == 0)
    }

    @Test("an existing table of another shape is a clear error and nothing is written")
    func incompatible() throws {
        let connection = try PostgresConnection(try TestCluster.newDatabase("shape"))
        try connection.execute("CREATE TABLE \"orders\" (\"Order ID\" text PRIMARY KEY, \"select\" integer, amount numeric, day date)")
        let target = TargetTable(name: QualifiedName(name: "orders"), schema: Self.schema, key: ["Order ID"])
        #expect(performing: {
            try connection.transaction { try StagedLoader.load([try Self.batch([("a", "x", 1, 1)])], into: target, on: $0) }
        }, throws: { ($0 as? SluiceError)?.message.contains("\"select\" of type integer, expected text") == true })
        #expect(try connection.execute("SELECT count(*) FROM orders").rows == [["0"]])
    }
}
