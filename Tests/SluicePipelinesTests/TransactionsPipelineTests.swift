import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluiceTestSupport
import Testing

@Suite("transactions pipeline")
struct TransactionsPipelineTests {
    /// Runs the pipeline on `path` and returns the result as CSV text.
    static func run(_ path: String, workers: Int = 2, splitBytes: Int? = nil, memory: Int? = nil, batchRows: Int = 65_536) throws -> (String, JobOutcome) {
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: workers, memoryLimit: memory, batchRows: batchRows, splitBytes: splitBytes,
                                                               temporaryDirectory: NSTemporaryDirectory()))
        let run = try PipelineRun.run(TransactionsPipeline.self, .init(source: path), runtime: runtime)
        return (run.file("customers.csv"), run.outcome)
    }

    static func rows(_ csv: String) -> [String: String] {
        var byCustomer: [String: String] = [:]
        for line in csv.split(separator: "\n").dropFirst() {
            let parts = line.split(separator: ",", maxSplits: 1)
            byCustomer[String(parts[0])] = String(parts[1])
        }
        return byCustomer
    }

    @Test("known answers on the specification's transaction.csv")
    func knownAnswers() throws {
        let (csv, result) = try Self.run(TestSupport.seedFile("transaction.csv"))
        let rows = Self.rows(csv)
        #expect(result.rows(of: "customers") == 885)
        #expect(rows["0023938"] == "PURA250,2")
        #expect(rows["0024003"] == "SUPA101,3")
        #expect(rows["0023824"] == "PURA250,3")
        #expect(rows["0024212"] == "PURA100,2")
        #expect(rows["0023510"] == "PURA100,1")
        #expect(result.rowsRead == 13_355)
        #expect(result.rowsRejected == 0)
        let ids = csv.split(separator: "\n").dropFirst().map { String($0.prefix(7)) }
        #expect(ids == ids.sorted())
    }

    static let handMade = """
    transactionId|custId|transactionDate|productSold|unitsSold
    a|0000001|2020-01-31|BETA|5
    b|0000001|2020-02-01|ALFA|3
    c|0000001|2020-02-01|ALFA|2
    d|0000001|2020-02-02|CHAR|1
    e|0000002|2019-12-31|ZULU|4
    f|0000002|2020-01-01|ZULU|1
    g|0000002|2020-01-02|YANK|9
    h|0000003|2021-06-15|SOLO|1
    i|0000004|2020-02-28|LEAP|1
    j|0000004|2020-02-29|LEAP|1
    k|0000004|2020-03-01|LEAP|1
    l|0000004|2020-03-03|LEAP|1

    """

    @Test("ties, streaks across month, year and leap-day ends, same-day purchases, single purchase, leading zeros")
    func handMadeCases() throws {
        let path = try TestSupport.writeTemporaryFile(Self.handMade)
        let (csv, _) = try Self.run(path)
        #expect(csv == """
        customer_id,favourite_product,longest_streak
        0000001,ALFA,3
        0000002,YANK,3
        0000003,SOLO,1
        0000004,LEAP,3

        """)
    }

    @Test("comma-delimited, quoted fields and CRLF give the same answer")
    func commaQuotedCRLF() throws {
        let lines = Self.handMade.split(separator: "\n").map { line in
            line.split(separator: "|", omittingEmptySubsequences: false).enumerated()
                .map { $0.offset == 3 ? "\"\($0.element)\"" : String($0.element) }.joined(separator: ",")
        }
        let path = try TestSupport.writeTemporaryFile(lines.joined(separator: "\r\n") + "\r\n")
        let (csv, _) = try Self.run(path)
        let (expected, _) = try Self.run(try TestSupport.writeTemporaryFile(Self.handMade))
        #expect(csv == expected)
    }

    @Test("a header-only file gives an empty result, not an error")
    func headerOnly() throws {
        let (csv, result) = try Self.run(try TestSupport.writeTemporaryFile("transactionId|custId|transactionDate|productSold|unitsSold\n"))
        #expect(csv == "customer_id,favourite_product,longest_streak\n")
        #expect(result.rowsRead == 0)
    }

    @Test("rejects are counted exactly and never reach the result")
    func rejects() throws {
        let text = Self.handMade + """
        x|0000009|2020-13-01|BAD|1
        y|0000009|2020-01-01|BAD
        z||2020-01-01|BAD|1
        w|0000009|2020-01-01|BAD|many

        """
        let (csv, result) = try Self.run(try TestSupport.writeTemporaryFile(text))
        #expect(!csv.contains("0000009"))
        #expect(result.rowsRead == 16)
        #expect(result.rowsRejected == 4)
        #expect(result.rowsPassed == 12)
        #expect(try result.rejects.allRejects().map(\.kind) == [.castFailure, .fieldCount, .invalidValue, .castFailure])
        #expect(try result.rejects.allRejects().map(\.line) == [14, 15, 16, 17])
    }

    @Test("the same bytes under every worker count, split size and batch size")
    func determinism() throws {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("generated.csv").path
        let generator = TransactionsGenerator(rows: 60_000, customers: 800, products: 9, seed: 7)
        var bytes: [UInt8] = []
        try generator.write(workers: 2) { bytes += $0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (reference, _) = try Self.run(path, workers: 1, splitBytes: 64 << 20)
        #expect(reference.split(separator: "\n").count == 801)
        let settings: [(Int, Int, Int, Int?)] = [
            (1, 1 << 10, 1_000, nil), (2, 1 << 10, 65_536, nil), (4, 64 << 10, 333, 24 << 20),
            (2, 1 << 20, 4_096, 8 << 20), (4, 64 << 20, 65_536, nil),
        ]
        for (workers, splitBytes, batchRows, memory) in settings {
            let (csv, _) = try Self.run(path, workers: workers, splitBytes: splitBytes, memory: memory, batchRows: batchRows)
            #expect(csv == reference, "workers \(workers), split \(splitBytes), batch \(batchRows), memory \(memory ?? 0)")
        }
    }

    @Test("under an 8 MB budget with small batches it spills and writes the same bytes", arguments: [1, 2])
    func spilling(workers: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("generated.csv").path
        var bytes: [UInt8] = []
        try TransactionsGenerator(rows: 150_000, customers: 20_000, products: 12, seed: 11).write(workers: 2) { bytes += $0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (reference, _) = try Self.run(path, workers: workers)
        let (bounded, result) = try Self.run(path, workers: workers, memory: 8 << 20, batchRows: 2_048)
        #expect(bounded == reference)
        #expect(result.stages.reduce(0) { $0 + $1.spillBytes } > 0)
        #expect(result.peakPoolBytes <= 8 << 20)
    }

    @Test("the generator is deterministic and has the seed file's shape")
    func generator() throws {
        let generator = TransactionsGenerator(rows: 10_000, customers: 50, products: 12, seed: 3)
        var first: [UInt8] = []
        var second: [UInt8] = []
        try generator.write(workers: 1) { first += $0 }
        try generator.write(workers: 4) { second += $0 }
        #expect(first == second)
        let lines = String(decoding: first, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 10_001)
        #expect(lines[0] == "transactionId|custId|transactionDate|productSold|unitsSold")
        let fields = lines[1].split(separator: "|")
        #expect(fields.count == 5)
        #expect(fields[1].count == 7)
        #expect(fields[0].hasSuffix("-" + fields[1]))
        // Skew: the busiest customer buys far more often than the median one.
        var perCustomer: [Substring: Int] = [:]
        for line in lines.dropFirst() { perCustomer[line.split(separator: "|")[1], default: 0] += 1 }
        let counts = perCustomer.values.sorted()
        #expect((counts.last ?? 0) > 5 * counts[counts.count / 2])
    }

    @Test("shapes: chunks are independent streams, and --days, --products and --skew shape the file")
    func generatorShapes() throws {
        // Ten chunks at 25 rows (12.5 baskets) per customer, evenly: all but a handful of the
        // customers appear. Chunks seeded as shifted copies of one stream (the old seeding)
        // left a quarter of them out.
        let even = TransactionsGenerator(rows: 2_500_000, customers: 100_000, products: 30, days: 1_000, skew: 1, seed: 42)
        var customers = Set<Int>(), products = Set<Substring>(), days = Set<Substring>()
        var busiest = [Int](repeating: 0, count: 100_001)
        try even.write(workers: 2) { chunk in
            for line in String(decoding: chunk, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("transactionId") {
                let fields = line.split(separator: "|")
                let customer = Int(fields[1]) ?? 0
                customers.insert(customer)
                busiest[customer] += 1
                days.insert(fields[2])
                products.insert(fields[3])
            }
        }
        #expect(customers.count >= 99_990)
        #expect(products.count == 30)
        #expect(days.count == 1_000)
        #expect(days.min() == "2011-01-01" && days.max() == "2013-09-26")
        // Even activity: no customer near the skewed file's busiest.
        #expect((busiest.max() ?? 0) < 150)
        var skewed: [UInt8] = []
        try TransactionsGenerator(rows: 100_000, customers: 1_000, skew: 3, seed: 42).write(workers: 1) { skewed += $0 }
        var perCustomer: [Substring: Int] = [:]
        for line in String(decoding: skewed, as: UTF8.self).split(separator: "\n").dropFirst() { perCustomer[line.split(separator: "|")[1], default: 0] += 1 }
        // u³: half the rows on the busiest eighth of the customers.
        let top = perCustomer.values.sorted(by: >).prefix(125).reduce(0, +)
        #expect(top > 45_000 && top < 60_000)
    }
}
