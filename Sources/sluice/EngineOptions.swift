import ArgumentParser
import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO

/// Options every job takes: parallelism, memory, temp space, reject limits, reporting.
struct EngineOptions: ParsableArguments {
    @Option(help: "Worker threads (default: all cores).")
    var workers: Int = ExecutionConfig.coreCount

    @Option(help: "Memory budget, e.g. 256MB or 2GB (default: half of physical memory).")
    var memory: String?

    @Option(name: .customLong("temp-dir"), help: "Directory for spill files, created when missing (default: $TMPDIR, else /tmp).")
    var tempDir: String?

    @Option(name: .customLong("split-size"), help: "Bytes per input split, e.g. 64MB (default: from file size and workers).")
    var splitSize: String?

    @Option(name: .customLong("batch-rows"), help: "Rows per batch.")
    var batchRows: Int = 65_536

    @Option(name: .customLong("shuffle-partitions"), help: "Buckets per shuffle, like spark.sql.shuffle.partitions (default: a power of two, at least 4 per worker and 8).")
    var shufflePartitions: Int?

    @Option(name: .customLong("max-rejects"), help: "Fail once more than this many rows are rejected.")
    var maxRejects: Int?

    @Option(name: .customLong("max-reject-ratio"), help: "Fail when rejected rows exceed this share of rows read (0–1).")
    var maxRejectRatio: Double?

    @Flag(help: "Print per-stage figures: rows, bytes, time, peak memory.")
    var stats = false

    @Flag(name: .customLong("no-progress"), help: "Never draw the progress bar.")
    var noProgress = false

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        if let shufflePartitions, !(1...4_096).contains(shufflePartitions) {
            throw ValidationError("--shuffle-partitions must be between 1 and 4096")
        }
        let most = ExecutionConfig.coreCount * 16
        guard workers <= most else {
            throw ValidationError("--workers \(workers) is more than 16 per core (\(ExecutionConfig.coreCount) cores here: at most \(most)); more threads only slow a run down")
        }
        guard batchRows >= 1 else { throw ValidationError("--batch-rows must be at least 1") }
        if let memory {
            guard let bytes = ByteCount.parse(memory) else { throw ValidationError("--memory '\(memory)' is not a size like 256MB") }
            guard bytes >= 16 << 20 else { throw ValidationError("--memory \(memory) is below the 16MB a run needs at the least") }
        }
        if let splitSize {
            guard let bytes = ByteCount.parse(splitSize) else { throw ValidationError("--split-size '\(splitSize)' is not a size like 64MB") }
            guard bytes >= 64 << 10 else { throw ValidationError("--split-size \(splitSize) is below 64KB; smaller splits only add overhead") }
        }
        if let maxRejectRatio, !(0...1).contains(maxRejectRatio) { throw ValidationError("--max-reject-ratio must be between 0 and 1") }
    }

    /// The spill directory: `--temp-dir`, else `$TMPDIR`, else `/tmp`.
    var temporaryDirectory: String {
        if let tempDir { return tempDir }
        if let fromEnvironment = ProcessInfo.processInfo.environment["TMPDIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "/tmp"
    }

    /// The run's configuration; also sizes the allocator to the budget and creates the
    /// spill directory when it is missing.
    /// - Throws: a configuration error when the directory cannot be created or written.
    func config() throws -> ExecutionConfig {
        let directory = temporaryDirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SluiceError(.configuration, "cannot create the temp directory: \(error.localizedDescription)", location: directory,
                              hint: "point --temp-dir at a writable directory")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw SluiceError(.configuration, "the temp directory is not writable", location: directory, hint: "point --temp-dir at a writable directory")
        }
        let budget = memory.flatMap(ByteCount.parse) ?? SystemInfo.physicalMemory / 2
        AllocatorTuning.apply(memoryLimit: budget, bounded: memory != nil, workers: workers)
        return ExecutionConfig(
            workers: workers,
            memoryLimit: budget,
            batchRows: batchRows,
            shufflePartitions: shufflePartitions,
            splitBytes: splitSize.flatMap(ByteCount.parse),
            temporaryDirectory: directory
        )
    }

    func rejectSink() -> RejectSink {
        RejectSink(maxRejects: maxRejects, maxRejectRatio: maxRejectRatio, temporaryDirectory: temporaryDirectory)
    }
}
