import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

@Suite("Operators and expressions")
struct OperatorTests {
    static func orders() throws -> RecordBatch {
        try TestSupport.batch([("id", .int64), ("product", .string), ("qty", .int64), ("price", .decimal(precision: 10, scale: 2)), ("day", .string)], [
            [.int64(1), .string("p1"), .int64(2), .decimal(1050, scale: 2), .string("2024-01-02")],
            [.int64(2), .string("p2"), .int64(0), .decimal(500, scale: 2), .string("01/03/2024")],
            [.int64(3), .string("p9"), .int64(1), .decimal(100, scale: 2), .string("garbage")],
            [.int64(4), .string("p1"), .null, .decimal(1050, scale: 2), .null],
            [.int64(5), .null, .int64(3), .decimal(200, scale: 2), .string("2024-01-05")],
        ])
    }

    static let products = [("product", DataType.string), ("category", .string)]

    @Test("filter, withColumn, arithmetic on decimals, three-valued logic", arguments: [1, 3])
    func filterProject(partitions: Int) throws {
        let frame = DataFrame(TestSupport.table(try Self.orders(), partitions: partitions))
            .withColumn("revenue", col("qty") * col("price"))
            .filter(col("qty").gt(0).and(col("product").isNotNull()))
            .select(col("id"), col("revenue"), col("product").upper().alias("code"))
            .sort(.asc("id"))
        let result = try frame.collectBatch(runtime: TestSupport.runtime())
        #expect(result.schema.fields.map(\.type) == [.int64, .decimal(precision: 18, scale: 2), .string])
        #expect(result.rows == [
            [.int64(1), .decimal(2100, scale: 2), .string("P1")],
            [.int64(3), .decimal(100, scale: 2), .string("P9")],
        ])
    }

    @Test("date parsing with several formats, case when, coalesce, casts")
    func functions() throws {
        let frame = DataFrame(TestSupport.table(try Self.orders()))
            .select(
                col("id"),
                col("day").parseDate(["%m/%d/%Y"]).alias("date"),
                when([WhenThen(col("qty").gtEq(2), lit("bulk")), WhenThen(col("qty").gt(0), lit("single"))], otherwise: lit("none")).alias("size"),
                coalesce(col("qty"), lit(-1)).alias("qty_or"),
                col("id").cast(.string).alias("text_id"),
                (col("qty") / col("qty")).alias("ratio")
            )
            .sort(.asc("id"))
        let rows = try frame.collectBatch(runtime: TestSupport.runtime()).rows
        #expect(rows.map { $0[1] } == [
            .date(DateEncoding.parseDate("2024-01-02") ?? 0), .date(DateEncoding.parseDate("2024-01-03") ?? 0), .null, .null,
            .date(DateEncoding.parseDate("2024-01-05") ?? 0),
        ])
        #expect(rows.map { $0[2] } == [.string("bulk"), .string("none"), .string("single"), .string("none"), .string("bulk")])
        #expect(rows.map { $0[3] } == [.int64(2), .int64(0), .int64(1), .int64(-1), .int64(3)])
        #expect(rows[0][4] == .string("1"))
        #expect(rows[1][5] == .null, "division by zero is null")
    }

    @Test("broadcast hash join: inner and left, null keys never match", arguments: [JoinType.inner, .left])
    func join(type: JoinType) throws {
        let dimension = try TestSupport.batch(Self.products, [
            [.string("p1"), .string("tools")], [.string("p2"), .string("toys")], [.null, .string("nothing")],
        ])
        let frame = DataFrame(TestSupport.table(try Self.orders(), partitions: 2))
            .join(DataFrame(TestSupport.table(dimension)), on: "product", type: type)
            .select(col("id"), col("category"))
            .sort(.asc("id"))
        let rows = try frame.collectBatch(runtime: TestSupport.runtime()).rows
        if type == .inner {
            #expect(rows == [[.int64(1), .string("tools")], [.int64(2), .string("toys")], [.int64(4), .string("tools")]])
        } else {
            #expect(rows == [
                [.int64(1), .string("tools")], [.int64(2), .string("toys")], [.int64(3), .null], [.int64(4), .string("tools")], [.int64(5), .null],
            ])
        }
    }

    @Test("join keys of different types are a plan error with a hint")
    func joinTypes() throws {
        let dimension = try TestSupport.batch([("product", .int64)], [[.int64(1)]])
        let frame = DataFrame(TestSupport.table(try Self.orders())).join(DataFrame(TestSupport.table(dimension)), on: "product")
        #expect(performing: { _ = try frame.collect(runtime: TestSupport.runtime()) },
                throws: { ($0 as? SluiceError)?.hint?.contains("cast") == true })
    }

    @Test("distinct, union and a global sort across partitions, nulls last", arguments: [1, 2, 4])
    func distinctUnionSort(workers: Int) throws {
        let orders = DataFrame(TestSupport.table(try Self.orders(), partitions: 3))
        let frame = orders.select(col("product")).union(orders.select(col("product"))).distinct()
            .sort(.desc("product"))
        let rows = try frame.collectBatch(runtime: TestSupport.runtime(workers: workers, shufflePartitions: 4)).rows
        #expect(rows == [[.string("p9")], [.string("p2")], [.string("p1")], [.null]])
    }

    @Test("unknown columns and type errors are plan errors naming what exists")
    func planErrors() throws {
        let frame = DataFrame(TestSupport.table(try Self.orders()))
        #expect(performing: { _ = try frame.filter(col("nope").gt(1)).collect(runtime: TestSupport.runtime()) },
                throws: { ($0 as? SluiceError)?.message.contains("it has: id, product") == true })
        #expect(performing: { _ = try frame.filter(col("product") + lit(1)).collect(runtime: TestSupport.runtime()) },
                throws: { ($0 as? SluiceError)?.kind == .plan })
    }

    /// The spread (max − min) of a column, as a user would write it.
    struct Spread: UserDefinedAggregate {
        var name: String { "spread" }
        func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType { .int64 }
        func initialState() -> [Int64] { [] }
        func update(_ state: inout [Int64], _ inputs: [Column], rows: [Int32]) throws(SluiceError) {
            guard case .int64(let values) = inputs[0].storage else { return }
            for row in rows where !inputs[0].isNull(Int(row)) {
                let value = values[Int(row)]
                state = state.isEmpty ? [value, value] : [Swift.min(state[0], value), Swift.max(state[1], value)]
            }
        }
        func merge(_ state: inout [Int64], _ other: [Int64]) throws(SluiceError) {
            guard !other.isEmpty else { return }
            state = state.isEmpty ? other : [Swift.min(state[0], other[0]), Swift.max(state[1], other[1])]
        }
        func finish(_ state: [Int64]) throws(SluiceError) -> Value { state.isEmpty ? .null : .int64(state[1] - state[0]) }
        func encode(_ state: [Int64]) -> [UInt8] { state.flatMap { Array(String($0).utf8) + [0x2C] } }
        func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(SluiceError) -> [Int64] {
            String(decoding: bytes, as: UTF8.self).split(separator: ",").compactMap { Int64($0) }
        }
    }

    @Test("a user-defined aggregate runs two-phase across a shuffle", arguments: [1, 3])
    func userDefined(partitions: Int) throws {
        let batch = try TestSupport.batch([("k", .string), ("v", .int64)], [
            [.string("a"), .int64(5)], [.string("b"), .int64(1)], [.string("a"), .int64(-2)], [.string("a"), .int64(9)], [.string("b"), .null],
        ])
        let rows = try DataFrame(TestSupport.table(batch, partitions: partitions))
            .groupBy("k").agg(Agg.udaf(Spread(), col("v")).as("spread"))
            .sort(.asc("k"))
            .collectBatch(runtime: TestSupport.runtime()).rows
        #expect(rows == [[.string("a"), .int64(11)], [.string("b"), .int64(0)]])
    }

    @Test("explain names every stage and its exchange")
    func explain() throws {
        let text = try DataFrame(TestSupport.table(try Self.orders(), partitions: 2))
            .groupBy("product").agg(Agg.count().as("n")).sort(.asc("product"))
            .explain(config: ExecutionConfig(workers: 2))
        #expect(text.contains("Stage 1 — 2 task(s), shuffles by hash(product) × 8"))
        #expect(text.contains("Stage 2 — 8 task(s), merges 8 sorted partitions into 1"))
        #expect(text.contains("MemoryScan"))
    }
}
