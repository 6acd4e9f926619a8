import SluiceEngine
import SluiceIO

/// Text written as numbered chunks made in parallel and handed over in order: the way the
/// generators stay deterministic (chunk `i` depends only on the seed and `i`) whatever the
/// number of threads.
enum ChunkedText {
    /// Hands `header`, then chunks `0..<chunks` made by `make` on up to `workers` threads, to
    /// `write` in order.
    static func write(header: String, chunks: Int, workers: Int, make: @escaping @Sendable (Int) -> [UInt8],
                      _ write: (inout [UInt8]) throws -> Void) throws {
        var first = Array(header.utf8)
        try write(&first)
        let workers = max(1, workers)
        let pool = WorkerPool(workers: workers)
        var next = 0
        while next < chunks {
            let window = min(chunks - next, workers * 2)
            let start = next
            let parts = try pool.run(taskCount: window, cancellation: Cancellation()) { index in
                ChunkBytes(bytes: make(start + index))
            }
            for var part in parts { try write(&part.bytes) }
            next += window
        }
    }

    /// Writes a generator's text atomically to `destination` and says what was written.
    static func file(at destination: String, rows: Int, description: String,
                     _ produce: ((inout [UInt8]) throws -> Void) throws -> Void) throws -> GeneratedSample {
        let file = try AtomicFileWriter(path: destination)
        var bytes = 0
        try produce { chunk in
            bytes += chunk.count
            try file.write(&chunk)
        }
        try file.commit()
        return GeneratedSample(files: [destination], rows: rows, bytes: bytes, description: description)
    }
}

struct ChunkBytes: Sendable {
    var bytes: [UInt8]
}
