import SluiceCore
import SluiceEngine
import SluiceIO
import Testing

/// Issue 10 (item 2): a tiny split size cannot cut a file into millions of splits.
@Suite("split counts are bounded")
struct SplitBoundsTests {
    @Test("a one-byte split size on a 600 MB file gives at most maxSplits splits; small files keep the size asked for")
    func bounded() {
        let config = ExecutionConfig(workers: 2, splitBytes: 1)
        let large = FileSplitter.splitBytes(fileSize: 600 << 20, config: config)
        #expect(FileSplitter.ranges(dataStart: 0, fileSize: 600 << 20, splitBytes: large).count <= FileSplitter.maxSplits)
        #expect(FileSplitter.splitBytes(fileSize: 2_000, config: config) == 1)
    }
}
