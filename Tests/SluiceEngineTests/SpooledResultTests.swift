import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

@Suite("Spooled step results")
struct SpooledResultTests {
    static let schema = Schema([Field("org", .string), Field("note", .string), Field("amount", .int64), Field("line", .int64)])

    @Test("a result that keeps some columns holds only those, in the order named, and a later frame reads them")
    func keeping() throws {
        let result = try SpooledResult(schema: Self.schema, name: "events", keeping: ["amount", "org"])
        #expect(result.schema.names == ["amount", "org"])
        let runtime = TestSupport.runtime(workers: 2)
        result.begin(runtime: runtime)
        let batch = try RecordBatch(schema: Self.schema, columns: [
            .string(["a", "b", "a"]), .string(["x", "y", "z"]), .int64([5, 7, 11]), .int64([1, 2, 3]),
        ])
        try result.append(batch)
        let totals = try DataFrame(result).groupBy("org").agg(Agg.sum(col("amount")).as("total")).sort(.asc("org"))
            .collectBatch(runtime: runtime)
        #expect(totals.rows == [[.string("a"), .int64(16)], [.string("b"), .int64(7)]])
    }

    @Test("a result read by two later steps gives each every row, spilled or held; a third read is refused", arguments: [nil, 1 << 20] as [Int?])
    func twoReaders(memory: Int?) throws {
        let result = try SpooledResult(schema: Self.schema, name: "events")
        let runtime = TestSupport.runtime(workers: 2, memory: memory)
        result.begin(runtime: runtime, reads: 2)
        for part in 0..<40 {
            let rows = 2_000
            try result.append(try RecordBatch(schema: Self.schema, columns: [
                .string((0..<rows).map { "org-\(($0 + part) % 7)" }), .string((0..<rows).map { "note \($0) of a batch long enough to spill" }),
                .int64((0..<rows).map { Int64($0) }), .int64((0..<rows).map { Int64(part * rows + $0) }),
            ]))
        }
        let count = { () throws -> [[Value]] in
            try DataFrame(result).groupBy([]).agg(Agg.count(), Agg.sum(col("line")).as("lines")).collectBatch(runtime: runtime).rows
        }
        let first = try count(), second = try count()
        #expect(first == [[.int64(80_000), .int64(Int64(80_000 * 79_999 / 2))]])
        #expect(second == first)
        #expect(throws: SluiceError.self) { _ = try count() }
    }

    @Test("keeping a column the step does not produce is a plan error naming it")
    func unknownColumn() {
        #expect {
            _ = try SpooledResult(schema: Self.schema, name: "events", keeping: ["amount", "balance"])
        } throws: { error in
            (error as? SluiceError)?.kind == .plan && (error as? SluiceError)?.message.contains("'balance'") == true
        }
    }

    @Test("a batch of other types than the step's is refused")
    func wrongBatch() throws {
        let result = try SpooledResult(schema: Self.schema, name: "events", keeping: ["org"])
        result.begin(runtime: TestSupport.runtime(workers: 1))
        let other = try RecordBatch(schema: Schema([Field("org", .string)]), columns: [.string(["a"])])
        #expect(throws: SluiceError.self) { try result.append(other) }
    }
}
