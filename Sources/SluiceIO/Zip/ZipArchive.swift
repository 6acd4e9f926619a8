#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SluiceCore

/// What an archive's central directory says about one entry. The sizes are as declared and
/// may lie; `ZipEntryReader` checks them against the bytes it actually decompresses.
public struct ZipEntryInfo: Sendable, Equatable {
    /// The entry's position in the archive's central directory, from 0.
    public let index: Int
    /// The entry's name as stored (UTF-8, or CP437 converted to UTF-8). Never a file path.
    public let name: String
    /// The uncompressed size the directory declares.
    public let uncompressedSize: Int
    /// The compressed size the directory declares.
    public let compressedSize: Int
    /// True for directory entries (names ending in `/`), which hold no data.
    public let isDirectory: Bool
    /// True when the entry is encrypted (Sluice cannot read it).
    public let isEncrypted: Bool
    /// The ZIP compression method (0 stored, 8 deflated, others read through libzip), when known.
    let compressionMethod: Int?
    /// The CRC-32 the directory declares, when known.
    let crc: UInt32?
}

/// A ZIP archive opened read-only, from a file or from bytes in memory. Owns libzip's
/// `zip_t` and discards it in `deinit`.
///
/// Not thread-safe (libzip's archives are not): use one archive from one thread at a time,
/// which is why it is not `Sendable`. Entry readers it hands out keep it alive.
///
/// ```swift
/// let archive = try ZipArchive(path: "events_week_43.zip")
/// for entry in try archive.entries() where !entry.isDirectory {
///     let bytes = try archive.read(entryAt: entry.index)
/// }
/// ```
public final class ZipArchive {
    /// Where the archive is, for messages: the file path, or the full nested display path
    /// (`week.zip!/day.zip`) of an archive read from memory.
    public let displayPath: String
    /// How many entries the central directory holds.
    public let entryCount: Int
    private let handle: OpaquePointer
    /// The bytes behind an in-memory archive; libzip reads them without copying, so they are
    /// freed only after the archive is discarded.
    private let storage: UnsafeMutableRawBufferPointer?

    /// Opens the archive file at `path` read-only. The corresponding C function is `zip_open`
    /// with `ZIP_RDONLY`.
    /// - Parameter path: the file to open; also the archive's `displayPath`.
    /// - Throws: a configuration error when the file is missing, a directory or unreadable;
    ///   a data error ("not a zip archive", "archive is corrupt…") when it is not a readable
    ///   ZIP archive. The error's `location` is `path`.
    public convenience init(path: String) throws(SluiceError) {
        if let problem = Self.fileProblem(path) { throw problem }
        try self.init(file: path, displayPath: path)
    }

    /// Opens the archive file at `path`, named `displayPath` in messages (a nested archive
    /// spilled to a temporary file keeps its nested name).
    init(file path: String, displayPath: String) throws(SluiceError) {
        self.displayPath = displayPath
        storage = nil
        switch ZipC.openArchive(path: path) {
        case .success(let archive): handle = archive
        case .failure(let failure): throw failure.sluiceError(path == displayPath ? .openingFile : .openingNested, location: displayPath)
        }
        guard let count = ZipC.entryCount(handle) else {
            ZipC.discard(handle)
            throw SluiceError(.data, "archive is corrupt (cannot count its entries)", location: displayPath)
        }
        entryCount = count
    }

