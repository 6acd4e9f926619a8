import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

/// Issue 9: any step of a plan can reject a row with its own reason, and the per-file
/// accounting `read == passed + rejected` still holds.
@Suite("rejects in the middle of a plan; per-value CSV outputs")
struct PlanRejectTests {
    static let log = """
        org_id,action,credits
        org_1,add,10
        ,add,5
        org_2,refund,3
        org_1,deduct,-2
        org_3,add,7

        """

    @Test("rejectWhen names the file and line, takes a reason per row, and keeps the file's counts exact", arguments: [1, 2])
    func rejectWhen(workers: Int) throws {
        let path = try TestSupport.writeTemporaryFile(Self.log)
        var options = CSVOptions(columnTypes: ["org_id": .string, "action": .string, "credits": .int64])
        options.provenance = true
        let runtime = TestSupport.runtime(workers: workers, batchRows: 2)
        let source = try CSVSource(path: path, options: options, rejects: runtime.rejects)
        #expect(source.schema.names == ["org_id", "action", "credits", Provenance.sourceColumn, Provenance.lineColumn])
        let result = try DataFrame(source)
            .rejectWhen(col("org_id").isNull(), kind: "missing_org_id", reason: "missing org_id")
            .rejectWhen(col("action").notEq(lit("add")).and(col("action").notEq(lit("deduct"))), kind: "unknown_action",
                        reason: .call(.concat, [lit("unknown action '"), col("action"), lit("'")]))
            .rejectWhen(col("credits").lt(lit(0)), kind: "negative_credits", reason: "negative credits")
            .select(col("org_id"), col("credits"), col(Provenance.lineColumn))
            .sort(.asc(Provenance.lineColumn))
            .collectBatch(runtime: runtime)
        #expect(result.rows == [
            [.string("org_1"), .int64(10), .int64(2)],
            [.string("org_3"), .int64(7), .int64(6)],
        ])
        let rejects = try runtime.rejects.allRejects()
        #expect(rejects.map(\.line) == [3, 4, 5])
        #expect(rejects.map(\.kind.rawValue) == ["missing_org_id", "unknown_action", "negative_credits"])
        #expect(rejects.map(\.message) == ["missing org_id", "unknown action 'refund'", "negative credits"])
        #expect(rejects.map(\.raw) == [",add,5", "org_2,refund,3", "org_1,deduct,-2"])
        #expect(rejects.allSatisfy { $0.source == path })
        let counts = try #require(runtime.rejects.sourceCounts.first)
        #expect(counts.read == 5 && counts.passed == 2 && counts.rejected == 3)
    }

    @Test("rejectWhen without provenance columns is refused when the plan is built")
    func needsProvenance() throws {
        let path = try TestSupport.writeTemporaryFile(Self.log)
        let source = try CSVSource(path: path)
        #expect(performing: {
            _ = try DataFrame(source).rejectWhen(col("org_id").isNull(), kind: "missing", reason: "missing").collectBatch(runtime: TestSupport.runtime())
        }, throws: { ($0 as? SluiceError)?.kind == .plan && "\($0)".contains(Provenance.sourceColumn) })
    }

    @Test("one file per value: names are the same every run, never shared, never outside the folder")
    func perValueNames() throws {
        #expect(PartitionedCSVOutput.fileName(for: "Books") == "Books")
        #expect(PartitionedCSVOutput.fileName(for: "Home Office").hasPrefix("Home_Office-"))
        #expect(PartitionedCSVOutput.fileName(for: "Home Office") != PartitionedCSVOutput.fileName(for: "Home_Office"))
        #expect(PartitionedCSVOutput.fileName(for: "Home_Office") == "Home_Office")
        let garden = PartitionedCSVOutput.fileName(for: "Home & Garden")
        #expect(garden.hasPrefix("Home___Garden-") && garden.count == "Home___Garden-".count + 8)
        #expect(PartitionedCSVOutput.fileName(for: "Home & Garden") == garden)
        #expect(PartitionedCSVOutput.fileName(for: "Home | Garden") != garden)
        let escape = PartitionedCSVOutput.fileName(for: "../../etc/passwd")
        #expect(!escape.contains("/") && !escape.hasPrefix("."))
        #expect(PartitionedCSVOutput.fileName(for: "★") != PartitionedCSVOutput.fileName(for: "☆"))

        let directory = try TestSupport.temporaryDirectory()
        let schema = Schema([Field("category", .string), Field("n", .int64)])
        let batch = try TestSupport.batch([("category", .string), ("n", .int64)], [
            [.string("Books"), .int64(1)], [.string("books"), .int64(2)], [.string("Home & Garden"), .int64(3)],
            [.string("Home | Garden"), .int64(4)], [.null, .int64(5)], [.string("Books"), .int64(6)],
        ])
        let output = try PartitionedCSVOutput(folder: directory.path, column: "category", schema: schema)
        try output.write(batch)
        try output.commit()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".csv") }
        #expect(files.count == 5)
        #expect(Set(files.map { $0.lowercased() }).count == 5, "two values share a file ignoring case: \(files)")
        let books = try String(contentsOfFile: directory.path + "/Books.csv", encoding: .utf8)
        #expect(books == "category,n\nBooks,1\nBooks,6\n")
        // A second run without some of the values leaves only its own files.
        let again = try PartitionedCSVOutput(folder: directory.path, column: "category", schema: schema)
        try again.write(try TestSupport.batch([("category", .string), ("n", .int64)], [[.string("Books"), .int64(7)]]))
        try again.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".csv") } == ["Books.csv"])
    }
}
