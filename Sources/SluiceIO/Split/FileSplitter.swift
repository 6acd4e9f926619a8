import CSluiceHints
public import SluiceCore
public import SluiceEngine

/// Cuts a file into byte ranges for parallel parsing, and counts the newlines in each so
/// every range knows its line numbers. Where a range's first record starts is found by
/// ``CSVSynchronizer`` (quote parity, which this once used, is wrong as soon as a quote
/// stands inside an unquoted field).
public enum FileSplitter {
    /// The most splits one file is cut into.
    public static let maxSplits = 4_096

    /// The split size for a file: about two splits per worker, so each task's partial
    /// aggregation sees enough rows to reduce them, bounded so a split's read-ahead and
    /// partial state fit the memory budget.
    ///
    /// Past one round of tasks, the split count is rounded up to a multiple of the workers,
    /// so the last round does not leave workers idle: the 100M file (4.7 GB) was 9 splits of
    /// 512 MB on 2 workers, and the ninth ran alone for a ninth of the map stage; it is now
    /// 10 of 475 MB.
    ///
    /// A given split size is honoured down to what keeps a file within ``maxSplits`` splits
    /// (each split has state of its own: `--split-size 1` on a large file must not mean
    /// millions of them).
    public static func splitBytes(fileSize: Int, config: ExecutionConfig) -> Int {
        if let fixed = config.splitBytes { return max(1, fixed, fileSize / maxSplits + 1) }
        var size = fileSize / max(1, config.workers * 2) + 1
        size = min(max(size, 4 << 20), 512 << 20)
        if let limit = config.memoryLimit {
            size = min(size, max(1 << 20, limit / max(1, config.workers * 8)))
        }
        let workers = max(1, config.workers)
        let splits = (fileSize + size - 1) / size
        if splits > workers, splits % workers != 0 {
            let whole = min(maxSplits, (splits + workers - 1) / workers * workers)
            size = fileSize / whole + 1
        }
        return size
    }

    /// The byte ranges `[start, end)` covering `dataStart..<fileSize` in `splitBytes` pieces.
    public static func ranges(dataStart: Int, fileSize: Int, splitBytes: Int) -> [Range<Int>] {
        guard fileSize > dataStart else { return [dataStart..<dataStart] }
        var ranges: [Range<Int>] = []
        var start = dataStart
        while start < fileSize {
            let end = min(fileSize, start + splitBytes)
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// Counts of one range: quote bytes and newline bytes.
    public struct RangeCounts: Sendable {
        public var quotes: Int
        public var newlines: Int
    }

    /// Counts `quote` and `\n` bytes in `range` of `file`, reading in blocks.
    public static func count(_ file: ReadableFile, range: Range<Int>, quote: UInt8?, blockBytes: Int = 1 << 20) throws(SluiceError) -> RangeCounts {
        var counts = RangeCounts(quotes: 0, newlines: 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockBytes, alignment: 64)
        defer { buffer.deallocate() }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let want = min(blockBytes, range.upperBound - offset)
            let got = try file.read(into: buffer, at: offset, count: want)
            if got == 0 { break }
            let block = countBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<got]), UInt8(ascii: "\n"), quote ?? UInt8(ascii: "\n"))
            counts.newlines += block.first
            if quote != nil { counts.quotes += block.second }
            offset += got
        }
        return counts
    }

    /// The number of bytes equal to `first` and to `second`, sixteen bytes a step (see
    /// `sluice_count_byte`); when they are the same byte the buffer is read once and both
    /// counts are that count.
    public static func countBytes(_ bytes: UnsafeRawBufferPointer, _ first: UInt8, _ second: UInt8) -> (first: Int, second: Int) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return (0, 0) }
        let firstCount = sluice_count_byte(base, bytes.count, first)
        return (firstCount, second == first ? firstCount : sluice_count_byte(base, bytes.count, second))
    }
}
