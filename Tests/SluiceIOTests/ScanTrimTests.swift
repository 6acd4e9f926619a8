import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

/// `nullIfEmpty(trim(c))` over a CSV scan is done by the scan while it parses; the values must
/// be exactly those of the functions run over the raw columns.
@Suite("trimming pushed into the CSV scan")
struct ScanTrimTests {
    /// Padding of every kind, quoted padding, a quoted empty, blank-only fields, an escaped
    /// quote beside padding, a quoted line break, CRLF endings.
    static let text = "id,name,note\r\n"
        + "1,  Ann ,x\r\n"
        + "2,\"  Bo \",\"\"\r\n"
        + "3,\t,\"  \"\r\n"
        + "4,,\" a\"\"b \"\r\n"
        + "5,\" two\r\nlines \",  \r\n"
        + "6,Cy,\tz\t\r\n"

    static func cleaned(_ name: String) -> Expr { col(name).trim().nullIfEmpty() }

    @Test("the pushed cleaning gives the values trim and nullIfEmpty give", arguments: [1, 2])
    func sameValues(workers: Int) throws {
        let path = try TestSupport.writeTemporaryFile(Self.text)
        let options = CSVOptions(columnTypes: ["id": .int64, "name": .string, "note": .string])
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: workers, batchRows: 2, splitBytes: 16))
        let frame = DataFrame(try CSVSource(path: path, options: options))
            .select(col("id"), Self.cleaned("name").alias("name"), Self.cleaned("note").lower().alias("note"))
            .sort(.asc("id"))
        let plan = try frame.explain(config: runtime.config)
        #expect(plan.contains("trimmed=[name, note]"))
        #expect(!plan.contains("trim("))
        let pushed = try frame.collectBatch(runtime: runtime)

        // The same expressions over the raw columns, evaluated by the functions themselves.
        let raw = try DataFrame(try CSVSource(path: path, options: options)).collectBatch(runtime: runtime)
        let reference = try DataFrame(TestSupport.table(raw))
            .select(col("id"), Self.cleaned("name").alias("name"), Self.cleaned("note").lower().alias("note"))
            .sort(.asc("id"))
            .collectBatch(runtime: runtime)
        #expect(pushed.rows == reference.rows)
        #expect(pushed.rows == [
            [.int64(1), .string("Ann"), .string("x")],
            [.int64(2), .string("Bo"), .null],
            [.int64(3), .null, .null],
            [.int64(4), .null, .string("a\"b")],
            [.int64(5), .string("two\r\nlines"), .null],
            [.int64(6), .string("Cy"), .string("z")],
        ])
    }

    @Test("a column also read raw is not trimmed by the scan")
    func rawUseKeepsTheField() throws {
        let path = try TestSupport.writeTemporaryFile(Self.text)
        let options = CSVOptions(columnTypes: ["id": .int64, "name": .string, "note": .string])
        let runtime = TestSupport.runtime(workers: 1)
        let frame = DataFrame(try CSVSource(path: path, options: options))
            .select(col("id"), Self.cleaned("name").alias("clean"), col("name").alias("raw"))
            .sort(.asc("id"))
        #expect(!(try frame.explain(config: runtime.config)).contains("trimmed="))
        let rows = try frame.collectBatch(runtime: runtime).rows
        #expect(rows[0] == [.int64(1), .string("Ann"), .string("  Ann ")])
        #expect(rows[1] == [.int64(2), .string("Bo"), .string("  Bo ")])
    }
}
