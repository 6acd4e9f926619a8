import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// Issue 10, item 6: a key on two rows of a join's build side no longer multiplies the rows
/// that join it; it fails the run naming the key and lines, or is kept once as chosen.
@Suite("Duplicate keys on a join's build side")
struct JoinDuplicateKeyTests {
    /// Three orders of p1, one of p2.
    static func orders() throws -> RecordBatch {
        try TestSupport.batch([("id", .int64), ("product", .string), ("qty", .int64)], [
            [.int64(1), .string("p1"), .int64(2)], [.int64(2), .string("p2"), .int64(1)],
            [.int64(3), .string("p1"), .int64(5)], [.int64(4), .string("p1"), .int64(1)],
        ])
    }

    /// products as `dims.csv` would give them, with provenance: p1 on lines 2 and 4.
    static func products(provenance: Bool = true) throws -> RecordBatch {
        let rows: [[Value]] = [
            [.string("p1"), .string("tools"), .string("dims.csv"), .int64(2)],
            [.string("p2"), .string("toys"), .string("dims.csv"), .int64(3)],
            [.string("p1"), .string("garden"), .string("dims.csv"), .int64(4)],
        ]
        guard provenance else { return try TestSupport.batch([("product", .string), ("category", .string)], rows.map { Array($0.prefix(2)) }) }
        return try TestSupport.batch([("product", .string), ("category", .string), (Provenance.sourceColumn, .string), (Provenance.lineColumn, .int64)], rows)
    }

    static func frame(_ duplicates: DuplicateKeys, provenance: Bool = true, partitions: Int = 2) throws -> DataFrame {
        DataFrame(TestSupport.table(try orders(), partitions: partitions))
            .join(DataFrame(MemoryTable([try products(provenance: provenance)], schema: try products(provenance: provenance).schema, name: "products")),
                  on: "product", type: .left, duplicates: duplicates)
            .sort(.asc("id"))
    }

    /// A runtime whose reject sink has counted the three product rows as read and passed,
    /// as the CSV reader would have.
    static func runtime(workers: Int = 2) -> ExecutionRuntime {
        let runtime = TestSupport.runtime(workers: workers)
        runtime.rejects.count(source: "dims.csv", read: 3, passed: 3, rejected: 0)
        return runtime
    }

    static func counts(passed: Int, rejected: Int = 0, apart: Int = 0) -> SourceCounts {
        var counts = SourceCounts(source: "dims.csv")
        counts.read = 3
        counts.passed = passed
        counts.rejected = rejected
        counts.apart = apart
        return counts
    }

    @Test("allow (SQL's join): the three p1 orders fan out to six rows")
    func allow() throws {
        let rows = try Self.frame(.allow).collectBatch(runtime: Self.runtime()).rows
        #expect(rows.count == 7)
        #expect(try Self.frame(.allow).schema().names == ["id", "product", "qty", "category"], "the build side's provenance stays behind")
    }

    @Test("fail: one data error naming the file, the key and both lines", arguments: [1, 2])
    func fail(workers: Int) throws {
        #expect(performing: { _ = try Self.frame(.fail).collectBatch(runtime: Self.runtime(workers: workers)) }, throws: { error in
            guard let error = error as? SluiceError else { return false }
            return error.kind == .data && error.message == "duplicate key in dims.csv: product p1 is on lines 2 and 4"
                && error.location == "dims.csv line 4" && error.hint?.contains("--on-duplicate-key first") == true
        })
        // Without provenance, the plan's source name stands in.
        #expect(performing: { _ = try Self.frame(.fail, provenance: false).collectBatch(runtime: Self.runtime()) },
                throws: { ($0 as? SluiceError)?.message == "duplicate key in products: product p1 is on more than one row" })
    }

    @Test("first: each order joins the first p1 row once; the second is counted apart")
    func first() throws {
        let runtime = Self.runtime()
        let rows = try Self.frame(.first).collectBatch(runtime: runtime).rows
        #expect(rows.map { $0[3] } == [.string("tools"), .string("toys"), .string("tools"), .string("tools")])
        #expect(runtime.rejects.sourceCounts == [Self.counts(passed: 2, apart: 1)])
        #expect(runtime.rejects.totalRejected == 0)
    }

    @Test("reject: the second p1 row is a duplicate_key reject of its file and line; orders are not multiplied")
    func reject() throws {
        let runtime = Self.runtime()
        let rows = try Self.frame(.reject).collectBatch(runtime: runtime).rows
        #expect(rows.map { $0[3] } == [.string("tools"), .string("toys"), .string("tools"), .string("tools")])
        #expect(try runtime.rejects.allRejects() == [Reject(
            source: "dims.csv", line: 4, byteOffset: 0, column: "product", kind: .duplicateKey, raw: "p1,garden",
            message: "product p1 is already on line 2; the first row is kept"
        )])
        #expect(runtime.rejects.sourceCounts == [Self.counts(passed: 2, rejected: 1)])
    }

    @Test("after a join on a checked key, rows can still be rejected by line; after an unchecked one they cannot")
    func rejectAfterCheckedJoin() throws {
        let events = try TestSupport.batch([("id", .int64), ("product", .string), (Provenance.sourceColumn, .string), (Provenance.lineColumn, .int64)], [
            [.int64(1), .string("p1"), .string("e.json"), .int64(1)], [.int64(2), .string("p2"), .string("e.json"), .int64(2)],
        ])
        let runtime = TestSupport.runtime()
        runtime.rejects.count(source: "e.json", read: 2, passed: 2, rejected: 0)
        let dims = DataFrame(TestSupport.table(try Self.products(provenance: false)))
        let checked = DataFrame(TestSupport.table(events)).join(dims, on: "product", type: .left, duplicates: .first)
            .rejectWhen(col("category").eq(lit("toys")), kind: .invalidValue, reason: "no toys", column: "category")
        let rows = try checked.collectBatch(runtime: runtime).rows
        #expect(rows.map { $0[0] } == [.int64(1)])
        #expect(try runtime.rejects.allRejects().map { "\($0.source):\($0.line):\($0.column ?? "")" } == ["e.json:2:category"])
        let unchecked = DataFrame(TestSupport.table(events)).join(dims, on: "product", type: .left)
            .rejectWhen(col("category").eq(lit("toys")), kind: .invalidValue, reason: "no toys")
        #expect(performing: { _ = try unchecked.collectBatch(runtime: TestSupport.runtime()) },
                throws: { ($0 as? SluiceError)?.kind == .plan })
    }

    @Test("explain shows a checked key")
    func explain() throws {
        let text = try Self.frame(.reject).explain(config: ExecutionConfig(workers: 2))
        #expect(text.contains("product = product, duplicate keys: reject"))
    }
}