    /// Opens an archive held in memory, read-only, from a private copy of `bytes`. The
    /// corresponding C functions are `zip_source_buffer_create` and `zip_open_from_source`.
    /// - Parameters:
    ///   - bytes: the whole archive.
    ///   - displayPath: where these bytes came from, for messages (`outer.zip!/inner.zip`).
    /// - Throws: a data error when the bytes are not a readable ZIP archive.
    public convenience init(bytes: [UInt8], displayPath: String) throws(SluiceError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { copy.baseAddress?.copyMemory(from: base, byteCount: source.count) }
        }
        try self.init(taking: copy, count: bytes.count, displayPath: displayPath)
    }

    /// Opens an archive over `count` bytes of `buffer` and takes ownership of the buffer: it is
    /// deallocated when the archive is, or here if opening fails.
    init(taking buffer: UnsafeMutableRawBufferPointer, count: Int, displayPath: String) throws(SluiceError) {
        self.displayPath = displayPath
        guard count > 0, let base = buffer.baseAddress else {
            buffer.deallocate()
            throw SluiceError(.data, "not a zip archive (the entry is empty)", location: displayPath,
                              hint: "fix or remove it, or run with --on-error skip to record it as a reject and go on")
        }
        switch ZipC.openArchive(buffer: UnsafeRawPointer(base), count: count) {
        case .success(let archive): handle = archive
        case .failure(let failure):
            buffer.deallocate()
            throw failure.sluiceError(.openingNested, location: displayPath)
        }
        storage = buffer
        guard let entries = ZipC.entryCount(handle) else {
            ZipC.discard(handle)
            buffer.deallocate()
            throw SluiceError(.data, "archive is corrupt (cannot count its entries)", location: displayPath)
        }
        entryCount = entries
    }

    deinit {
        ZipC.discard(handle)
        storage?.deallocate()
    }

    /// The entry at `index` in the central directory. The corresponding C function is
    /// `zip_stat_index`.
    /// - Throws: a configuration error when `index` is out of range; a data error when the
    ///   directory record is unreadable or incomplete.
    public func entry(at index: Int) throws(SluiceError) -> ZipEntryInfo {
        guard index >= 0, index < entryCount else {
            throw SluiceError(.configuration, "entry index \(index) is out of range (the archive holds \(entryCount) entries)",
                              location: displayPath)
        }
        let stat: ZipCStat
        switch ZipC.stat(handle, index: index) {
        case .success(let value): stat = value
        case .failure(let failure): throw failure.sluiceError(.listing, location: "\(displayPath) entry #\(index)")
        }
        guard let name = stat.name, let size = stat.size, let compressed = stat.compressedSize else {
            throw SluiceError(.data, "archive is corrupt (entry #\(index) has no name or size in the directory)",
                              location: displayPath, hint: "re-create the archive, or run with --on-error skip")
        }
        return ZipEntryInfo(index: index, name: name, uncompressedSize: size, compressedSize: compressed,
                            isDirectory: name.hasSuffix("/"), isEncrypted: stat.isEncrypted,
                            compressionMethod: stat.compressionMethod, crc: stat.crc)
    }

    /// Every entry, in central-directory order.
    /// - Complexity: O(`entryCount`); callers enforce `ZipLimits.maxEntriesPerArchive` first.
    /// - Throws: as `entry(at:)`.
    public func entries() throws(SluiceError) -> [ZipEntryInfo] {
        var result: [ZipEntryInfo] = []
        result.reserveCapacity(entryCount)
        for index in 0..<entryCount { result.append(try entry(at: index)) }
        return result
    }

    /// The display path of an entry of this archive: `displayPath!/name`.
    public func displayPath(of entry: ZipEntryInfo) -> String {
        ZipNames.join(displayPath, entry.name)
    }

    /// Opens the entry at `index` for streaming its uncompressed bytes under `limits`. The
    /// corresponding C function is `zip_fopen_index`.
    /// - Throws: a data error when the entry is a directory, encrypted, declares a size past the
    ///   limits, or cannot be opened; the location is the entry's display path.
    public func openEntry(at index: Int, limits: ZipLimits = ZipLimits()) throws(SluiceError) -> ZipEntryReader {
        let info = try entry(at: index)
        return try ZipEntryReader(archive: self, entry: info, displayPath: displayPath(of: info), limits: limits)
    }

    /// Opens an already-listed entry (no second `zip_stat_index`).
    func openEntry(_ info: ZipEntryInfo, limits: ZipLimits, displayPath: String) throws(SluiceError) -> ZipEntryReader {
        try ZipEntryReader(archive: self, entry: info, displayPath: displayPath, limits: limits)
    }

    /// Reads the whole entry at `index`, stopping with an error as soon as a limit is passed.
    /// - Throws: as `openEntry(at:limits:)` and `ZipEntryReader.readAll()`.
    public func read(entryAt index: Int, limits: ZipLimits = ZipLimits()) throws(SluiceError) -> [UInt8] {
        try openEntry(at: index, limits: limits).readAll()
    }

    /// The first `count` bytes of an entry (fewer if it is shorter), for sniffing its format.
    /// Reads only as far as needed; no CRC is checked since the end is not reached.
    func readPrefix(_ info: ZipEntryInfo, count: Int, limits: ZipLimits, displayPath: String) throws(SluiceError) -> [UInt8] {
        let reader = try ZipEntryReader(archive: self, entry: info, displayPath: displayPath, limits: limits)
        return try reader.readPrefix(count)
    }

    // MARK: - libzip access for ZipEntryReader

    /// Opens a `zip_file_t` for `index` (for its stored bytes, with `compressed`); the reader owns it.
    func openFile(_ index: Int, compressed: Bool = false, displayPath: String) throws(SluiceError) -> OpaquePointer {
        switch ZipC.openEntry(handle, index: index, compressed: compressed) {
        case .success(let file): return file
        case .failure(let failure): throw failure.sluiceError(.reading, location: displayPath)
        }
    }

    /// Why `path` cannot be an archive file (missing, a directory, unreadable), or nil.
    private static func fileProblem(_ path: String) -> SluiceError? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            return SluiceError(.configuration, "cannot open archive: \(reason)", location: path,
                               hint: "check the path; relative paths are resolved from the current directory")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            return SluiceError(.configuration, "archive path is a directory, not a file", location: path,
                               hint: "give the .zip file itself")
        }
        if (info.st_mode & S_IFMT) != S_IFREG {
            return SluiceError(.configuration, "archive path is a pipe, socket or device, not a regular file; archives are read at offsets",
                               location: path, hint: "write the archive to a file first")
        }
        if info.st_size == 0 {
            return SluiceError(.data, "not a zip archive (the file is empty)", location: path,
                               hint: "check the file is a complete ZIP archive")
        }
        return nil
    }
}

@available(*, unavailable, message: "libzip archives are not thread-safe; open one per thread")
extension ZipArchive: Sendable {}
