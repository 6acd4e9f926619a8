import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

@Suite("Hash aggregation")
struct AggregateTests {
    static let sales = [
        ("customer", DataType.string), ("product", .string), ("units", .int64), ("day", .date),
    ]

    static func day(_ text: String) -> Value { .date(DateEncoding.parseDate(text) ?? 0) }

    static func salesBatch() throws -> RecordBatch {
        try TestSupport.batch(sales, [
            [.string("c1"), .string("B"), .int64(5), day("2024-01-30")],
            [.string("c1"), .string("A"), .int64(3), day("2024-01-31")],
            [.string("c1"), .string("A"), .int64(2), day("2024-02-01")],
            [.string("c2"), .string("Z"), .int64(1), day("2023-12-31")],
            [.string("c2"), .string("Y"), .int64(1), day("2024-01-01")],
            [.string("c3-with-a-long-id"), .string("Q"), .int64(7), day("2024-03-01")],
            [.string("c1"), .string("C"), .int64(4), day("2024-02-01")],
        ])
    }

    @Test("two-level aggregation gives argMax with ties and streaks", arguments: [1, 2, 4], [1, 3])
    func twoLevel(workers: Int, partitions: Int) throws {
        let table = TestSupport.table(try Self.salesBatch(), partitions: partitions)
        let result = try DataFrame(table)
            .groupBy("customer", "product")
            .agg(Agg.sum(col("units")).as("units"), Agg.collectSet(col("day")).as("days"))
            .groupBy("customer")
            .agg(
                Agg.argMax(col("product"), by: col("units")).as("favourite"),
                Agg.longestConsecutiveDays(col("days")).as("streak")
            )
            .sort(.asc("customer"))
            .collectBatch(runtime: TestSupport.runtime(workers: workers, shufflePartitions: 3))
        #expect(result.rows == [
            [.string("c1"), .string("A"), .int64(3)],
            [.string("c2"), .string("Y"), .int64(2)],
            [.string("c3-with-a-long-id"), .string("Q"), .int64(1)],
        ])
    }

    @Test("groupBy(a, b) then groupBy(a) plans one shuffle")
    func oneShuffle() throws {
        let table = TestSupport.table(try Self.salesBatch(), partitions: 2)
        let plan = try DataFrame(table)
            .groupBy("customer", "product").agg(Agg.sum(col("units")).as("units"))
            .groupBy("customer").agg(Agg.argMax(col("product"), by: col("units")).as("favourite"))
            .physicalPlan(config: ExecutionConfig(workers: 2))
        let stages = StagePlanner.stages(of: plan)
        let shuffles = stages.compactMap { $0.boundary as? ExchangeExec }
        #expect(shuffles.count == 1)
        #expect(shuffles.first?.partitioning == .hash(keys: ["customer"], count: 8))
        let text = Explain.text(plan)
        #expect(text.contains("HashAggregate(single) keys=[customer]"))
    }

    @Test("count, countDistinct, sum, min, max, avg over groups with nulls")
    func basics() throws {
        let batch = try TestSupport.batch([("k", .string), ("v", .int64), ("price", .decimal(precision: 10, scale: 2))], [
            [.string("a"), .int64(1), .decimal(150, scale: 2)],
            [.string("a"), .null, .decimal(250, scale: 2)],
            [.string("a"), .int64(1), .null],
            [.string("b"), .int64(10), .decimal(1, scale: 2)],
            [.null, .int64(5), .decimal(2, scale: 2)],
        ])
        let result = try DataFrame(TestSupport.table(batch, partitions: 2))
            .groupBy("k")
            .agg(
                Agg.count().as("n"), Agg.count(col("v")).as("nv"), Agg.countDistinct(col("v")).as("dv"),
                Agg.sum(col("price")).as("total"), Agg.min(col("v")).as("lo"), Agg.max(col("price")).as("hi"),
                Agg.avg(col("price")).as("mean")
            )
            .sort(SortKey("k", nullsFirst: true))
            .collectBatch(runtime: TestSupport.runtime())
        #expect(result.rows == [
            [.null, .int64(1), .int64(1), .int64(1), .decimal(2, scale: 2), .int64(5), .decimal(2, scale: 2), .decimal(2, scale: 2)],
            [.string("a"), .int64(3), .int64(2), .int64(1), .decimal(400, scale: 2), .int64(1), .decimal(250, scale: 2), .decimal(200, scale: 2)],
            [.string("b"), .int64(1), .int64(1), .int64(1), .decimal(1, scale: 2), .int64(10), .decimal(1, scale: 2), .decimal(1, scale: 2)],
        ])
    }

    @Test("a global aggregate over no rows returns one row")
    func emptyGlobal() throws {
        let batch = try TestSupport.batch([("v", .int64)], [])
        let result = try DataFrame(TestSupport.table(batch))
            .groupBy([]).agg(Agg.count().as("n"), Agg.sum(col("v")).as("s"))
            .collectBatch(runtime: TestSupport.runtime())
        #expect(result.rows == [[.int64(0), .null]])
    }

    @Test("sum overflow is an error, not a wrong total")
    func overflow() throws {
        let batch = try TestSupport.batch([("v", .int64)], [[.int64(.max)], [.int64(1)]])
        #expect(throws: SluiceError.self) {
            _ = try DataFrame(TestSupport.table(batch)).groupBy([]).agg(Agg.sum(col("v"))).collectBatch(runtime: TestSupport.runtime())
        }
    }

    @Test("a partial aggregate under a tiny budget flushes early and still merges exactly")
    func partialFlush() throws {
        var rows: [[Value]] = []
        for index in 0..<50_000 { rows.append([.int64(Int64(index % 20_000)), .int64(1)]) }
        let batch = try TestSupport.batch([("k", .int64), ("v", .int64)], rows)
        let table = TestSupport.table(batch, partitions: 2)
        let expected = try DataFrame(table).groupBy("k").agg(Agg.sum(col("v")).as("s")).sort(.asc("k"))
            .collectBatch(runtime: TestSupport.runtime(batchRows: 100))
        let runtime = TestSupport.runtime(memory: 400_000, batchRows: 100)
        let bounded = try DataFrame(table).groupBy("k").agg(Agg.sum(col("v")).as("s")).sort(.asc("k"))
            .collectBatch(runtime: runtime)
        #expect(bounded.rows == expected.rows)
        #expect(runtime.memoryPool.refusals > 0)
        #expect(expected.rowCount == 20_000)
        #expect(expected.rows.reduce(0) { total, row in if case .int64(let value) = row[1] { return total + Int(value) } else { return total } } == 50_000)
    }
}

