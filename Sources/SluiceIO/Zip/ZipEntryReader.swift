public import SluiceCore

/// Streams the uncompressed bytes of one archive entry and enforces `ZipLimits` while it
/// does. Owns libzip's `zip_file_t` and closes it in `deinit`; holds its archive alive.
///
/// The sizes in an entry's header are only trusted to reject early. While reading, the reader
/// asks libzip for no more than one byte past the first limit it could pass — the declared size,
/// `maxEntryBytes`, or the compression-ratio ceiling — so a zip bomb is stopped within one byte
/// of the limit, and an entry that holds more (or less) data than its header declares is
/// reported as corrupt. The CRC is checked when the end is reached (by ``ZipInflater`` for
/// deflated entries, by libzip for the rest), so read to the end
/// (`readAll`, or `read(into:)` until it returns 0) to know the bytes are intact.
///
/// Not thread-safe; use from the thread that owns its archive.
///
/// ```swift
/// let reader = try archive.openEntry(at: 3)
/// while let chunk = try reader.readChunk() { parser.feed(chunk) }
/// ```
public final class ZipEntryReader {
    /// The entry being read.
    public let entry: ZipEntryInfo
    /// The entry's full display path, used as the `location` of every error.
    public let displayPath: String
    /// Uncompressed bytes returned so far.
    public private(set) var bytesRead = 0
    private let archive: ZipArchive
    private let file: OpaquePointer
    /// Inflates and checks deflated entries here (see ``ZipInflater``); nil for the other
    /// methods, which libzip decompresses (or copies) and checks.
    private let inflater: ZipInflater?
    private let limits: ZipLimits
    /// The most bytes that can be read without passing a limit.
    private let ceiling: Int
    private var finished = false
    private var failure: SluiceError?

    /// Checks the declared sizes against `limits`, then opens the entry. The corresponding C
    /// function is `zip_fopen_index`.
    init(archive: ZipArchive, entry: ZipEntryInfo, displayPath: String, limits: ZipLimits) throws(SluiceError) {
        try Self.checkDeclared(entry, limits: limits, displayPath: displayPath)
        self.entry = entry
        self.displayPath = displayPath
        self.archive = archive
        self.limits = limits
        self.ceiling = min(entry.uncompressedSize, limits.maxEntryBytes,
                           Self.ratioCeiling(limits, compressedSize: entry.compressedSize))
        if entry.compressionMethod == ZipInflater.deflate, let crc = entry.crc {
            let file = try archive.openFile(entry.index, compressed: true, displayPath: displayPath)
            guard let inflater = ZipInflater(file: file, crc: crc) else {
                ZipC.closeEntry(file)
                throw SluiceError(.resourcesExhausted, "cannot start decompressing the entry (zlib could not allocate its state)",
                                  location: displayPath, hint: "free some memory and run again")
            }
            self.file = file
            self.inflater = inflater
        } else {
            self.file = try archive.openFile(entry.index, displayPath: displayPath)
            self.inflater = nil
        }
    }

    deinit {
        ZipC.closeEntry(file)
    }

