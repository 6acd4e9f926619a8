import SluiceCore
@testable import SluiceEngine
import SluiceTestSupport
import Testing

/// Inlining a held result's producer, and dropping the sorts nothing can see.
@Suite("plan rewrites")
struct PlanRewriteTests {
    static let schema = Schema([Field("k", .string), Field("v", .int64)])

    static func source() throws -> MemoryTable {
        TestSupport.table(try RecordBatch(schema: schema, columns: [.string(["b", "a", "b", "c"]), .int64([1, 2, 3, 4])]), partitions: 2)
    }

    static func sorts(_ plan: LogicalPlan) -> Int {
        if case .sort(_, let input) = plan { return 1 + sorts(input) }
        return plan.inputs.reduce(0) { $0 + sorts($1) }
    }

    @Test("a sort under sum, count, min and max goes; under a user aggregate, or with nothing above, it stays")
    func sortElimination() throws {
        let sorted = DataFrame(try Self.source()).sort(.asc("v")).select(col("k"), col("v"))
        let summed = sorted.groupBy("k").agg(Agg.sum(col("v")).as("s"), Agg.count().as("n"), Agg.min(col("v")).as("lo"), Agg.max(col("v")).as("hi"))
        #expect(Self.sorts(SortElimination.apply(summed.plan)) == 0)
        #expect(Self.sorts(SortElimination.apply(sorted.plan)) == 1)
        let custom = sorted.groupBy("k").agg(Agg.udaf(Spread(), col("v")).as("spread"))
        #expect(Self.sorts(SortElimination.apply(custom.plan)) == 1)
        // The sort above the aggregate (its output order) is kept.
        #expect(Self.sorts(SortElimination.apply(summed.sort(.asc("k")).plan)) == 1)
        let rows = TestSupport.rows([try summed.sort(.asc("k")).collectBatch(runtime: TestSupport.runtime())])
        #expect(rows.map { $0[1] } == [.int64(2), .int64(4), .int64(4)])
    }

    @Test("a scan of a held result, inlined, reads the producer's plan with the scan's columns")
    func inlining() throws {
        let producer = DataFrame(try Self.source()).withColumn("w", col("v") * lit(10)).sort(.asc("v"))
        let held = try SpooledResult(schema: try producer.schema(), name: "first", keeping: ["k", "w"])
        let reader = DataFrame(held).groupBy("k").agg(Agg.sum(col("w")).as("total")).sort(.asc("k"))
        #expect(reader.plan.scanCount(of: held) == 1)
        let inlined = DataFrame(reader.plan.inlining(held, with: producer.plan))
        #expect(inlined.plan.scanCount(of: held) == 0)
        #expect(try inlined.schema() == (try reader.schema()))
        let rows = TestSupport.rows([try inlined.collectBatch(runtime: TestSupport.runtime())])
        #expect(rows == [[.string("a"), .int64(20)], [.string("b"), .int64(40)], [.string("c"), .int64(40)]])
    }

    @Test("an aggregate nothing above reads is not computed; the keys still group, and the rest is unchanged")
    func unreadAggregatePruned() throws {
        let grouped = DataFrame(try Self.source()).groupBy("k").agg(Agg.sum(col("v")).as("s"), Agg.min(col("v")).as("first"), Agg.count().as("n"))
        let counted = grouped.select(col("k"), col("n")).sort(.asc("k"))
        let plan = try counted.explain(config: ExecutionConfig(workers: 2))
        #expect(plan.contains("count(…) AS n") && !plan.contains("sum(") && !plan.contains("min("))
        let rows = TestSupport.rows([try counted.collectBatch(runtime: TestSupport.runtime())])
        #expect(rows == [[.string("a"), .int64(1)], [.string("b"), .int64(2)], [.string("c"), .int64(1)]])
        // Read through an expression, the aggregate stays.
        let doubled = grouped.select(col("k"), (col("s") * lit(2)).alias("s2")).sort(.asc("k"))
        #expect(try doubled.explain(config: ExecutionConfig(workers: 2)).contains("sum(…) AS s"))
        #expect(TestSupport.rows([try doubled.collectBatch(runtime: TestSupport.runtime())]).map { $0[1] } == [.int64(4), .int64(8), .int64(8)])
        // A global aggregate keeps one result, so its single row is still produced.
        let global = DataFrame(try Self.source()).groupBy([]).agg(Agg.count().as("n"), Agg.sum(col("v")).as("s")).select(lit(1).alias("one"))
        #expect(TestSupport.rows([try global.collectBatch(runtime: TestSupport.runtime())]) == [[.int64(1)]])
    }

    @Test("nullIfEmpty(trim(c)) goes into the scan only where every use of c is that cleaned form, and only for text")
    func scanCleaningChoosesColumns() {
        let schema = Schema([Field("a", .string), Field("b", .string), Field("c", .string), Field("n", .int64)])
        let cleaned = { (name: String) in col(name).trim().nullIfEmpty() }
        let (expressions, trimmed) = ScanCleaning.push([
            cleaned("a").alias("a"), cleaned("b").lower().alias("b"), col("c"), cleaned("c").alias("c2"), cleaned("n").alias("n"), cleaned("a"),
        ], over: schema)
        #expect(trimmed == ["a", "b"])
        #expect(expressions == [
            col("a"), col("b").lower().alias("b"), col("c"), cleaned("c").alias("c2"), cleaned("n").alias("n"), col("a").alias("nullIfEmpty(trim(a))"),
        ])
        #expect(ScanCleaning.push([col("a").trim().alias("a")], over: schema).trimmed.isEmpty)
    }
}

/// max − min, declared without `ignoresInputOrder`, so a sort below it stays.
private struct Spread: UserDefinedAggregate {
    var name: String { "spread" }
    func returnType(_ inputs: [DataType]) -> DataType { .int64 }
    func initialState() -> [Int64] { [] }
    func update(_ state: inout [Int64], _ inputs: [Column], rows: [Int32]) {
        guard case .int64(let values) = inputs[0].storage else { return }
        for row in rows { state.append(values[Int(row)]) }
    }
    func merge(_ state: inout [Int64], _ other: [Int64]) { state += other }
    func finish(_ state: [Int64]) -> Value { state.isEmpty ? .null : .int64((state.max() ?? 0) - (state.min() ?? 0)) }
    func encode(_ state: [Int64]) -> [UInt8] { state.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } } }
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int64] {
        stride(from: 0, to: bytes.count, by: 8).map { start in (0..<8).reduce(Int64(0)) { $0 | Int64(bytes[start + $1]) << ($1 * 8) } }
    }
}
