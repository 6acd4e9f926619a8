public import Foundation
public import SluiceCore
public import SluiceEngine

/// Helpers shared by the test targets (and benchmarks): small batches from literals, temp
/// directories, and paths to the committed fixtures and seed files. Never linked into `sluice`.
public enum TestSupport {
    /// A batch from column names, types and rows of values.
    public static func batch(_ fields: [(String, DataType)], _ rows: [[Value]]) throws -> RecordBatch {
        let schema = Schema(fields.map { Field($0.0, $0.1) })
        var builders = schema.fields.map { ColumnBuilder(type: $0.type, capacity: rows.count) }
        for row in rows {
            for (index, value) in row.enumerated() { try builders[index].append(value) }
        }
        return try RecordBatch(schema: schema, columns: builders.map { $0.finish() })
    }

    /// An in-memory table of `batch`, cut into `partitions` partitions of about equal size.
    public static func table(_ batch: RecordBatch, partitions: Int = 1) -> MemoryTable {
        guard partitions > 1, batch.rowCount > 0 else { return MemoryTable([batch], schema: batch.schema) }
        let size = (batch.rowCount + partitions - 1) / partitions
        return MemoryTable(schema: batch.schema, partitions: batch.chunks(maxRows: size).map { [$0] })
    }

    /// A runtime with the given knobs.
    public static func runtime(workers: Int = 2, memory: Int? = nil, batchRows: Int = 65_536, shufflePartitions: Int? = nil) -> ExecutionRuntime {
        ExecutionRuntime(config: ExecutionConfig(
            workers: workers, memoryLimit: memory, batchRows: batchRows, shufflePartitions: shufflePartitions,
            temporaryDirectory: NSTemporaryDirectory()
        ))
    }

    /// Creates a fresh empty directory under the system temp directory.
    public static func temporaryDirectory(_ prefix: String = "sluice-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `text` to a new file in a fresh temp directory and returns its path.
    public static func writeTemporaryFile(_ text: String, name: String = "input.csv") throws -> String {
        let url = try temporaryDirectory().appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The repository's root (the folder holding Package.swift), found from this file.
    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// A committed sample under `data/`.
    public static func dataFile(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("data").appendingPathComponent(name).path
    }

    /// A seed file from the shared specification inputs, when present beside the repository
    /// (`../shared/data/seeds/`), else the copy committed under `data/`.
    public static func seedFile(_ name: String) -> String {
        let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/seeds/\(name)").path
        return FileManager.default.fileExists(atPath: shared) ? shared : dataFile(name)
    }

    /// All rows of batches as values, in order.
    public static func rows(_ batches: [RecordBatch]) -> [[Value]] {
        batches.flatMap(\.rows)
    }
}

/// Runs the built `sluice` executable, for tests of the command line.
public enum CLI {
    /// The `sluice` binary built beside the test bundle.
    public static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return TestSupport.repositoryRoot.appendingPathComponent(".build/debug/sluice").path
    }

    /// What one run printed and how it exited.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `sluice arguments…` in `directory` and waits for it.
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// The tests' seeded generator: SluiceCore's SplitMix64, so every randomised case can be
/// replayed by its seed.
public typealias SeededGenerator = SplitMix64
