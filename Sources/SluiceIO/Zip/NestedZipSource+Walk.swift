import SluiceCore

/// One listing pass of a `NestedZipSource`: a depth-first walk over the outer files and the
/// archives inside them, collecting matching entries and, in skip mode, problems.
///
/// Problems local to one archive or entry are thrown in strict mode and recorded in skip
/// mode; passing a total limit is thrown in both (the caller records it in skip mode), since
/// nothing after it can be listed safely.
struct ZipWalk {
    let source: NestedZipSource
    let skipsProblems: Bool
    var entries: [ZipEntryRef] = []
    var problems: [ZipProblem] = []
    private var totalEntries = 0
    private var totalBytes = 0

    init(source: NestedZipSource, skipsProblems: Bool) {
        self.source = source
        self.skipsProblems = skipsProblems
    }

    private var limits: ZipLimits { source.limits }

    /// Walks every outer archive in order.
    mutating func run() throws(SluiceError) {
        for path in source.archivePaths {
            let archive: ZipArchive
            do throws(SluiceError) {
                archive = try ZipArchive(path: path)
            } catch {
                try record(error, at: path)
                continue
            }
            try walk(archive, archivePath: path, names: [], indices: [], depth: 1)
        }
    }

    /// Lists `archive` (at nesting `depth`, the outer file being 1) and walks its nested archives.
    private mutating func walk(_ archive: ZipArchive, archivePath: String, names: [String], indices: [Int], depth: Int) throws(SluiceError) {
        guard archive.entryCount <= limits.maxEntriesPerArchive else {
            try record(limits.tooManyEntries(archive.displayPath, count: archive.entryCount), at: archive.displayPath)
            return
        }
        for index in 0..<archive.entryCount {
            totalEntries += 1
            if totalEntries > limits.maxTotalEntries { throw limits.tooManyTotalEntries(archive.displayPath) }
            let info: ZipEntryInfo
            do throws(SluiceError) {
                info = try archive.entry(at: index)
            } catch {
                try record(error, at: "\(archive.displayPath) entry #\(index)")
                continue
            }
            if info.isDirectory { continue }
            let location = archive.displayPath(of: info)
            let matches = source.pattern.matches(info.name)
            if isNestedArchive(archive, info, location: location) {
                try descend(archive, info, archivePath: archivePath, names: names + [info.name],
                            indices: indices + [index], depth: depth + 1)
            } else if matches {
                do throws(SluiceError) {
                    try ZipEntryReader.checkDeclared(info, limits: limits, displayPath: location)
                } catch {
                    try record(error, at: location)
                    continue
                }
                try count(bytes: info.uncompressedSize, at: location)
                entries.append(ZipEntryRef(archivePath: archivePath, entryNames: names + [info.name],
                                           entryIndices: indices + [index], uncompressedSize: info.uncompressedSize,
                                           compressedSize: info.compressedSize))
            }
        }
    }

    /// Opens the nested archive `info` of `parent` from memory and walks it, unless it is past
    /// the depth limit or unreadable (a problem for this archive only).
    private mutating func descend(_ parent: ZipArchive, _ info: ZipEntryInfo, archivePath: String,
                                  names: [String], indices: [Int], depth: Int) throws(SluiceError) {
        let location = parent.displayPath(of: info)
        guard depth <= limits.maxDepth else {
            try record(limits.tooDeep(location), at: location)
            return
        }
        do throws(SluiceError) {
            try ZipEntryReader.checkDeclared(info, limits: limits, displayPath: location)
        } catch {
            try record(error, at: location)
            return
        }
        try count(bytes: info.uncompressedSize, at: location)
        let nested: ZipArchive
        do throws(SluiceError) {
            nested = try NestedZipSource.openNested(parent, info, limits: limits, memory: source.memory)
        } catch {
            try record(error, at: location)
            return
        }
        try walk(nested, archivePath: archivePath, names: names, indices: indices, depth: depth)
    }

    /// Whether an entry is an archive to walk: named `.zip`, or starting with `PK\3\4` when
    /// sniffing is on. An entry that cannot be sniffed (too large, encrypted, unreadable) is
    /// treated as data; if it matches the pattern its problem surfaces when it is read.
    private func isNestedArchive(_ archive: ZipArchive, _ info: ZipEntryInfo, location: String) -> Bool {
        if ZipNames.looksLikeArchive(info.name) { return true }
        guard source.detectsArchivesBySignature, info.uncompressedSize >= 22 else { return false }
        guard let prefix = try? archive.readPrefix(info, count: 4, limits: limits, displayPath: location) else {
            return false
        }
        return prefix == ZipNames.localHeaderSignature
    }

    /// Adds `bytes` to the running total of uncompressed bytes.
    /// - Throws: the total-size error once the total passes `maxTotalBytes`.
    private mutating func count(bytes: Int, at location: String) throws(SluiceError) {
        let (sum, overflow) = totalBytes.addingReportingOverflow(bytes)
        totalBytes = overflow ? Int.max : sum
        if totalBytes > limits.maxTotalBytes { throw limits.tooManyTotalBytes(location, bytes: totalBytes) }
    }

    /// Throws `error` in strict mode; records it as a problem at `location` in skip mode.
    private mutating func record(_ error: SluiceError, at location: String) throws(SluiceError) {
        guard skipsProblems else { throw error }
        problems.append(ZipProblem(error, displayPath: location))
    }

}
