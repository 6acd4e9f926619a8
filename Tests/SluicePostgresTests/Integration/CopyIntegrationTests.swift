import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite("COPY in and out (live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct CopyIntegrationTests {
    static let tableDDL = """
        id int8 PRIMARY KEY, name text, amount numeric(18,2), day date, ts timestamp, ratio float8, flag bool,
        tags text[], nums int8[], note text
        """

    static var schema: [(String, DataType)] { CopyFixtures.schema + [("note", .string)] }

    /// Row `i` of the big round trip: every type, nulls in every column, tricky text and specials.
    static func row(_ i: Int) -> [Value] {
        let tricky = CopyFixtures.trickyStrings
        let sign: Int64 = i % 2 == 0 ? 1 : -1
        let ratio: Value = switch i {
        case 5: .float64(.infinity)
        case 6: .float64(-.infinity)
        case 7: .float64(.leastNonzeroMagnitude)
        case 8: .float64(.greatestFiniteMagnitude)
        case _ where i % 19 == 0: .null
        default: .float64(Double(i) / 7.0 * Double(sign))
        }
        let day: Value = i % 997 == 0 ? .date(CopyFixtures.day(-200, 1, 1))
            : i % 13 == 0 ? .null : .date(Int32(i * 37 % 800_000) - 400_000)
        return [
            .int64(Int64(i)),
            tricky[i % tricky.count],
            i % 11 == 0 ? .null : .decimal((Int64(i) * 12_345 - 50_000_000) * sign, scale: 2),
            day,
            i % 17 == 0 ? .null : .timestamp(Int64(i) * 987_654_321_123 * sign),
            ratio,
            i % 23 == 0 ? .null : .bool(i % 2 == 0),
            i % 29 == 0 ? .null : .list((0..<(i % 4)).map { tricky[(i + $0) % tricky.count] }),
            i % 31 == 0 ? .null : .list([.int64(Int64(i)), .null, .int64(-Int64(i) * 1_000_000_007)]),
            .string(String(repeating: "x", count: i % 500) + "\t\(i)"),
        ]
    }

    @Test("10,000 rows of every type round-trip exactly through copyIn and copyOut")
    func bigRoundTrip() throws {
        let connection = try TestCluster.connect()
        let table = QualifiedName(name: TestCluster.uniqueName("round_trip"))
        try connection.execute("CREATE TABLE \(table.quoted) (\(Self.tableDDL))")
        let batch = try TestSupport.batch(Self.schema, (0..<10_000).map(Self.row))
        let parts = [batch.slice(0..<1), batch.slice(1..<4_000), batch.slice(4_000..<10_000)]
        let copied = try connection.copyIn(table: table, columns: batch.schema.names, batches: parts)
        #expect(copied == 10_000)

        var batches: [RecordBatch] = []
        let read = try connection.copyOut(
            query: "SELECT * FROM \(table.quoted) ORDER BY id", schema: batch.schema, batchRows: 3_000
        ) { batches.append($0) }
        #expect(read == 10_000)
        #expect(batches.map(\.rowCount) == [3_000, 3_000, 3_000, 1_000])
        let rows = TestSupport.rows(batches)
        #expect(rows.count == batch.rowCount)
        let expected = batch.rows
        let mismatches = zip(rows, expected).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(mismatches.isEmpty, "first mismatch: \(mismatches.first.map { "row \($0.offset): \($0.element.0) != \($0.element.1)" } ?? "")")

        // The server agrees with the values, not only our own decoder.
        let check = try connection.execute("SELECT sum(id), count(name), count(*) FILTER (WHERE name = $1) FROM \(table.quoted)", ["line1\nline2"])
        let count = CopyFixtures.trickyStrings.count
        let nonNull = (0..<10_000).filter { CopyFixtures.trickyStrings[$0 % count] != .null }.count
        let lines = (0..<10_000).filter { $0 % count == 2 }.count
        #expect(check.rows == [["49995000", String(nonNull), String(lines)]])
    }

    @Test("a table named with quotes, spaces, upper case and a keyword column loads and reads back")
    func oddNames() throws {
        let connection = try TestCluster.connect()
        let table = QualifiedName(schema: "public", name: "My \"odd\" Table")
        let columns = ["select", "Order ID", "from"]
        try connection.execute("""
            CREATE TABLE \(table.quoted) (\(Identifier("select").quoted) text, \(Identifier("Order ID").quoted) int8,
                                          \(Identifier("from").quoted) date)
            """)
        let batch = try TestSupport.batch(
            [("select", .string), ("Order ID", .int64), ("from", .date)],
            CopyFixtures.trickyStrings.enumerated().map { [$0.element, .int64(Int64($0.offset)), .date(Int32($0.offset))] }
        )
        #expect(try connection.copyIn(table: table, columns: columns, batches: [batch]) == batch.rowCount)
        var read: [RecordBatch] = []
        try connection.copyOut(table: table, schema: batch.schema) { read.append($0) }
        #expect(TestSupport.rows(read) == batch.rows)
        let selected = try connection.execute(
            "SELECT \(Identifier("select").quoted) FROM \(table.quoted) WHERE \(Identifier("Order ID").quoted) = $1", [10]
        )
        #expect(selected.rows == [["Robert'); DROP TABLE students;--"]])
        let exists = try connection.execute("SELECT count(*) FROM pg_tables WHERE tablename = $1", ["My \"odd\" Table"])
        #expect(exists.rows == [["1"]])
    }

    @Test("a throwing copyIn body aborts the COPY: no rows, and the connection stays usable")
    func copyInAbort() throws {
        let connection = try TestCluster.connect()
        let table = QualifiedName(name: TestCluster.uniqueName("abort"))
        try connection.execute("CREATE TABLE \(table.quoted) (n int8)")
        #expect(throws: Boom.self) {
            try connection.copyIn(sql: "COPY \(table.quoted) (n) FROM STDIN") { writer in
                try writer.write(Array("1\n2\n".utf8))
                throw Boom()
            }
        }
        #expect(try connection.execute("SELECT count(*) FROM \(table.quoted)").rows == [["0"]])
    }

    @Test("bad COPY data is a PostgresError with SQLSTATE, and the connection stays usable")
    func copyInBadData() throws {
        let connection = try TestCluster.connect()
        let table = QualifiedName(name: TestCluster.uniqueName("bad_data"))
        try connection.execute("CREATE TABLE \(table.quoted) (n int8 NOT NULL)")
        do {
            try connection.copyIn(sql: "COPY \(table.quoted) (n) FROM STDIN") { writer in
                try writer.write(Array("1\nnot a number\n".utf8))
            }
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.code == .invalidTextRepresentation)
            #expect(error.query?.hasPrefix("COPY") == true)
        }
        #expect(try connection.execute("SELECT count(*) FROM \(table.quoted)").rows == [["0"]])
    }

    @Test("a throwing copyOut body cancels the COPY and the connection stays usable")
    func copyOutAbort() throws {
        let connection = try TestCluster.connect()
        var seen = 0
        #expect(throws: Boom.self) {
            try connection.copyOut(
                query: "SELECT g FROM generate_series(1, 2000000) AS g", schema: Schema([Field("g", .int64)]), batchRows: 1_000
            ) { _ in
                seen += 1
                throw Boom()
            }
        }
        #expect(seen == 1)
        #expect(try connection.execute("SELECT 3").rows == [["3"]])
    }

    @Test("a schema that does not fit the query is a data error, and the connection stays usable")
    func schemaMismatch() throws {
        let connection = try TestCluster.connect()
        #expect(throws: SluiceError.self) {
            try connection.copyOut(query: "SELECT 'abc'::text", schema: Schema([Field("n", .int64)])) { _ in }
        }
        #expect(throws: SluiceError.self) {
            try connection.copyOut(query: "SELECT 1, 2", schema: Schema([Field("n", .int64)])) { _ in }
        }
        #expect(try connection.execute("SELECT 4").rows == [["4"]])
    }

    @Test("COPY through execute is refused without breaking the connection")
    func copyThroughExecute() throws {
        let connection = try TestCluster.connect()
        let table = QualifiedName(name: TestCluster.uniqueName("misuse"))
        try connection.execute("CREATE TABLE \(table.quoted) (n int8)")
        for sql in ["COPY \(table.quoted) FROM STDIN", "COPY \(table.quoted) TO STDOUT"] {
            do {
                try connection.execute(sql)
                Issue.record("expected a misuse error")
            } catch {
                #expect(error.code == .clientMisuse)
            }
            #expect(try connection.execute("SELECT 5").rows == [["5"]])
        }
        #expect(throws: PostgresError.self) { try connection.copyIn(sql: "SELECT 1") { _ in } }
        #expect(try connection.execute("SELECT 6").rows == [["6"]])
    }
}
