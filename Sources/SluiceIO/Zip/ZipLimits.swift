public import SluiceCore

/// The limits that keep a hostile or broken archive (a zip bomb, an archive nested a
/// thousand deep, a million empty entries) from exhausting memory, disk or time.
///
/// The defaults let ordinary data through — a week of daily exports, each a zip of a few
/// hundred JSON parts of up to 1 GiB — and stop bombs early. Sizes are checked twice: against
/// what the headers declare when an archive is listed (cheap early rejection), and against the
/// bytes actually decompressed while reading, which stops as soon as a limit is passed, because
/// a header can lie.
///
/// ```swift
/// var limits = ZipLimits()
/// limits.maxEntryBytes = 4 << 30       // allow 4 GiB entries
/// let source = try NestedZipSource(archivePaths: paths, pattern: "*.json", limits: limits)
/// ```
public struct ZipLimits: Sendable, Equatable {
    /// The most levels of archives, counting the outer file as 1. Default 4.
    public var maxDepth: Int
    /// The most entries one archive may hold (its central directory's count). Default 100 000.
    public var maxEntriesPerArchive: Int
    /// The most entries over every archive walked, nested ones included. Default 1 000 000.
    public var maxTotalEntries: Int
    /// The most uncompressed bytes of one entry. Default 1 GiB.
    public var maxEntryBytes: Int
    /// The most uncompressed bytes over every matching entry and nested archive. Default 64 GiB.
    public var maxTotalBytes: Int
    /// The highest uncompressed : compressed ratio of one entry. Default 200 (200:1).
    public var maxCompressionRatio: Double
    /// The ratio is only checked once an entry has this many uncompressed bytes, so small,
    /// highly compressible files (a 100 KB run of spaces) pass. Default 1 MiB.
    public var ratioCheckMinimumBytes: Int

    /// Limits with the given values; each defaults to the value in its property's doc.
    public init(
        maxDepth: Int = 4,
        maxEntriesPerArchive: Int = 100_000,
        maxTotalEntries: Int = 1_000_000,
        maxEntryBytes: Int = 1 << 30,
        maxTotalBytes: Int = 64 << 30,
        maxCompressionRatio: Double = 200,
        ratioCheckMinimumBytes: Int = 1 << 20
    ) {
        self.maxDepth = maxDepth
        self.maxEntriesPerArchive = maxEntriesPerArchive
        self.maxTotalEntries = maxTotalEntries
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.ratioCheckMinimumBytes = ratioCheckMinimumBytes
    }

    /// Checks that every limit is positive.
    /// - Throws: a configuration error naming the first limit that is not.
    public func validate() throws(SluiceError) {
        let checks: [(Bool, String)] = [
            (maxDepth >= 1, "--zip-max-depth must be at least 1"),
            (maxEntriesPerArchive >= 1, "--zip-max-entries must be at least 1"),
            (maxTotalEntries >= 1, "--zip-max-total-entries must be at least 1"),
            (maxEntryBytes >= 1, "--zip-max-entry-size must be at least 1 byte"),
            (maxTotalBytes >= 1, "--zip-max-total-size must be at least 1 byte"),
            (maxCompressionRatio >= 1, "--zip-max-ratio must be at least 1"),
            (ratioCheckMinimumBytes >= 0, "the ratio check's minimum size must not be negative"),
        ]
        if let failed = checks.first(where: { !$0.0 }) {
            throw SluiceError(.configuration, "invalid zip limit: \(failed.1)")
        }
    }

    /// The error for an entry whose size (declared or read so far) passes `maxEntryBytes`.
    func entryTooLarge(_ location: String, bytes: Int, declared: Bool) -> SluiceError {
        let seen = declared ? "declares \(ByteCount.format(bytes)) uncompressed"
                            : "decompressed past \(ByteCount.format(bytes)) before it was stopped"
        return SluiceError(.data, "entry exceeds the uncompressed size limit of \(ByteCount.format(maxEntryBytes)) per entry: it \(seen)",
                           location: location,
                           hint: "raise the limit with --zip-max-entry-size if the entry is genuine; otherwise the archive may be a zip bomb")
    }

    /// The error for an entry whose compression ratio passes `maxCompressionRatio`.
    func ratioTooHigh(_ location: String, uncompressed: Int, compressed: Int, declared: Bool) -> SluiceError {
        let ratio = Double(uncompressed) / Double(max(compressed, 1))
        let shown = ratio >= 10 ? String(Int(ratio)) : String((ratio * 10).rounded() / 10)
        let how = declared ? "declares" : "decompressed"
        return SluiceError(.data, "entry exceeds the compression ratio limit of \(Self.ratioText(maxCompressionRatio)):1: it \(how) \(ByteCount.format(uncompressed)) from \(ByteCount.format(compressed)) (\(shown):1), which looks like a zip bomb",
                           location: location,
                           hint: "raise the limit with --zip-max-ratio if the data is genuinely this repetitive")
    }

    /// The error for an archive whose directory holds more than `maxEntriesPerArchive` entries.
    func tooManyEntries(_ location: String, count: Int) -> SluiceError {
        SluiceError(.data, "archive holds \(count) entries, more than the limit of \(maxEntriesPerArchive) per archive",
                    location: location, hint: "raise the limit with --zip-max-entries")
    }

    /// The error for a walk that passes `maxTotalEntries` over all archives.
    func tooManyTotalEntries(_ location: String) -> SluiceError {
        SluiceError(.data, "the archives hold more than the limit of \(maxTotalEntries) entries in total; listing stopped here",
                    location: location, hint: "raise the limit with --zip-max-total-entries, or narrow the inputs")
    }

    /// The error for a walk whose entries add up to more than `maxTotalBytes`.
    func tooManyTotalBytes(_ location: String, bytes: Int) -> SluiceError {
        SluiceError(.data, "the matching entries add up to \(ByteCount.format(bytes)) uncompressed, more than the limit of \(ByteCount.format(maxTotalBytes)) in total; listing stopped here",
                    location: location, hint: "raise the limit with --zip-max-total-size, or narrow the inputs or the entry pattern")
    }

    /// The error for an archive nested deeper than `maxDepth`.
    func tooDeep(_ location: String) -> SluiceError {
        SluiceError(.data, "archive is nested more than \(maxDepth) levels deep; its contents were not read",
                    location: location, hint: "raise the limit with --zip-max-depth if the nesting is genuine")
    }

    private static func ratioText(_ ratio: Double) -> String {
        ratio == ratio.rounded() && ratio < 1e15 ? String(Int(ratio)) : String(ratio)
    }
}
