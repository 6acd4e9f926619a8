import Benchmark
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines

/// Parsing throughput of the readers, on inputs generated once per process.
/// Throughput is reported per iteration (one pass over the input); divide the input size by
/// the wall time for MB/s.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                           maxDuration: .seconds(5), maxIterations: 20)

    let csvRows = 1_000_000
    let csvPath = IOFixtures.transactionsFile(rows: csvRows)
    Benchmark("CSV parse, 1M transaction rows (~45 MB), 1 worker") { benchmark in
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: 1))
        let source = try CSVSource(path: csvPath, options: TransactionsPipeline.csvOptions())
        benchmark.startMeasurement()
        let result = try DataFrame(source).groupBy([]).agg(Agg.count()).collectBatch(runtime: runtime)
        benchmark.stopMeasurement()
        blackHole(result)
    }

    // The count above needs no column, so the scan only finds record boundaries. This one
    // builds the columns the transactions job reads (two text ids, a date, an integer and
    // the provenance line and file), as the job's scan does.
    Benchmark("CSV parse into the transactions job's columns, 1M rows, 1 worker") { benchmark in
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: 1))
        let source = try CSVSource(path: csvPath, options: TransactionsPipeline.csvOptions())
        let projection = ["custId", "transactionDate", "productSold", "unitsSold"].compactMap { source.schema.index(of: $0) }
            + Provenance.fields.compactMap { source.schema.index(of: $0.name) }
        benchmark.startMeasurement()
        try source.prepare(runtime: runtime)
        var rows = 0
        for partition in 0..<source.partitionCount(config: runtime.config) {
            let stream = try source.open(partition: partition, projection: projection,
                                         context: TaskContext(runtime: runtime, stage: 1, partition: partition))
            while let batch = try stream.next() { rows += batch.rowCount }
        }
        benchmark.stopMeasurement()
        precondition(rows == csvRows, "read \(rows) rows of \(csvRows)")
        blackHole(rows)
    }

    let json = IOFixtures.eventsDocument(events: 200_000)
    Benchmark("JSON decode, 200k events (~21 MB)") { benchmark in
        let decoder = JSONRecordDecoder(schema: Schema(EcommercePipeline.eventFields))
        var rejects: [Reject] = []
        let read = try json.withUnsafeBufferPointer { try decoder.decode($0, source: "bench", rejects: &rejects) }
        blackHole(read)
        blackHole(decoder.takeBatch())
    }

    let archive = IOFixtures.eventsArchive()
    Benchmark("ZIP inflate, nested archive of 28 part files (~30 MB of JSON)") { benchmark in
        let source = try NestedZipSource(archivePaths: [archive], pattern: "*.json")
        var total = 0
        for entry in try source.entries() { total += try source.read(entry).count }
        blackHole(total)
    }
}

/// Inputs written once to the temp directory.
enum IOFixtures {
    static let directory = NSTemporaryDirectory() + "sluice-bench-\(getpid())"

    static func transactionsFile(rows: Int) -> String {
        let path = directory + "/transactions-\(rows).csv"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var bytes: [UInt8] = []
        try? TransactionsGenerator(rows: rows).write(workers: 2) { bytes += $0 }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func eventsDocument(events: Int) -> [UInt8] {
        EcommerceGenerator(weeks: 1, partsPerDay: 1, eventsPerPart: events).partFileForBenchmark()
    }

    static func eventsArchive() -> String {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let generator = EcommerceGenerator(weeks: 1, partsPerDay: 4, eventsPerPart: 10_000)
        return (try? generator.write(to: directory, workers: 2).paths.first) ?? ""
    }
}
