import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("binary COPY (live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct CopyBinaryTests {
    static let ddl = """
        id int8, name text, code varchar(40), amount numeric(20,2), whole numeric(19,0), fine numeric(19,5), day date, ts timestamp,
        tstz timestamptz, ratio float8, flag bool
        """
    static let schema: [(String, DataType)] = [
        ("id", .int64), ("name", .string), ("code", .string), ("amount", .decimal(precision: 18, scale: 2)),
        ("whole", .decimal(precision: 18, scale: 0)), ("fine", .decimal(precision: 18, scale: 5)), ("day", .date), ("ts", .timestamp),
        ("tstz", .timestamp), ("ratio", .float64), ("flag", .bool),
    ]
    static let types: [BinaryCopyType] = [.bigint, .text, .text, .numeric, .numeric, .numeric, .date, .timestamp, .timestamp, .double, .boolean]

    /// Decimals at every place a base-10000 digit boundary can fall, signs, zeros, the 64-bit ends.
    static let scaled: [Int64] = [
        0, 1, -1, 9, 10, 99, 100, 9_999, 10_000, -10_000, 12_345_678, 100_000_000, 999_999_999_999_999_999, -999_999_999_999_999_999,
        Int64.max, Int64.min + 1, 1_000_000_000_000_000, 123_456_789_012_345, 50_000, 7_00000,
    ]

    static func row(_ i: Int) -> [Value] {
        let tricky = CopyFixtures.trickyStrings
        let value = scaled[i % scaled.count] / (i % 3 == 0 ? 1 : Int64(i % 7 + 1))
        let amount: Value = i % 11 == 0 ? .null : .decimal(value, scale: 2)
        let whole: Value = i % 13 == 0 ? .null : .decimal(value, scale: 0)
        let fine: Value = i % 17 == 0 ? .null : .decimal(value, scale: 5)
        let day: Value = i % 19 == 0 ? .null : .date(Int32(i * 37 % 800_000) - 400_000)
        let ts: Value = i % 23 == 0 ? .null : .timestamp(Int64(i) * 987_654_321_123 * (i % 2 == 0 ? 1 : -1))
        let ratio: Value = i % 29 == 0 ? .null : .float64(i == 5 ? .infinity : i == 6 ? -.infinity : Double(i) / 7.0 - 100)
        return [.int64(i % 31 == 0 ? Int64.min + Int64(i) : Int64(i) * 1_000_003), tricky[i % tricky.count], tricky[(i + 3) % tricky.count],
                amount, whole, fine, day, ts, ts, ratio, i % 37 == 0 ? .null : .bool(i % 2 == 0)]
    }

    @Test("5,000 rows of every binary type read back exactly as the same rows sent as text")
    func sameAsText() throws {
        let connection = try TestCluster.connect()
        let text = QualifiedName(name: TestCluster.uniqueName("copy_text")), binary = QualifiedName(name: TestCluster.uniqueName("copy_binary"))
        for table in [text, binary] { try connection.execute("CREATE TABLE \(table.quoted) (\(Self.ddl))") }
        let batch = try TestSupport.batch(Self.schema, (0..<5_000).map(Self.row))
        let parts = [batch.slice(0..<1), batch.slice(1..<2_500), batch.slice(2_500..<5_000)]
        #expect(try connection.copyIn(table: text, columns: batch.schema.names, batches: parts) == 5_000)
        let columns = batch.schema.names.map(Identifier.quote).joined(separator: ", ")
        let writer = try connection.startCopyIn(sql: "COPY \(binary.quoted) (\(columns)) FROM STDIN (FORMAT binary)", binary: Self.types)
        for part in parts { try writer.write(part) }
        #expect(try writer.finish() == 5_000)
        for (a, b) in [(text, binary), (binary, text)] {
            let differing = try connection.execute("SELECT count(*) FROM (SELECT * FROM \(a.quoted) EXCEPT ALL SELECT * FROM \(b.quoted)) d")
            #expect(differing.rows == [["0"]])
        }
        // The scales are the declared ones, and the extreme values are exact.
        let extremes = try connection.execute("""
            SELECT max(amount)::text, max(whole)::text, max(fine)::text, min(amount)::text, min(fine)::text FROM \(binary.quoted)
            """)
        #expect(extremes.rows == [["92233720368547758.07", "9223372036854775807", "92233720368547.75807", "-92233720368547758.07",
                                   "-92233720368547.75807"]])
    }

    @Test("a NUL byte in text is refused with its row and column, and nothing of the COPY stays")
    func nul() throws {
        let connection = try TestCluster.connect()
        let table = QualifiedName(name: TestCluster.uniqueName("copy_nul"))
        try connection.execute("CREATE TABLE \(table.quoted) (name text)")
        let batch = try TestSupport.batch([("name", .string)], [[.string("fine")], [.string("bad\u{0}byte")]])
        #expect(performing: {
            try connection.copyIn(sql: "COPY \(table.quoted) (name) FROM STDIN (FORMAT binary)") { _ in }
        }, throws: { _ in true })
        let writer = try connection.startCopyIn(sql: "COPY \(table.quoted) (name) FROM STDIN (FORMAT binary)", binary: [.text])
        #expect(performing: { try writer.write(batch) }, throws: { "\($0)".contains("row 2, column 'name'") && "\($0)".contains("NUL") })
        writer.abort()
        #expect(try connection.execute("SELECT count(*) FROM \(table.quoted)").rows == [["0"]])
    }

    @Test("only exact server types have a binary form; the rest load as text")
    func typeMatching() {
        #expect(BinaryCopyType(sluice: .int64, postgres: "bigint") == .bigint)
        #expect(BinaryCopyType(sluice: .int64, postgres: "integer") == nil)
        #expect(BinaryCopyType(sluice: .string, postgres: "character varying(10)") == .text)
        #expect(BinaryCopyType(sluice: .decimal(precision: 12, scale: 2), postgres: "numeric(12,2)") == .numeric)
        #expect(BinaryCopyType(sluice: .decimal(precision: 12, scale: 2), postgres: "double precision") == nil)
        #expect(BinaryCopyType(sluice: .timestamp, postgres: "timestamp with time zone") == .timestamp)
        #expect(BinaryCopyType(sluice: .list(.int64), postgres: "bigint[]") == nil)
        #expect(BinaryCopyType(sluice: .string, postgres: "jsonb") == nil)
    }
}
