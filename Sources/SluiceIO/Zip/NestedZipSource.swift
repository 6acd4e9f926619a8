public import SluiceCore

/// Finds the entries matching a name pattern inside ZIP archives nested in ZIP archives, and
/// reads them — in memory, nothing extracted; only a nested archive too large for the
/// ``ZipMemoryPolicy`` passes through a temporary file, unlinked as soon as it is open.
///
/// Listing walks each outer archive file in the order given and each archive's entries in
/// central-directory order, depth first, so the result is deterministic. An entry whose name
/// ends in `.zip` (any case), or whose first bytes are the local-header signature `PK\3\4`,
/// is read into memory and walked as a nested archive, down to `ZipLimits.maxDepth` levels;
/// nested archives are never listed themselves. Other entries are listed when their base name
/// matches the pattern; directory entries are ignored.
///
/// Errors: `entries()` throws at the first corrupt archive or entry or passed limit;
/// `listEntries()` never throws and returns each such problem with the entries it could list,
/// for a run with `--on-error skip`. Every error's `location` is the full nested display path
/// (`week_43.zip!/events_2023-10-23.zip!/part-003.json`); limit errors name the option that
/// raises the limit.
///
/// Threading: `read(_:)` and `withEntryReader(_:_:)` may be called from several threads at
/// once. Each call uses its own libzip handles; the innermost archives recently used are kept
/// in a small cache, and a cached archive is checked out by exactly one call at a time.
///
/// ```swift
/// let source = try NestedZipSource(archivePaths: ["events_week_43.zip"], pattern: "*.json")
/// for ref in try source.entries() {
///     let bytes = try source.read(ref)   // ref.displayPath names it in messages
/// }
/// ```
public final class NestedZipSource: Sendable {
    /// The outer archive files, in listing order.
    public let archivePaths: [String]
    /// The pattern an entry's base name must match to be listed.
    public let pattern: ZipNamePattern
    /// The limits enforced while listing and reading.
    public let limits: ZipLimits
    /// Whether entries not named `.zip` are sniffed for the `PK\3\4` signature.
    public let detectsArchivesBySignature: Bool
    /// How many opened innermost archives are kept for later reads.
    public let cacheCapacity: Int
    /// Which nested archives are held in memory and where the others are spilled.
    public let memory: ZipMemoryPolicy
    private let cache = Locked<[CachedArchive]>([])

    /// Creates a source; nothing is opened until `entries()` or `listEntries()`.
    /// - Parameters:
    ///   - archivePaths: the outer archive files, listed in this order.
    ///   - pattern: a glob matched against each entry's base name (`ZipNamePattern`); `*` lists all.
    ///   - limits: size, ratio, count and depth limits.
    ///   - detectsArchivesBySignature: also walk entries that start with `PK\3\4` whatever
    ///     their name (each entry's first bytes are read once while listing).
    ///   - cacheCapacity: opened innermost archives kept for later reads (each holds its bytes
    ///     in memory, up to `memory.inMemoryArchiveBytes`); 0 disables the cache.
    ///   - memory: which nested archives are read into memory and where larger ones go.
    /// - Throws: a configuration error for no paths, a bad pattern, or a limit that is not positive.
    public init(archivePaths: [String], pattern: String = "*", limits: ZipLimits = ZipLimits(),
                detectsArchivesBySignature: Bool = true, cacheCapacity: Int = 4, memory: ZipMemoryPolicy = ZipMemoryPolicy()) throws(SluiceError) {
        guard !archivePaths.isEmpty else {
            throw SluiceError(.configuration, "no archive given", hint: "name one or more .zip files")
        }
        try limits.validate()
        self.archivePaths = archivePaths
        self.pattern = try ZipNamePattern(pattern)
        self.limits = limits
        self.detectsArchivesBySignature = detectsArchivesBySignature
        self.cacheCapacity = max(0, cacheCapacity)
        self.memory = memory
    }

    /// Every matching entry, in order; stops at the first problem.
    /// - Throws: the first corrupt or unreadable archive or entry, or passed limit, as a
    ///   `SluiceError` located at its full display path.
    public func entries() throws(SluiceError) -> [ZipEntryRef] {
        var walk = ZipWalk(source: self, skipsProblems: false)
        try walk.run()
        return walk.entries
    }

    /// Every matching entry that could be listed, in order, with a problem for each archive
    /// or entry that could not; never throws. A corrupt nested archive leaves out only its own
    /// contents; an outer file that cannot be opened leaves out only that file. A passed total
    /// limit stops the listing, recorded as a problem with `stoppedListing` set.
    public func listEntries() -> (entries: [ZipEntryRef], problems: [ZipProblem]) {
        var walk = ZipWalk(source: self, skipsProblems: true)
        do throws(SluiceError) {
            try walk.run()
        } catch {
            walk.problems.append(ZipProblem(error, displayPath: error.location ?? "", stoppedListing: true))
        }
        return (walk.entries, walk.problems)
    }

    /// The entry's uncompressed bytes, read to the end (so its CRC is checked) under the limits.
    /// - Throws: a data error, located at the entry's display path (or the nested archive's,
    ///   when that is what is corrupt), when an archive or the entry is corrupt, a limit is
    ///   passed, or the archive changed since it was listed; a configuration or I/O error when
    ///   the outer file cannot be opened or read.
    public func read(_ ref: ZipEntryRef) throws(SluiceError) -> [UInt8] {
        try withEntryReader(ref) { (reader) throws(SluiceError) in try reader.readAll() }
    }

