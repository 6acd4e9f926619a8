public import SluiceCore
public import SluiceEngine

/// Cuts a file into byte ranges for parallel parsing, and finds, for each range, whether
/// its first byte lies inside a quoted field and which line it is on.
///
/// Quote parity: with RFC 4180 quoting (a quote inside a quoted field is doubled), a
/// position is inside a quoted field exactly when an odd number of quote bytes precede it.
/// So one parallel pass that counts quote and newline bytes per range gives every range its
/// starting state, and no split ever cuts a record, even one with newlines inside quotes.
public enum FileSplitter {
    /// The split size for a file: about two splits per worker, so each task's partial
    /// aggregation sees enough rows to reduce them, bounded so a split's read-ahead and
    /// partial state fit the memory budget.
    public static func splitBytes(fileSize: Int, config: ExecutionConfig) -> Int {
        if let fixed = config.splitBytes { return max(1, fixed) }
        var size = fileSize / max(1, config.workers * 2) + 1
        size = min(max(size, 4 << 20), 512 << 20)
        if let limit = config.memoryLimit {
            size = min(size, max(1 << 20, limit / max(1, config.workers * 8)))
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
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<got]).bindMemory(to: UInt8.self)
            counts.newlines += countByte(bytes, UInt8(ascii: "\n"))
            if let quote { counts.quotes += countByte(bytes, quote) }
            offset += got
        }
        return counts
    }

    /// The number of bytes equal to `target` (a loop the compiler vectorises).
    @inlinable
    public static func countByte(_ bytes: UnsafeBufferPointer<UInt8>, _ target: UInt8) -> Int {
        var total = 0
        var index = 0
        let count = bytes.count
        while index + 4096 <= count {
            var chunk: UInt32 = 0
            for offset in index..<index + 4096 { chunk &+= bytes[offset] == target ? 1 : 0 }
            total += Int(chunk)
            index += 4096
        }
        while index < count {
            if bytes[index] == target { total += 1 }
            index += 1
        }
        return total
    }
}
