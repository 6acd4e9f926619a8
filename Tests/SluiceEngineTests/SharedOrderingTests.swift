import SluiceCore
import SluiceEngine
import SluiceTestSupport
import Testing

/// argMax calls over one ordering (the de-duplication shape: every kept column by
/// `[time, file, line]`) share it: the answers must be one row's values, the same for every
/// split, worker count and budget, and for a map side that stops grouping.
@Suite("argMax calls sharing one ordering")
struct SharedOrderingTests {
    static let fields: [(String, DataType)] = [("k", .string), ("a", .string), ("b", .int64), ("t", .int64), ("l", .int64)]

    /// `rows` rows over `keys` keys; row i has time i % 7 (so times tie), line i, and values
    /// that name the row; every 13th row has a null time (it takes no part), every 11th a null `a`.
    static func rows(_ count: Int, keys: Int) -> [[Value]] {
        (0..<count).map { index in
            let key = (index * 7919) % keys
            return [.string("key-\(key)"), index % 11 == 0 ? .null : .string("a\(index)"), .int64(Int64(index)),
                    index % 13 == 0 ? .null : .int64(Int64(index % 7)), .int64(Int64(index))]
        }
    }

    /// Per key, the row with the greatest (t, l), as the answer must be; nulls for a key none
    /// of whose rows has a time.
    static func expected(_ rows: [[Value]]) -> [[Value]] {
        var best: [String: [Value]] = [:]
        for row in rows {
            guard case .string(let key) = row[0] else { continue }
            if best[key] == nil { best[key] = [row[0], .null, .null, .null, .null] }
            guard case .int64(let time) = row[3], case .int64(let line) = row[4] else { continue }
            if let current = best[key], case .int64(let bestTime) = current[3], case .int64(let bestLine) = current[4],
               (bestTime, bestLine) >= (time, line) { continue }
            best[key] = row
        }
        return best.keys.sorted().compactMap { key in best[key].map { [$0[0], $0[1], $0[2], $0[3]] } }
    }

    static func frame(_ table: MemoryTable) -> DataFrame {
        let latest = [col("t"), col("l")]
        return DataFrame(table).groupBy("k")
            .agg(Agg.argMax(col("a"), by: latest).as("a"), Agg.argMax(col("b"), by: latest).as("b"), Agg.max(col("t")).as("t"))
            .sort(.asc("k"))
    }

    static func table(_ rows: [[Value]], partitions: Int) throws -> MemoryTable {
        let parts = try (0..<partitions).map { part in
            [try TestSupport.batch(fields, rows.indices.filter { $0 % partitions == part }.map { rows[$0] })]
        }
        return MemoryTable(schema: parts[0][0].schema, partitions: parts)
    }

    @Test("the kept columns are the latest row's, for every split, worker count and budget", arguments: [
        (1, 1, nil), (2, 3, nil), (4, 4, 4 << 20), (2, 2, 1 << 20),
    ] as [(Int, Int, Int?)])
    func latestRow(workers: Int, partitions: Int, memory: Int?) throws {
        let rows = Self.rows(20_000, keys: 3_000)
        let result = try Self.frame(try Self.table(rows, partitions: partitions))
            .collectBatch(runtime: TestSupport.runtime(workers: workers, memory: memory, batchRows: 1_000, shufflePartitions: 3))
        #expect(result.rows == Self.expected(rows))
    }

    @Test("a map side that stops grouping (nearly unique keys) hands on states that still merge to the latest row")
    func passThrough() throws {
        // 150,000 rows over 140,000 keys: past the probe, grouping barely reduces, so rows pass on as states.
        let rows = Self.rows(150_000, keys: 140_000)
        let result = try Self.frame(try Self.table(rows, partitions: 2))
            .collectBatch(runtime: TestSupport.runtime(workers: 2, batchRows: 8_192, shufflePartitions: 4))
        #expect(result.rows == Self.expected(rows))
    }

    @Test("on an exact tie of the ordering every call takes the row whose kept values are smallest")
    func tie() throws {
        let rows: [[Value]] = [
            [.string("k"), .string("b"), .int64(1), .int64(5), .int64(9)],
            [.string("k"), .string("a"), .int64(2), .int64(5), .int64(9)],
            [.string("k"), .string("c"), .int64(3), .int64(4), .int64(9)],
        ]
        for partitions in [1, 3] {
            let result = try Self.frame(try Self.table(rows, partitions: partitions)).collectBatch(runtime: TestSupport.runtime(workers: 2))
            #expect(result.rows == [[.string("k"), .string("a"), .int64(2), .int64(5)]])
        }
    }

    @Test("the ordering is kept once in the partial state, and explain says which call keeps which value")
    func stateWidth() throws {
        let plan = try Self.frame(try Self.table(Self.rows(10, keys: 3), partitions: 2)).physicalPlan(config: ExecutionConfig(workers: 2))
        var partial: HashAggregateExec?
        var stack: [any ExecutionPlan] = [plan]
        while let node = stack.popLast() {
            if let aggregate = node as? HashAggregateExec, aggregate.mode == .partial { partial = aggregate }
            stack += node.children
        }
        let node = try #require(partial)
        // k; a's and b's values, t, l (all a's state); max(t).
        #expect(node.partialSchema.names.count == 6, "\(node.partialSchema.names)")
        #expect(Explain.text(plan).contains("argMax(…) AS b (kept by a)"))
    }
}