    /// The next uncompressed bytes, from the inflater or from libzip.
    private func readSome(_ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, ZipCFailure> {
        if let inflater { return inflater.read(into: buffer) }
        return ZipC.readEntry(file, into: buffer)
    }

    /// Reads up to `buffer.count` bytes into `buffer`; returns how many, and 0 only at the end
    /// of the entry (after its CRC has been checked). The corresponding C function is `zip_fread`.
    /// - Throws: a data error when the entry is corrupt (CRC, bad compressed data, more or
    ///   less data than declared) or a limit is passed. After an error every later call throws
    ///   the same error.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SluiceError) -> Int {
        if let failure { throw failure }
        if finished || buffer.isEmpty { return 0 }
        // One byte past the ceiling is enough to know a limit was passed.
        let request = min(buffer.count, ceiling - bytesRead + 1)
        let count: Int
        switch readSome(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<request])) {
        case .success(let value): count = value
        case .failure(let error): return try fail(error.sluiceError(.reading, location: displayPath))
        }
        if count == 0 {
            finished = true
            if bytesRead < entry.uncompressedSize {
                return try fail(SluiceError(.data, "entry is truncated or corrupt: it holds \(bytesRead) bytes but its header declares \(entry.uncompressedSize)",
                                            location: displayPath, hint: "re-create the archive, or run with --on-error skip"))
            }
            return 0
        }
        bytesRead += count
        if bytesRead > ceiling { return try fail(limitError()) }
        return count
    }

    /// The next chunk of at most `maxCount` bytes, or nil at the end of the entry.
    /// - Throws: as `read(into:)`.
    public func readChunk(maxCount: Int = 64 << 10) throws(SluiceError) -> [UInt8]? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, maxCount), alignment: 1)
        defer { buffer.deallocate() }
        let count = try read(into: buffer)
        return count == 0 ? nil : Array(buffer[0..<count])
    }

    /// Every remaining byte of the entry, read to the end so the CRC is checked.
    /// - Throws: as `read(into:)`; nothing is returned from a corrupt or over-limit entry.
    /// The bytes go straight into the array's storage, sized from the header (the reader
    /// never returns more than that and one byte): copying each 64 KB read from a scratch
    /// buffer into the array was 2.5% of an ecommerce run's instructions.
    public func readAll() throws(SluiceError) -> [UInt8] {
        let expected = max(0, entry.uncompressedSize - bytesRead)
        var failure: SluiceError?
        let result = [UInt8](unsafeUninitializedCapacity: max(1, expected + 1)) { storage, initialized in
            let raw = UnsafeMutableRawBufferPointer(storage)
            var filled = 0
            do throws(SluiceError) {
                while filled < raw.count {
                    let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                    if count == 0 { break }
                    filled += count
                }
            } catch {
                failure = error
            }
            initialized = filled
        }
        // The one byte past the header's size is never kept: reading it passes the ceiling,
        // and `read(into:)` throws.
        if let failure { throw failure }
        return result
    }

    /// Every remaining byte, in a new buffer of exactly the declared size that the caller owns
    /// (for opening a nested archive without a second copy). Freed here on failure.
    func readAllIntoBuffer() throws(SluiceError) -> (buffer: UnsafeMutableRawBufferPointer, count: Int) {
        let size = entry.uncompressedSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, size), alignment: 16)
        var filled = 0
        do throws(SluiceError) {
            while filled < size {
                let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<size]))
                if count == 0 { break }
                filled += count
            }
            // Reach the end, so the CRC is checked and extra data is caught.
            if try readChunk(maxCount: 1) != nil {
                throw SluiceError.internal("zip reader returned data past its ceiling")
            }
        } catch {
            buffer.deallocate()
            throw error
        }
        return (buffer, filled)
    }

    /// Up to `count` leading bytes, without reading to the end.
    func readPrefix(_ count: Int) throws(SluiceError) -> [UInt8] {
        var result: [UInt8] = []
        while result.count < count, let chunk = try readChunk(maxCount: count - result.count) {
            result.append(contentsOf: chunk)
        }
        return result
    }

    private func fail(_ error: SluiceError) throws(SluiceError) -> Int {
        failure = error
        throw error
    }

    /// Which limit `bytesRead` passed, as an error.
    private func limitError() -> SluiceError {
        if bytesRead > entry.uncompressedSize {
            return SluiceError(.data, "entry is corrupt: it holds more data than the \(entry.uncompressedSize) bytes its header declares (a damaged archive, or one crafted to hide a zip bomb)",
                               location: displayPath, hint: "re-create the archive, or run with --on-error skip")
        }
        if bytesRead > limits.maxEntryBytes {
            return limits.entryTooLarge(displayPath, bytes: limits.maxEntryBytes, declared: false)
        }
        return limits.ratioTooHigh(displayPath, uncompressed: bytesRead, compressed: entry.compressedSize, declared: false)
    }

    /// Rejects, from its header alone, an entry that cannot be read: a directory, encrypted, or
    /// declaring a size or compression ratio past `limits`.
    static func checkDeclared(_ entry: ZipEntryInfo, limits: ZipLimits, displayPath: String) throws(SluiceError) {
        guard !entry.isDirectory else {
            throw SluiceError(.configuration, "entry is a directory and holds no data", location: displayPath)
        }
        guard !entry.isEncrypted else {
            throw SluiceError(.data, "entry is encrypted; Sluice does not read encrypted archives", location: displayPath,
                              hint: "decrypt the archive first, or exclude the entry with the name pattern")
        }
        if entry.uncompressedSize > limits.maxEntryBytes {
            throw limits.entryTooLarge(displayPath, bytes: entry.uncompressedSize, declared: true)
        }
        if entry.uncompressedSize > ratioCeiling(limits, compressedSize: entry.compressedSize) {
            throw limits.ratioTooHigh(displayPath, uncompressed: entry.uncompressedSize,
                                      compressed: entry.compressedSize, declared: true)
        }
    }

    /// The most uncompressed bytes an entry of `compressedSize` may hold before its ratio is
    /// over the limit (never below the ratio check's minimum size).
    static func ratioCeiling(_ limits: ZipLimits, compressedSize: Int) -> Int {
        let bytes = limits.maxCompressionRatio * Double(max(compressedSize, 1))
        let ratioBytes = bytes < 9.0e18 ? Int(bytes) : Int.max   // also catches infinity and NaN
        return max(limits.ratioCheckMinimumBytes, ratioBytes)
    }
}

@available(*, unavailable, message: "libzip entry handles are not thread-safe")
extension ZipEntryReader: Sendable {}
