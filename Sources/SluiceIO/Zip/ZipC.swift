internal import CLibZip

// The single seam between Sluice and libzip: every `zip_*` call in the package is in this
// file, and nothing from `CLibZip` appears in any signature outside it. Handles travel as
// `OpaquePointer` (libzip's `zip_t`, `zip_source_t` and `zip_file_t` are incomplete C
// structs) and are owned by one final class each: `ZipArchive` (`zip_t`) and
// `ZipEntryReader` (`zip_file_t`). A `zip_source_t` lives only inside `ZipC.openArchive(buffer:)`.

/// A libzip failure as a typed value: the `ZIP_ER_*` code, the system `errno` when libzip
/// reports one, and libzip's own text for it.
struct ZipCFailure: Error, Sendable {
    /// What went wrong, from the `ZIP_ER_*` code.
    enum Code: Sendable, Equatable {
        case notAZip            // ZIP_ER_NOZIP
        case crc                // ZIP_ER_CRC
        case inconsistent       // ZIP_ER_INCONS
        case prematureEnd       // ZIP_ER_EOF
        case noSuchFile         // ZIP_ER_NOENT
        case cannotOpen         // ZIP_ER_OPEN
        case read               // ZIP_ER_READ
        case seek               // ZIP_ER_SEEK
        case tell               // ZIP_ER_TELL
        case memory             // ZIP_ER_MEMORY
        case zlib               // ZIP_ER_ZLIB
        case compressedData     // ZIP_ER_COMPRESSED_DATA
        case compressionNotSupported  // ZIP_ER_COMPNOTSUPP
        case encryptionNotSupported   // ZIP_ER_ENCRNOTSUPP
        case passwordRequired   // ZIP_ER_NOPASSWD, ZIP_ER_WRONGPASSWD
        case multiDisk          // ZIP_ER_MULTIDISK
        case operationNotSupported  // ZIP_ER_OPNOTSUPP (libzip's answer for a directory path)
        case invalidArgument    // ZIP_ER_INVAL
        case other(Int32)       // any other code, kept for the message

        init(_ raw: Int32) {
            switch raw {
            case ZIP_ER_NOZIP: self = .notAZip
            case ZIP_ER_CRC: self = .crc
            case ZIP_ER_INCONS: self = .inconsistent
            case ZIP_ER_EOF: self = .prematureEnd
            case ZIP_ER_NOENT: self = .noSuchFile
            case ZIP_ER_OPEN: self = .cannotOpen
            case ZIP_ER_READ: self = .read
            case ZIP_ER_SEEK: self = .seek
            case ZIP_ER_TELL: self = .tell
            case ZIP_ER_MEMORY: self = .memory
            case ZIP_ER_ZLIB: self = .zlib
            case ZIP_ER_COMPRESSED_DATA: self = .compressedData
            case ZIP_ER_COMPNOTSUPP: self = .compressionNotSupported
            case ZIP_ER_ENCRNOTSUPP: self = .encryptionNotSupported
            case ZIP_ER_NOPASSWD, ZIP_ER_WRONGPASSWD: self = .passwordRequired
            case ZIP_ER_MULTIDISK: self = .multiDisk
            case ZIP_ER_OPNOTSUPP: self = .operationNotSupported
            case ZIP_ER_INVAL: self = .invalidArgument
            default: self = .other(raw)
            }
        }
    }

    var code: Code
    /// The `ZIP_ER_*` number, for the detailed message.
    var rawCode: Int32
    /// The system error (`errno`) libzip recorded, or 0.
    var systemCode: Int32
    /// libzip's text for the error (`zip_error_strerror`), including the system reason.
    var text: String

    /// Reads a `zip_error_t` filled in by libzip. The corresponding C functions are
    /// `zip_error_code_zip`, `zip_error_code_system` and `zip_error_strerror`.
    fileprivate init(_ error: UnsafeMutablePointer<zip_error_t>) {
        rawCode = zip_error_code_zip(error)
        systemCode = zip_error_code_system(error)
        code = Code(rawCode)
        text = String(cString: zip_error_strerror(error))
    }

    /// A failure from a bare `ZIP_ER_*` code, as `zip_open` returns it.
    /// The corresponding C function is `zip_error_init_with_code`.
    init(code raw: Int32) {
        var error = zip_error_t()
        zip_error_init_with_code(&error, raw)
        defer { zip_error_fini(&error) }
        self.init(&error)
    }
}

/// What `zip_stat_index` reports about one entry, with each field present only when libzip
/// marks it valid.
struct ZipCStat: Sendable {
    var name: String?
    var size: Int?
    var compressedSize: Int?
    var compressionMethod: Int?
    /// The CRC-32 the directory declares for the uncompressed bytes.
    var crc: UInt32?
    var isEncrypted: Bool
}

