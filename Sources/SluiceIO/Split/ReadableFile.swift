#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SluiceCore

/// An open file read by byte offset (`pread`), shared read-only by the tasks that scan its
/// splits. Owns its descriptor and closes it in `deinit`.
///
/// Reads go through `pread` into buffers the reader owns rather than `mmap`, so the pages
/// of a file many times larger than the memory budget never count as the process's memory.
public final class ReadableFile: Sendable {
    public let path: String
    public let size: Int
    private let descriptor: Int32

    /// Opens `path` for reading.
    /// - Throws: a configuration error when the file does not exist, is a directory or cannot
    ///   be read; the message names the path and the system's reason.
    public init(path: String) throws(SluiceError) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            throw SluiceError(.configuration, "cannot open input file: \(reason)", location: path,
                              hint: "check the path; relative paths are resolved from the current directory")
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR else {
            throw SluiceError(.configuration, "input is a directory, not a file", location: path)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SluiceError(.configuration, "cannot open input file: \(reason)", location: path)
        }
        descriptor = fd
        size = Int(info.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Reads up to `count` bytes at `offset` into `buffer` starting at `bufferOffset`;
    /// returns how many were read (fewer only at the end of the file). The corresponding C
    /// function is `pread`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, count: Int) throws(SluiceError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < count {
            let result = pread(descriptor, base + done, count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw SluiceError(.io, "read failed: \(reason)", location: "\(path) at byte \(offset + done)")
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Reads `count` bytes at `offset` into a new array (short at the end of the file).
    public func readBytes(at offset: Int, count: Int) throws(SluiceError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, min(count, size - offset)))
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(SluiceError) in try read(into: buffer, at: offset, count: buffer.count) }
        }
        let got = try result.get()
        if got < bytes.count { bytes.removeLast(bytes.count - got) }
        return bytes
    }
}
