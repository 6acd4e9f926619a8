// csv-summary: per product, the units sold, the distinct customers and the number of lines
// of a transactions CSV (`transactionId|custId|transactionDate|productSold|unitsSold`),
// sorted by product and printed as CSV to stdout.
//
//     csv-summary <file.csv> [workers]

import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("csv-summary: \(message)\n".utf8))
    exit(code)
}

let arguments = CommandLine.arguments.dropFirst()
guard (1...2).contains(arguments.count), let path = arguments.first, !path.hasPrefix("-") else {
    fail("usage: csv-summary <file.csv> [workers]", code: 2)
}
var workers = ExecutionConfig.coreCount
if arguments.count == 2 {
    let text = arguments.last ?? ""
    guard let count = Int(text), count > 0 else { fail("workers must be a positive integer, not '\(text)'", code: 2) }
    workers = count
}

// Ids stay text (leading zeros kept) and units are integers; a row with an empty product,
// customer or quantity (or a quantity that is not a number) is a reject, not a result.
var options = CSVOptions(
    columnTypes: ["custId": .string, "productSold": .string, "unitsSold": .int64],
    requiredColumns: ["custId", "productSold", "unitsSold"]
)
options.notNullColumns = ["custId", "productSold", "unitsSold"]

let runtime = ExecutionRuntime(config: ExecutionConfig(workers: workers))
do {
    let source = try CSVSource(path: path, options: options, rejects: runtime.rejects)
    let summary = DataFrame(source)
        .groupBy("productSold")
        .agg(
            Agg.sum(col("unitsSold")).as("units_sold"),
            Agg.countDistinct(col("custId")).as("customers"),
            Agg.count().as("lines")
        )
        .select(col("productSold").alias("product"), col("units_sold"), col("customers"), col("lines"))
        .sort(.asc("product"))

    let writer = CSVWriter()
    var out: [UInt8] = []
    writer.appendHeader(try summary.schema(), to: &out)
    try summary.forEachBatch(runtime: runtime) { batch in
        writer.appendRows(batch, to: &out)
        FileHandle.standardOutput.write(Data(out))
        out.removeAll(keepingCapacity: true)
    }
    FileHandle.standardOutput.write(Data(out))

    let counts = runtime.rejects.sourceCounts
    let read = counts.reduce(0) { $0 + $1.read }
    let rejected = counts.reduce(0) { $0 + $1.rejected }
    FileHandle.standardError.write(Data("csv-summary: \(read) rows read, \(rejected) rejected, \(workers) worker(s)\n".utf8))
} catch let error as SluiceError {
    // The same exit codes as the sluice CLI: 2 for usage, configuration and plan errors, else 1.
    fail(error.description, code: [.configuration, .plan].contains(error.kind) ? 2 : 1)
} catch {
    fail("\(error)", code: 1)
}