/// The libzip calls Sluice makes, one thin wrapper each. Callers own the handles they get.
enum ZipC {
    /// Opens the archive at `path` read-only. The corresponding C function is `zip_open`
    /// with `ZIP_RDONLY`. The caller owns the returned `zip_t` and must `discard` it.
    static func openArchive(path: String) -> Result<OpaquePointer, ZipCFailure> {
        var raw: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY, &raw) else {
            return .failure(ZipCFailure(code: raw))
        }
        return .success(archive)
    }

    /// Opens an archive over `count` bytes at `base`, read-only, without copying them: the
    /// bytes must stay valid and unchanged until the returned archive is discarded.
    /// The corresponding C functions are `zip_source_buffer_create` (with `freep` 0) and
    /// `zip_open_from_source`; on failure the source is freed here (`zip_source_free`), on
    /// success the archive owns it.
    static func openArchive(buffer base: UnsafeRawPointer, count: Int) -> Result<OpaquePointer, ZipCFailure> {
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_buffer_create(base, zip_uint64_t(count), 0, &error) else {
            return .failure(ZipCFailure(&error))
        }
        guard let archive = zip_open_from_source(source, ZIP_RDONLY, &error) else {
            zip_source_free(source)
            return .failure(ZipCFailure(&error))
        }
        return .success(archive)
    }

    /// Closes an archive without writing anything. The corresponding C function is `zip_discard`.
    static func discard(_ archive: OpaquePointer) {
        zip_discard(archive)
    }

    /// The number of entries in the central directory, or nil when libzip reports an error.
    /// The corresponding C function is `zip_get_num_entries`.
    static func entryCount(_ archive: OpaquePointer) -> Int? {
        let count = zip_get_num_entries(archive, 0)
        return count < 0 ? nil : Int(count)
    }

    /// Facts about the entry at `index`. The corresponding C function is `zip_stat_index`
    /// (names guessed as UTF-8 or CP437 and returned as UTF-8).
    static func stat(_ archive: OpaquePointer, index: Int) -> Result<ZipCStat, ZipCFailure> {
        var info = zip_stat_t()
        zip_stat_init(&info)
        guard zip_stat_index(archive, zip_uint64_t(index), 0, &info) == 0 else {
            return .failure(archiveFailure(archive))
        }
        func has(_ flag: UInt32) -> Bool { info.valid & zip_uint64_t(flag) != 0 }
        let name: String? = has(ZIP_STAT_NAME) ? info.name.map { String(cString: $0) } : nil
        let size: Int? = has(ZIP_STAT_SIZE) ? Int(clamping: info.size) : nil
        let compressed: Int? = has(ZIP_STAT_COMP_SIZE) ? Int(clamping: info.comp_size) : nil
        let method: Int? = has(ZIP_STAT_COMP_METHOD) ? Int(info.comp_method) : nil
        let crc: UInt32? = has(ZIP_STAT_CRC) ? info.crc : nil
        let encrypted = has(ZIP_STAT_ENCRYPTION_METHOD) && info.encryption_method != UInt16(ZIP_EM_NONE)
        return .success(ZipCStat(name: name, size: size, compressedSize: compressed,
                                 compressionMethod: method, crc: crc, isEncrypted: encrypted))
    }

    /// Opens the entry at `index` for reading its uncompressed bytes. The corresponding C
    /// function is `zip_fopen_index`. The caller owns the returned `zip_file_t` and must
    /// `closeEntry` it before the archive is discarded.
    /// With `compressed`, the entry's stored bytes are returned as they are (`ZIP_FL_COMPRESSED`):
    /// the caller inflates them and checks the CRC itself.
    static func openEntry(_ archive: OpaquePointer, index: Int, compressed: Bool = false) -> Result<OpaquePointer, ZipCFailure> {
        guard let file = zip_fopen_index(archive, zip_uint64_t(index), compressed ? zip_flags_t(ZIP_FL_COMPRESSED) : 0) else {
            return .failure(archiveFailure(archive))
        }
        return .success(file)
    }

    /// Reads up to `buffer.count` uncompressed bytes (or stored ones, for an entry opened
    /// `compressed`); 0 means the end of the entry. libzip checks the CRC when the end is
    /// reached, unless the entry was opened `compressed`. The corresponding C function is `zip_fread`.
    static func readEntry(_ file: OpaquePointer, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, ZipCFailure> {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .success(0) }
        let count = zip_fread(file, base, zip_uint64_t(buffer.count))
        guard count >= 0 else { return .failure(ZipCFailure(zip_file_get_error(file))) }
        return .success(Int(count))
    }

    /// Closes an entry opened by `openEntry`. The corresponding C function is `zip_fclose`.
    static func closeEntry(_ file: OpaquePointer) {
        _ = zip_fclose(file)
    }

    /// The archive's last error. The corresponding C function is `zip_get_error`.
    private static func archiveFailure(_ archive: OpaquePointer) -> ZipCFailure {
        ZipCFailure(zip_get_error(archive))
    }
}