    /// Opens the entry and passes a streaming reader to `body`, for entries read in chunks.
    /// The reader must not escape `body`.
    /// - Throws: as `read(_:)`, and whatever `body` throws.
    public func withEntryReader<R>(_ ref: ZipEntryRef,
                                   _ body: (ZipEntryReader) throws(SluiceError) -> R) throws(SluiceError) -> R {
        guard let leafIndex = ref.entryIndices.last, ref.entryIndices.count == ref.entryNames.count else {
            throw SluiceError(.configuration, "entry reference has no entry", location: ref.displayPath)
        }
        let key = ContainerKey(archivePath: ref.archivePath, names: Array(ref.entryNames.dropLast()),
                               indices: Array(ref.entryIndices.dropLast()))
        var container: ZipArchive
        if let cached = checkOut(key) { container = cached } else { container = try openContainer(key) }
        let result = Self.readLeaf(container, index: leafIndex, ref: ref, limits: limits, body)
        // The reader is gone unless `body` let it escape; only then is the archive shared.
        if isKnownUniquelyReferenced(&container) { checkIn(key, container) }
        return try result.get()
    }

    private static func readLeaf<R>(_ container: ZipArchive, index: Int, ref: ZipEntryRef, limits: ZipLimits,
                                    _ body: (ZipEntryReader) throws(SluiceError) -> R) -> Result<R, SluiceError> {
        do throws(SluiceError) {
            let info = try container.entry(at: index)
            try checkUnchanged(info, expected: ref.name, location: ref.displayPath)
            let reader = try container.openEntry(info, limits: limits, displayPath: ref.displayPath)
            return .success(try body(reader))
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Opening archives

    /// Opens the outer file and the nested archives named by `key`, down to the innermost.
    private func openContainer(_ key: ContainerKey) throws(SluiceError) -> ZipArchive {
        guard key.names.count < limits.maxDepth else {
            throw limits.tooDeep(ZipNames.displayPath(key.archivePath, key.names))
        }
        var archive = try ZipArchive(path: key.archivePath)
        for (name, index) in zip(key.names, key.indices) {
            let location = ZipNames.join(archive.displayPath, name)
            guard index < archive.entryCount else {
                throw Self.changedError(location, detail: "it has fewer entries than when it was listed")
            }
            let info = try archive.entry(at: index)
            try Self.checkUnchanged(info, expected: name, location: location)
            archive = try Self.openNested(archive, info, limits: limits, memory: memory)
        }
        return archive
    }

    /// Opens an entry of `parent` as an archive: read into memory when the memory policy
    /// allows its size, else through a temporary file.
    static func openNested(_ parent: ZipArchive, _ info: ZipEntryInfo, limits: ZipLimits, memory: ZipMemoryPolicy) throws(SluiceError) -> ZipArchive {
        let location = parent.displayPath(of: info)
        let reader = try parent.openEntry(info, limits: limits, displayPath: location)
        if info.uncompressedSize > memory.inMemoryArchiveBytes { return try memory.spill(reader, displayPath: location) }
        let (buffer, count) = try reader.readAllIntoBuffer()
        return try ZipArchive(taking: buffer, count: count, displayPath: location)
    }

    private static func checkUnchanged(_ info: ZipEntryInfo, expected: String, location: String) throws(SluiceError) {
        guard info.name == expected else {
            throw changedError(location, detail: "entry #\(info.index) is now named '\(ZipNames.escaped(info.name))'")
        }
    }

    private static func changedError(_ location: String, detail: String) -> SluiceError {
        SluiceError(.data, "archive changed since it was listed: \(detail)", location: location,
                    hint: "do not modify input archives while a run is reading them; re-run the job")
    }

    // MARK: - Cache of innermost archives

    /// Identifies an innermost archive: the outer file and the chain of nested entries.
    private struct ContainerKey: Hashable {
        var archivePath: String
        var names: [String]
        var indices: [Int]
    }

    /// A cached archive. `@unchecked Sendable` because `ZipArchive` is not thread-safe: the
    /// invariant is that a cached archive is either in `cache` (used by no one) or checked
    /// out by exactly one call, which puts it back only when no reader of it is left.
    private struct CachedArchive: @unchecked Sendable {
        var key: ContainerKey
        var archive: ZipArchive
    }

    private func checkOut(_ key: ContainerKey) -> ZipArchive? {
        let found: CachedArchive? = cache.withLock { list in
            guard let position = list.lastIndex(where: { $0.key == key }) else { return nil }
            return list.remove(at: position)
        }
        return found?.archive
    }

    private func checkIn(_ key: ContainerKey, _ archive: ZipArchive) {
        guard cacheCapacity > 0 else { return }
        let entry = CachedArchive(key: key, archive: archive)
        let evicted: [CachedArchive] = cache.withLock { list in
            list.append(entry)
            guard list.count > cacheCapacity else { return [] }
            let extra = Array(list.prefix(list.count - cacheCapacity))
            list.removeFirst(extra.count)
            return extra
        }
        _ = evicted   // released here, outside the lock
    }
}
