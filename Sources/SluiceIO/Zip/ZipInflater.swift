internal import CLibZip
import CSluiceHints

/// Turns a deflated entry's compressed bytes, read through libzip as they are
/// (`ZIP_FL_COMPRESSED`), into its uncompressed bytes with zlib's raw `inflate`, and checks
/// the CRC itself at the end, with `sluice_crc32_fold` where the CPU has it.
///
/// Why not let libzip do it: libzip checks every byte it returns with zlib's table-driven
/// `crc32`, a tenth of the instructions of reading an archive of JSON, where a carry-less
/// multiplication fold does sixteen bytes a step; and it inflates into a buffer of its own
/// and copies out, where this inflates straight into the caller's buffer. Stored entries stay
/// with libzip (it checks their CRC even when asked for the raw bytes), as do the other
/// methods (bzip2, xz, zstd) and entries without a known CRC.
///
/// Owns its zlib stream (at a fixed address: zlib keeps a pointer back to it), not the
/// `zip_file_t`, which ``ZipEntryReader`` closes. Not thread-safe.
final class ZipInflater {
    /// The ZIP method read here: deflate.
    static let deflate = 8

    private let file: OpaquePointer
    private let expectedCRC: UInt32
    private var crc: UInt32 = 0
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var streamEnded = false

    /// Inflates the compressed bytes of `file` (a deflated entry opened compressed) whose
    /// directory declares `crc`; nil when zlib cannot start a stream.
    init?(file: OpaquePointer, crc: UInt32) {
        self.file = file
        expectedCRC = crc
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 64 << 10, alignment: 16)
        // Window bits -15: raw deflate data, as ZIP stores it (no zlib header or trailer).
        // On failure `deinit` still runs (every property is set) and frees both buffers;
        // `inflateEnd` on a stream that never started only returns an error.
        if inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) != Z_OK { return nil }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Up to `buffer.count` uncompressed bytes; 0 at the end of the entry, once its CRC has
    /// been found to match. Fails like libzip would: a CRC mismatch is `ZIP_ER_CRC`, deflate
    /// data that is invalid is `ZIP_ER_COMPRESSED_DATA`, and data that ends before the deflate
    /// stream does is `ZIP_ER_EOF`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, ZipCFailure> {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return .success(0) }
        if streamEnded { return finish() }
        let requested = UInt32(clamping: buffer.count)
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = requested
        while true {
            if stream.pointee.avail_in == 0, !inputEnded {
                switch ZipC.readEntry(file, into: input) {
                case .failure(let failure): return .failure(failure)
                case .success(let count):
                    inputEnded = count == 0
                    stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_in = UInt32(count)
                }
            }
            let status = inflate(stream, Z_NO_FLUSH)
            let produced = Int(requested - stream.pointee.avail_out)
            switch status {
            case Z_OK, Z_BUF_ERROR: break
            case Z_STREAM_END: streamEnded = true
            case Z_MEM_ERROR: return .failure(ZipCFailure(code: ZIP_ER_MEMORY))
            default: return .failure(ZipCFailure(code: ZIP_ER_COMPRESSED_DATA))
            }
            if produced > 0 {
                update(out, produced)
                return .success(produced)
            }
            if streamEnded { return finish() }
            // No output, and no input left to give: the compressed data stops mid-stream.
            if inputEnded, stream.pointee.avail_in == 0 { return .failure(ZipCFailure(code: ZIP_ER_EOF)) }
        }
    }

    /// The end of the entry: 0 when the CRC of every byte returned matches the directory's.
    private func finish() -> Result<Int, ZipCFailure> {
        crc == expectedCRC ? .success(0) : .failure(ZipCFailure(code: ZIP_ER_CRC))
    }

    private func update(_ bytes: UnsafeMutableRawPointer, _ count: Int) {
        crc = ZipCRC32.update(crc, UnsafeRawBufferPointer(start: bytes, count: count))
    }
}

/// The CRC-32 of ZIP and zlib (polynomial 0xEDB88320, reflected), as zlib's `crc32` computes it.
public enum ZipCRC32 {
    /// Whether `sluice_crc32_fold` can run on this CPU (else zlib's `crc32` does all of it).
    static let folds = sluice_crc32_fold_available() != 0

    /// True when this CPU takes the carry-less multiplication path (every x86-64 since 2010).
    public static var isFolding: Bool { folds }

    /// The CRC of `bytes` continuing from `crc` (0 to start): whole 16-byte blocks of runs of
    /// 64 bytes or more by `sluice_crc32_fold` when the CPU has it, the rest by zlib.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
        var left = bytes.count
        var value = crc
        if folds, left >= 64 {
            let folded = left & ~15
            value = sluice_crc32_fold(value, start, folded)
            start += folded
            left -= folded
        }
        if left > 0 { value = UInt32(truncatingIfNeeded: crc32_z(uLong(value), start, z_size_t(left))) }
        return value
    }

    /// zlib's own table-driven `crc32`, the reference ``update(_:_:)`` is tested against.
    public static func zlibUpdate(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
        return UInt32(truncatingIfNeeded: crc32_z(uLong(crc), start, z_size_t(bytes.count)))
    }
}

@available(*, unavailable, message: "a zlib stream is used from one thread")
extension ZipInflater: Sendable {}