// MARK: - Writing (the generators' archives)

extension ZipC {
    /// Creates (or truncates) an archive file for writing. The corresponding C function is
    /// `zip_open` with `ZIP_CREATE | ZIP_TRUNCATE`; nothing is written until `closeWriting`.
    static func createArchive(path: String) -> Result<OpaquePointer, ZipCFailure> {
        var raw: Int32 = 0
        guard let archive = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &raw) else {
            return .failure(ZipCFailure(code: raw))
        }
        return .success(archive)
    }

    /// Creates an archive that is written into memory: returns the archive and its source,
    /// which is kept alive past `zip_close` so the bytes can be read back with
    /// `takeMemoryArchive`. The corresponding C functions are `zip_source_buffer_create`,
    /// `zip_source_keep` and `zip_open_from_source` with `ZIP_TRUNCATE`.
    static func createMemoryArchive() -> Result<(archive: OpaquePointer, source: OpaquePointer), ZipCFailure> {
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_buffer_create(nil, 0, 0, &error) else { return .failure(ZipCFailure(&error)) }
        zip_source_keep(source)
        guard let archive = zip_open_from_source(source, ZIP_TRUNCATE, &error) else {
            zip_source_free(source)
            zip_source_free(source)
            return .failure(ZipCFailure(&error))
        }
        return .success((archive, source))
    }

    /// Adds an entry whose bytes libzip reads when the archive is closed (they must stay
    /// valid until then), deflated at `level` (1 fastest … 9 smallest; 0 stores it), with a
    /// fixed modification time (seconds since the epoch) so the archive's bytes are
    /// reproducible. The corresponding C functions are `zip_source_buffer`, `zip_file_add`,
    /// `zip_file_set_mtime` and `zip_set_file_compression`.
    static func addEntry(_ archive: OpaquePointer, name: String, bytes: UnsafeRawBufferPointer, level: Int, modified: Int) -> Result<Void, ZipCFailure> {
        guard let source = zip_source_buffer(archive, bytes.baseAddress, zip_uint64_t(bytes.count), 0) else {
            return .failure(archiveFailure(archive))
        }
        let index = zip_file_add(archive, name, source, zip_flags_t(ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE))
        guard index >= 0 else {
            zip_source_free(source)
            return .failure(archiveFailure(archive))
        }
        guard zip_file_set_mtime(archive, zip_uint64_t(index), time_t(modified), 0) == 0 else {
            return .failure(archiveFailure(archive))
        }
        let method = level == 0 ? ZIP_CM_STORE : ZIP_CM_DEFLATE
        guard zip_set_file_compression(archive, zip_uint64_t(index), method, zip_uint32_t(max(0, level))) == 0 else {
            return .failure(archiveFailure(archive))
        }
        return .success(())
    }

    /// Writes the archive and frees it; on failure the archive is discarded. The
    /// corresponding C functions are `zip_close` and `zip_discard`.
    static func closeWriting(_ archive: OpaquePointer) -> Result<Void, ZipCFailure> {
        guard zip_close(archive) == 0 else {
            let failure = archiveFailure(archive)
            zip_discard(archive)
            return .failure(failure)
        }
        return .success(())
    }

    /// The bytes of a memory archive after `closeWriting`, and releases its source. The
    /// corresponding C functions are `zip_source_open`, `zip_source_stat`, `zip_source_read`,
    /// `zip_source_close` and `zip_source_free`.
    static func takeMemoryArchive(_ source: OpaquePointer) -> Result<[UInt8], ZipCFailure> {
        defer { zip_source_free(source) }
        guard zip_source_open(source) == 0 else { return .failure(ZipCFailure(zip_source_error(source))) }
        defer { _ = zip_source_close(source) }
        var info = zip_stat_t()
        zip_stat_init(&info)
        guard zip_source_stat(source, &info) == 0, info.valid & zip_uint64_t(ZIP_STAT_SIZE) != 0 else {
            return .failure(ZipCFailure(zip_source_error(source)))
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.size))
        let count = bytes.withUnsafeMutableBytes { raw in zip_source_read(source, raw.baseAddress, zip_uint64_t(raw.count)) }
        guard count == Int64(bytes.count) else { return .failure(ZipCFailure(zip_source_error(source))) }
        return .success(bytes)
    }

    /// Frees a memory archive's source when writing was abandoned. The corresponding C
    /// function is `zip_source_free`.
    static func freeSource(_ source: OpaquePointer) {
        zip_source_free(source)
    }
}