@Suite("argMax over several ordering columns")
struct ArgMaxOrderingTests {
    @Test("the first ordering column decides, then the next; the same answer for any split of the rows into partitions", arguments: [1, 2, 4])
    func lexicographic(partitions: Int) throws {
        // (key, value, time, file, line): the latest time wins; on a tie the later file, then the later line.
        let rows: [(String, String, Int64, Int64, Int64)] = [
            ("a", "old", 5, 0, 1), ("a", "new", 9, 0, 2), ("a", "tie-early-file", 9, 0, 3), ("a", "tie-late-file", 9, 1, 1),
            ("b", "only", 1, 0, 4),
            ("c", "line-3", 2, 0, 3), ("c", "line-7", 2, 0, 7), ("c", "line-5", 2, 0, 5),
        ]
        let fields: [(String, DataType)] = [("k", .string), ("v", .string), ("t", .int64), ("f", .int64), ("l", .int64)]
        let values: [[Value]] = rows.reversed().map { [.string($0.0), .string($0.1), .int64($0.2), .int64($0.3), .int64($0.4)] }
        let parts = try (0..<partitions).map { part in
            [try TestSupport.batch(fields, values.indices.filter { $0 % partitions == part }.map { values[$0] })]
        }
        let table = MemoryTable(schema: parts[0][0].schema, partitions: parts)
        let result = try DataFrame(table).groupBy("k")
            .agg(Agg.argMax(col("v"), by: [col("t"), col("f"), col("l")]).as("latest"))
            .sort(.asc("k"))
            .collectBatch(runtime: TestSupport.runtime(workers: 2, shufflePartitions: 2)).rows
        #expect(result == [[.string("a"), .string("tie-late-file")], [.string("b"), .string("only")], [.string("c"), .string("line-7")]])
    }
}
