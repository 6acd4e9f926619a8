#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SluiceCore

/// How much of the memory budget nested archives may hold, and where the larger ones go.
///
/// A nested archive (a daily zip inside a weekly zip) must be opened to be read, and libzip
/// reads an archive either from memory or from a file. One up to `inMemoryArchiveBytes`
/// (uncompressed, as its header declares; the reader never returns more) is read into
/// memory; a larger one is streamed to a temporary file in `spillDirectory`, opened from
/// there and unlinked at once, so it costs disk rather than memory and leaves nothing behind
/// even if the process is killed.
public struct ZipMemoryPolicy: Sendable, Equatable {
    /// The largest nested archive held in memory.
    public var inMemoryArchiveBytes: Int
    /// Where larger nested archives are written while they are read.
    public var spillDirectory: String

    /// A policy; by default archives up to 64 MiB stay in memory and larger ones go to
    /// `$TMPDIR` (else `/tmp`).
    public init(inMemoryArchiveBytes: Int = 64 << 20, spillDirectory: String? = nil) {
        self.inMemoryArchiveBytes = max(0, inMemoryArchiveBytes)
        if let spillDirectory {
            self.spillDirectory = spillDirectory
        } else if let fromEnvironment = getenv("TMPDIR").map({ String(cString: $0) }), !fromEnvironment.isEmpty {
            self.spillDirectory = fromEnvironment
        } else {
            self.spillDirectory = "/tmp"
        }
    }

    /// The policy for a run: nested archives in memory up to a sixteenth of one worker's
    /// share of the budget (at least 1 MiB, at most 256 MiB), spilled into the run's
    /// temporary directory past that.
    public init(memoryLimit: Int?, workers: Int, temporaryDirectory: String) {
        let share = memoryLimit.map { $0 / max(1, workers) / 16 } ?? (256 << 20)
        self.init(inMemoryArchiveBytes: min(256 << 20, max(1 << 20, share)), spillDirectory: temporaryDirectory)
    }

    /// Streams the rest of `reader`'s entry to a new temporary file and opens it as an
    /// archive named `displayPath`; the file is unlinked once open.
    /// - Throws: an I/O error naming the file when it cannot be written (a full disk), or the
    ///   reader's and libzip's errors.
    func spill(_ reader: ZipEntryReader, displayPath: String) throws(SluiceError) -> ZipArchive {
        var template = Array(spillDirectory.utf8CString.dropLast()) + Array("/sluice-nested-XXXXXX.zip".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemps(base, 4)
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard descriptor >= 0 else {
            throw SluiceError(.io, "cannot create a temporary file for a nested archive: \(String(cString: strerror(errno)))",
                              location: spillDirectory, hint: "point --temp-dir at a writable directory with free space")
        }
        defer { unlink(path) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do throws(SluiceError) {
            while true {
                let count = try reader.read(into: buffer)
                if count == 0 { break }
                var written = 0
                while written < count, let base = buffer.baseAddress {
                    let result = write(descriptor, base + written, count - written)
                    if result < 0, errno == EINTR { continue }
                    guard result > 0 else {
                        throw SluiceError(.io, "cannot write a nested archive to a temporary file: \(String(cString: strerror(errno)))",
                                          location: path, hint: "free space under --temp-dir, or point it elsewhere")
                    }
                    written += result
                }
            }
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        return try ZipArchive(file: path, displayPath: displayPath)
    }
}
