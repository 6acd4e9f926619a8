public import SluiceCore
import SluiceIO
import Foundation

/// A file's size and sha-256, by which pipelines that load files recognise content they have
/// already loaded (a re-sent file is skipped, not appended twice).
public enum FileDigest {
    /// The file's size and sha-256, read in 4 MB blocks.
    public static func of(_ path: String) throws(SluiceError) -> (Int, String) {
        let file = try ReadableFile(path: path)
        var hash = SHA256()
        var offset = 0
        while offset < file.size {
            let block = try file.readBytes(at: offset, count: min(4 << 20, file.size - offset))
            guard !block.isEmpty else { break }
            hash.update(block)
            offset += block.count
        }
        return (file.size, hash.finish())
    }

    /// A file's size and sha-256 computed on a thread of its own while the caller reads the
    /// file for something else (its date form), so the two passes overlap instead of adding up.
    /// Not on the worker pool or the cooperative pool: it is one long, blocking job.
    public final class Pending: Sendable {
        private let result = Locked<Result<(Int, String), SluiceError>?>(nil)
        private let done = DispatchSemaphore(value: 0)

        /// Starts hashing `path` at once.
        public init(_ path: String) {
            let thread = Thread { [self] in
                let outcome = Result { () throws(SluiceError) in try FileDigest.of(path) }
                result.withLock { $0 = outcome }
                done.signal()
            }
            thread.start()
        }

        /// Waits for the digest; call once.
        public func wait() throws(SluiceError) -> (Int, String) {
            done.wait()
            guard let outcome = result.withLock({ $0 }) else { throw SluiceError.internal("the digest finished without a result") }
            return try outcome.get()
        }
    }

}
