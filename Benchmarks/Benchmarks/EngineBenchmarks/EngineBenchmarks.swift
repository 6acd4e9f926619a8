import Benchmark
import SluiceCore
import SluiceEngine
import SluicePostgres

/// The engine's hot operators on in-memory data: hash aggregation at several key
/// cardinalities, the shuffle partitioner, and a broadcast join probe.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                           maxDuration: .seconds(5), maxIterations: 10)

    for (rows, keys) in [(2_000_000, 100), (2_000_000, 1_000_000), (20_000_000, 20_000_000)] {
        let table = EngineFixtures.keyed(rows: rows, keys: keys)
        Benchmark("hash aggregate: \(rows / 1_000_000)M rows, \(keys) distinct int64 keys, sum + count",
                  configuration: .init(maxIterations: keys >= 20_000_000 ? 3 : 10)) { benchmark in
            let runtime = ExecutionRuntime(config: ExecutionConfig(workers: 1))
            benchmark.startMeasurement()
            let result = try DataFrame(table).groupBy("k").agg(Agg.sum(col("v")), Agg.count()).collect(runtime: runtime)
            benchmark.stopMeasurement()
            blackHole(result)
        }
    }

    // The transactions job's first aggregation, grouped (few pairs: the table and the day
    // sets) and passed through (every pair new: one-row states), each on one worker.
    for (rows, customers) in [(5_000_000, 25_000), (2_000_000, 2_000_000)] {
        let table = EngineFixtures.purchases(rows: rows, customers: customers)
        Benchmark("day sets: \(rows / 1_000_000)M purchases, \(customers / 1_000)k customers × 12 products, sum + collectSet of dates") { benchmark in
            try EngineFixtures.firstAggregation(table, config: ExecutionConfig(workers: 1), benchmark)
        }
    }

    // The same pass-through aggregation over 2M new pairs shuffled into 256 buckets (the
    // old rule at 100M rows: 256-row pieces per batch) and 64 (the new cap: 1,024-row pieces).
    let passed = EngineFixtures.purchases(rows: 2_000_000, customers: 2_000_000).partitioned(rows: 262_144)
    for buckets in [256, 64] {
        Benchmark("shuffle buckets: 2M passed-through pairs into \(buckets) buckets, then the final aggregation") { benchmark in
            try EngineFixtures.firstAggregation(passed, config: ExecutionConfig(workers: 1, shufflePartitions: buckets), benchmark)
        }
    }

    // The 100M file's shape in small: a map task's first 100k rows are 92 % new pairs, so its
    // partial aggregate passes rows on, yet its whole 2M rows hold 0.58M pairs; the shuffle
    // merges each bucket when the task ends (BucketCombiner) and the final phase gets 1.2M rows.
    let repeating = EngineFixtures.purchases(rows: 4_000_000, customers: 50_000).partitioned(rows: 2_000_000)
    Benchmark("bucket merge: 4M purchases over 600k pairs in 2 map tasks passing rows through 64 buckets, then the final aggregation") { benchmark in
        try EngineFixtures.firstAggregation(repeating, config: ExecutionConfig(workers: 1, shufflePartitions: 64), benchmark)
    }

    // The transactions job's last step: 800k text ids in 32 partitions, each sorted, then merged.
    let unsorted = EngineFixtures.purchases(rows: 800_000, customers: 800_000).partitioned(rows: 25_000)
    Benchmark("sort and merge: 800k 7-character text ids in 32 partitions") { benchmark in
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: 1))
        benchmark.startMeasurement()
        let result = try DataFrame(unsorted).sort(.asc("custId")).collectBatch(runtime: runtime)
        benchmark.stopMeasurement()
        blackHole(result)
    }

    let batch = EngineFixtures.batch(rows: 1_000_000, keys: 100_000)
    Benchmark("shuffle partition: 1M rows into 16 buckets by an int64 key") { _ in
        blackHole(HashPartitioner(keyIndices: [0], bucketCount: 16).partition(batch))
    }

    let customers = EngineFixtures.customers(rows: 1_000_000)
    Benchmark("COPY text encoding: 1M rows (text id, text, int)") { _ in
        var out: [UInt8] = []
        out.reserveCapacity(32 << 20)
        var encoder = CopyTextEncoder()
        try encoder.encode(customers, into: &out)
        blackHole(out.count)
    }

    let probe = EngineFixtures.keyed(rows: 2_000_000, keys: 1_000)
    let dimension = EngineFixtures.keyed(rows: 1_000, keys: 1_000)
    Benchmark("broadcast join probe: 2M rows against 1k keys") { benchmark in
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: 1))
        benchmark.startMeasurement()
        let result = try DataFrame(probe).join(DataFrame(dimension).select(col("k"), col("v").alias("w")), on: "k")
            .groupBy([]).agg(Agg.count()).collect(runtime: runtime)
        benchmark.stopMeasurement()
        blackHole(result)
    }
}

