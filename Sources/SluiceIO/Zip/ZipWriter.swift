public import SluiceCore

/// Writes a ZIP archive, to a file or into memory (for archives nested in archives).
///
/// Entries are buffered and deflated when `finish` is called; the writer owns the libzip
/// handle and discards it if `finish` is never reached. Used by the data generators.
///
/// ```swift
/// let inner = try ZipWriter.inMemory()
/// try inner.add(name: "part-000.json", bytes: json)
/// let outer = try ZipWriter(path: "events_week_43.zip")
/// try outer.add(name: "events_2023-10-23.zip", bytes: try inner.finishInMemory(), level: 0)
/// try outer.finish()
/// ```
public final class ZipWriter {
    private var archive: OpaquePointer?
    private let source: OpaquePointer?
    private let location: String
    private var entries: [[UInt8]] = []

    /// Creates (or replaces) the archive file at `path`.
    public init(path: String) throws(SluiceError) {
        location = path
        source = nil
        switch ZipC.createArchive(path: path) {
        case .success(let handle): archive = handle
        case .failure(let failure): throw SluiceError(.io, "cannot create archive: \(failure.text)", location: path)
        }
    }

    private init(memory: (archive: OpaquePointer, source: OpaquePointer)) {
        archive = memory.archive
        source = memory.source
        location = "<memory archive>"
    }

    /// An archive built in memory; get its bytes with `finishInMemory()`.
    public static func inMemory() throws(SluiceError) -> ZipWriter {
        switch ZipC.createMemoryArchive() {
        case .success(let handles): return ZipWriter(memory: handles)
        case .failure(let failure): throw SluiceError(.io, "cannot create an archive in memory: \(failure.text)")
        }
    }

    deinit {
        if let archive { ZipC.discard(archive) }
        if archive != nil, let source { ZipC.freeSource(source) }
    }

    /// Adds an entry; `level` 0 stores it uncompressed (for archives inside archives),
    /// 1–9 deflates it. `modified` (seconds since the epoch) is recorded as the entry's time;
    /// the fixed default keeps generated archives byte-for-byte reproducible.
    public func add(name: String, bytes: [UInt8], level: Int = 6, modified: Int = 1_672_531_200) throws(SluiceError) {
        guard let archive else { throw SluiceError.internal("entry added to a finished archive") }
        entries.append(bytes)
        let result = entries[entries.count - 1].withUnsafeBytes { raw in
            ZipC.addEntry(archive, name: name, bytes: raw, level: level, modified: modified)
        }
        if case .failure(let failure) = result {
            throw SluiceError(.io, "cannot add \(name) to the archive: \(failure.text)", location: location)
        }
    }

    /// Writes the archive file.
    public func finish() throws(SluiceError) {
        guard let handle = archive else { return }
        archive = nil
        defer { entries = [] }
        if case .failure(let failure) = ZipC.closeWriting(handle) {
            throw SluiceError(.io, "cannot write archive: \(failure.text)", location: location)
        }
    }

    /// Finishes a memory archive and returns its bytes.
    public func finishInMemory() throws(SluiceError) -> [UInt8] {
        try finish()
        guard let source else { throw SluiceError.internal("finishInMemory on a file archive") }
        switch ZipC.takeMemoryArchive(source) {
        case .success(let bytes): return bytes
        case .failure(let failure): throw SluiceError(.io, "cannot read back an archive built in memory: \(failure.text)")
        }
    }
}
