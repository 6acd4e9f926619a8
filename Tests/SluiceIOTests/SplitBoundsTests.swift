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

    @Test("past one round, the default split count is a multiple of the workers, so no round runs short",
          arguments: [(2, 4_746_012_314), (2, 949_202_481), (3, 2_000_000_000), (4, 5_000_000_000), (2, 600 << 20)] as [(Int, Int)])
    func wholeRounds(workers: Int, fileSize: Int) {
        let size = FileSplitter.splitBytes(fileSize: fileSize, config: ExecutionConfig(workers: workers))
        let count = FileSplitter.ranges(dataStart: 60, fileSize: fileSize, splitBytes: size).count
        #expect(count % workers == 0, "\(count) splits of \(size) bytes on \(workers) workers")
        #expect(size <= 512 << 20)
    }

    @Test("a file of one round or less keeps its splits (a small file is not cut finer to fill the workers)")
    func oneRound() {
        let config = ExecutionConfig(workers: 4)
        #expect(FileSplitter.ranges(dataStart: 0, fileSize: 3 << 20, splitBytes: FileSplitter.splitBytes(fileSize: 3 << 20, config: config)).count == 1)
    }
}
