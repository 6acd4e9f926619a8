import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

@Suite("explode")
struct ExplodeTests {
    @Test("one row per element, the other columns repeated; a null or empty list gives no row", arguments: [1, 3])
    func rows(partitions: Int) throws {
        let batch = try TestSupport.batch([("k", .string), ("day", .date)], [
            [.string("a"), .date(3)], [.string("a"), .date(1)], [.string("a"), .date(3)], [.string("b"), .date(7)], [.string("c"), .null],
        ])
        let result = try DataFrame(TestSupport.table(batch, partitions: partitions))
            .groupBy("k").agg(Agg.collectSet(col("day")).as("days"), Agg.count().as("n"))
            .explode("days")
            .sort(.asc("k"), .asc("days"))
            .collectBatch(runtime: TestSupport.runtime(workers: 2))
        #expect(result.schema.fields.map(\.type) == [.string, .date, .int64])
        // c's set is empty (its only day is null): no row.
        #expect(result.rows == [
            [.string("a"), .date(1), .int64(3)], [.string("a"), .date(3), .int64(3)], [.string("b"), .date(7), .int64(1)],
        ])
    }

    @Test("explode of a column that is not a list is a plan error naming it")
    func notAList() throws {
        let batch = try TestSupport.batch([("k", .string)], [[.string("a")]])
        #expect(throws: SluiceError.self) { try DataFrame(TestSupport.table(batch)).explode("k").schema() }
    }
}
