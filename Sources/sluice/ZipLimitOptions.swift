import ArgumentParser
import SluiceCore
import SluiceIO

/// The limits on nested ZIP archives (``ZipLimits``) as options, under the names the
/// limits' errors suggest.
struct ZipLimitOptions: ParsableArguments {
    @Option(name: .customLong("zip-max-depth"), help: "Most levels of nested archives, the outer file counting as 1.")
    var maxDepth: Int = ZipLimits().maxDepth

    @Option(name: .customLong("zip-max-entries"), help: "Most entries one archive may hold.")
    var maxEntries: Int = ZipLimits().maxEntriesPerArchive

    @Option(name: .customLong("zip-max-total-entries"), help: "Most entries over every archive, nested ones included.")
    var maxTotalEntries: Int = ZipLimits().maxTotalEntries

    @Option(name: .customLong("zip-max-entry-size"), help: "Most uncompressed bytes of one entry, e.g. 1GB.")
    var maxEntrySize: String = "1GB"

    @Option(name: .customLong("zip-max-total-size"), help: "Most uncompressed bytes over every entry read, e.g. 64GB.")
    var maxTotalSize: String = "64GB"

    @Option(name: .customLong("zip-max-ratio"), help: "Highest uncompressed:compressed ratio of one entry (a zip bomb's tell).")
    var maxRatio: Double = ZipLimits().maxCompressionRatio

    func validate() throws {
        guard ByteCount.parse(maxEntrySize) != nil else { throw ValidationError("--zip-max-entry-size '\(maxEntrySize)' is not a size like 1GB") }
        guard ByteCount.parse(maxTotalSize) != nil else { throw ValidationError("--zip-max-total-size '\(maxTotalSize)' is not a size like 64GB") }
        do {
            try limits().validate()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The limits these options give.
    func limits() -> ZipLimits {
        ZipLimits(maxDepth: maxDepth, maxEntriesPerArchive: maxEntries, maxTotalEntries: maxTotalEntries,
                  maxEntryBytes: ByteCount.parse(maxEntrySize) ?? ZipLimits().maxEntryBytes,
                  maxTotalBytes: ByteCount.parse(maxTotalSize) ?? ZipLimits().maxTotalBytes, maxCompressionRatio: maxRatio)
    }
}
