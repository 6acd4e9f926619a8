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
        // A pipe, socket or device has no size and cannot be read at an offset (and opening a
        // FIFO with no writer blocks forever), so it is refused before it is opened.
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SluiceError(.configuration, "input is \(Self.kind(of: info.st_mode)), not a regular file; splits are read in parallel at byte offsets",
                              location: path, hint: "write the stream to a file first, e.g. `cat \(path) > input.csv`")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SluiceError(.configuration, "cannot open input file: \(reason)", location: path)
        }
        descriptor = fd
        size = Int(info.st_size)
        if size == 0 {
            // /proc and /sys files say they are empty and are not: refuse rather than read nothing.
            var probe: UInt8 = 0
            if pread(fd, &probe, 1, 0) == 1 {
                throw SluiceError(.configuration, "input reports a size of 0 but has content (a /proc or /sys file?); its size cannot be trusted",
                                  location: path, hint: "copy it to a regular file first, e.g. `cat \(path) > input.csv`")
            }
        }
    }

    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a named pipe (FIFO)"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        default: "a special file"
        }
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
