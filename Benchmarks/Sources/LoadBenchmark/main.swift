import Foundation
import SluiceCore
import SluicePostgres

// Times an idempotent load of N aggregate rows (customer_id text, favourite_product text,
// longest_streak int) into PostgreSQL the way `sluice run` loads:
//   1. COPY into a staging table alone (rows/s of the staging path),
//   2. a first load into an empty table (COPY into staging + merge, in one transaction),
//   3. the same load again, which changes nothing.
// Usage: LoadBenchmark ROWS URL   (prints one CSV line: rows,copy_s,copy_rows_per_s,first_load_s,merge_s,rerun_s,rerun_changed)

let arguments = CommandLine.arguments
guard arguments.count == 3, let rows = Int(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: LoadBenchmark ROWS URL\n".utf8))
    exit(2)
}
let url = arguments[2]

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let schema = Schema([Field("customer_id", .string), Field("favourite_product", .string), Field("longest_streak", .int64)])
var batches: [RecordBatch] = []
let products = ["PURA100", "SUPA101", "DETA800", "PURA250", "SUPA102", "DETA200"]
var start = 0
while start < rows {
    let end = min(rows, start + 65_536)
    let ids = (start..<end).map { String(repeating: "0", count: max(0, 7 - String($0).count)) + String($0) }
    let favourites = (start..<end).map { products[$0 % products.count] }
    let streaks = (start..<end).map { Int64($0 % 9 + 1) }
    batches.append(RecordBatch(unchecked: schema, columns: [.string(ids), .string(favourites), .int64(streaks)], rowCount: end - start))
    start = end
}

do {
    let connection = try PostgresConnection.connect(url)
    let table = QualifiedName(name: "bench_customers")
    try connection.execute("DROP TABLE IF EXISTS \(table.quoted)")
    let copy = try seconds {
        try connection.transaction { connection in
            try connection.execute("CREATE TEMPORARY TABLE bench_stage (customer_id text, favourite_product text, longest_streak integer) ON COMMIT DROP")
            try connection.copyIn(table: QualifiedName(name: "bench_stage"), columns: schema.names, batches: batches)
        }
    }
    let target = TargetTable(name: table, schema: schema, key: ["customer_id"], types: ["longest_streak": "integer"])
    var first = LoadResult()
    let firstLoad = try seconds { first = try connection.transaction { try StagedLoader.load(batches, into: target, on: $0) } }
    var again = LoadResult()
    let rerun = try seconds { again = try connection.transaction { try StagedLoader.load(batches, into: target, on: $0) } }
    guard first.inserted == rows, again.changed == 0 else {
        FileHandle.standardError.write(Data("unexpected counts: first \(first), rerun \(again)\n".utf8))
        exit(1)
    }
    print(String(format: "%d,%.3f,%.0f,%.3f,%.3f,%.3f,%d", rows, copy, Double(rows) / copy, firstLoad, max(0, firstLoad - copy), rerun, again.changed))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
