import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluicePipelines

/// `sluice generate <pipeline> …`
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate deterministic sample data for a pipeline.",
        subcommands: [GenerateTransactions.self]
    )
}

/// `sluice generate transactions --rows N --customers M --products P --seed S --out FILE`
struct GenerateTransactions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "Pipe-delimited transactions in the seed file's shape, with skewed customer activity."
    )

    @Option(help: "Rows to write (suffixes k, M accepted: 20M).")
    var rows: String = "1M"

    @Option(help: "Distinct customers (default: rows / 200).")
    var customers: Int?

    @Option(help: "Distinct products.")
    var products: Int = 12

    @Option(help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 42

    @Option(help: "Output file.")
    var out: String

    @Option(help: "Threads used to generate.")
    var workers: Int = ExecutionConfig.coreCount

    func validate() throws {
        guard RowCount.parse(rows) != nil else { throw ValidationError("--rows '\(rows)' is not a count like 20M") }
        if let customers, customers < 1 { throw ValidationError("--customers must be at least 1") }
        guard products >= 1 else { throw ValidationError("--products must be at least 1") }
    }

    func run() throws {
        let count = RowCount.parse(rows) ?? 0
        let generator = TransactionsGenerator(rows: count, customers: customers, products: products, seed: seed)
        let started = SystemInfo.monotonicNanos()
        let file = try AtomicFileWriter(path: out)
        var bytes = 0
        try generator.write(workers: max(1, workers)) { chunk in
            bytes += chunk.count
            try file.write(&chunk)
        }
        try file.commit()
        let elapsed = SystemInfo.monotonicNanos() - started
        let rate = Double(count) / max(1e-9, Double(elapsed) / 1e9)
        print("wrote \(Terminal.count(count)) rows (\(Terminal.bytes(bytes))) for \(Terminal.count(generator.customers)) customers and \(generator.products) products to \(out) in \(Terminal.seconds(elapsed)) (\(ProgressBar.short(rate)) rows/s)")
    }
}

/// Row counts as users write them: `1000`, `50k`, `20M`, `1G`.
enum RowCount {
    static func parse(_ text: String) -> Int? {
        let lower = text.lowercased().replacingOccurrences(of: "_", with: "")
        let multipliers: [Character: Double] = ["k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9]
        if let last = lower.last, let multiplier = multipliers[last], let number = Double(lower.dropLast()), number >= 0 {
            return Int(number * multiplier)
        }
        return Int(lower).flatMap { $0 >= 0 ? $0 : nil }
    }
}