enum EngineFixtures {
    /// Measures the transactions job's first aggregation over `table`: units summed and days
    /// collected per (customer, product).
    static func firstAggregation(_ table: MemoryTable, config: ExecutionConfig, _ benchmark: Benchmark) throws {
        let runtime = ExecutionRuntime(config: config)
        benchmark.startMeasurement()
        let result = try DataFrame(table).groupBy("custId", "productSold")
            .agg(Agg.sum(col("unitsSold")).as("units"), Agg.collectSet(col("transactionDate")).as("days"))
            .collect(runtime: runtime)
        benchmark.stopMeasurement()
        blackHole(result)
    }

    static func batch(rows: Int, keys: Int) -> RecordBatch {
        var k: [Int64] = []
        var v: [Int64] = []
        k.reserveCapacity(rows)
        v.reserveCapacity(rows)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for row in 0..<rows {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            k.append(Int64((state >> 33) % UInt64(keys)))
            v.append(Int64(row % 100))
        }
        return RecordBatch(unchecked: Schema([Field("k", .int64), Field("v", .int64)]), columns: [.int64(k), .int64(v)], rowCount: rows)
    }

    /// Purchases in the transactions file's shape: 7-digit text customer ids, 12 product
    /// codes, dates over two years, units; customers and products drawn at random.
    static func purchases(rows: Int, customers: Int) -> MemoryTable {
        var ids = StringStorage(), products = StringStorage()
        var days: [Int32] = [], units: [Int64] = []
        let codes = ["PURA100", "SUPA101", "DETA102", "KIDS103", "HOME100", "GARD101", "TECH102", "BOOK103", "FOOD100", "SPRT101", "PURA150", "SUPA151"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<rows {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let customer = Int((state >> 33) % UInt64(customers))
            let text = String(customer)
            ids.append(String(repeating: "0", count: max(0, 7 - text.count)) + text)
            products.append(codes[Int((state >> 20) % 12)])
            days.append(15_000 + Int32((state >> 8) % 730))
            units.append(Int64(state % 200) + 1)
        }
        let schema = Schema([Field("custId", .string), Field("productSold", .string), Field("transactionDate", .date), Field("unitsSold", .int64)])
        let batch = RecordBatch(unchecked: schema, columns: [
            Column(type: .string, storage: .string(ids)), Column(type: .string, storage: .string(products)),
            Column(type: .date, storage: .int32(days)), .int64(units),
        ], rowCount: rows)
        return MemoryTable(batch.chunks(maxRows: 65_536), schema: schema)
    }

    /// The transactions job's output shape: 7-digit text ids, a product code, a streak.
    static func customers(rows: Int) -> RecordBatch {
        let ids = (0..<rows).map { String(repeating: "0", count: max(0, 7 - String($0).count)) + String($0) }
        let products = (0..<rows).map { ["PURA100", "SUPA101", "DETA800"][$0 % 3] }
        return RecordBatch(unchecked: Schema([Field("customer_id", .string), Field("favourite_product", .string), Field("longest_streak", .int64)]),
                           columns: [.string(ids), .string(products), .int64((0..<rows).map { Int64($0 % 9) })], rowCount: rows)
    }

    /// A one-partition table in batches of 64k rows.
    static func keyed(rows: Int, keys: Int) -> MemoryTable {
        let whole = batch(rows: rows, keys: keys)
        return MemoryTable(whole.chunks(maxRows: 65_536), schema: whole.schema)
    }
}

extension MemoryTable {
    /// The same rows, `rows` to a partition, in batches of at most 65,536 rows (a scan's).
    func partitioned(rows: Int) -> MemoryTable {
        let whole = RecordBatch.concat(partitions.flatMap { $0 }, schema: schema)
        return MemoryTable(schema: schema, partitions: whole.chunks(maxRows: rows).map { $0.chunks(maxRows: 65_536) })
    }
}
