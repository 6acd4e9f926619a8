#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SluiceCore

/// Writes a file under a temporary name in the same directory and renames it into place on
/// `commit()`, so readers see either the old file or the whole new one, never half of it.
/// Without `commit()` (an error, a crash) the temporary file is removed and nothing changes.
public final class AtomicFileWriter {
    public let path: String
    private let temporaryPath: String
    private var descriptor: Int32
    private var pending: [UInt8] = []
    private var committed = false
    private let flushBytes: Int

    /// Creates the temporary file (and any missing parent directories).
    /// - Parameter flushBytes: how much is buffered before a `write(2)`.
    public init(path: String, flushBytes: Int = 1 << 20) throws(SluiceError) {
        self.path = path
        self.flushBytes = flushBytes
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !directory.isEmpty { try Self.makeDirectories(directory) }
        temporaryPath = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF)"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SluiceError(.io, "cannot create output file: \(String(cString: strerror(errno)))", location: temporaryPath,
                              hint: "check that the output directory is writable")
        }
    }

    deinit {
        if !committed {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporaryPath)
        }
    }

    /// Appends bytes (buffered).
    public func write(_ bytes: [UInt8]) throws(SluiceError) {
        pending.append(contentsOf: bytes)
        if pending.count >= flushBytes { try flush() }
    }

    /// Appends bytes and lets the caller reuse its buffer.
    public func write(_ bytes: inout [UInt8]) throws(SluiceError) {
        pending.append(contentsOf: bytes)
        bytes.removeAll(keepingCapacity: true)
        if pending.count >= flushBytes { try flush() }
    }

    private func flush() throws(SluiceError) {
        var offset = 0
        while offset < pending.count {
            let written = pending.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, pending.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = errno == ENOSPC ? "the disk is full" : String(cString: strerror(errno))
                throw SluiceError(.io, "cannot write output: \(reason)", location: temporaryPath)
            }
            offset += written
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the file into place.
    public func commit() throws(SluiceError) {
        try flush()
        guard fsync(descriptor) == 0, close(descriptor) == 0 else {
            throw SluiceError(.io, "cannot finish output file: \(String(cString: strerror(errno)))", location: temporaryPath)
        }
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw SluiceError(.io, "cannot move output into place: \(reason)", location: path)
        }
        committed = true
    }

    static func makeDirectories(_ directory: String) throws(SluiceError) {
        var current = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/") {
            current += "/\(part)"
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw SluiceError(.io, "cannot create directory: \(String(cString: strerror(errno)))", location: current)
            }
        }
    }
}
