public import SluiceCore

/// One matching entry found by `NestedZipSource`: the chain of names from the outer archive
/// file to the entry, enough to find it again, and its declared sizes.
///
/// Entry names are data, never file paths: Sluice reads entries into memory and nothing is
/// extracted, so a name like `../../etc/passwd` cannot cause any file access. Such names are
/// still flagged (`isSuspiciousName`) so a caller can report them.
public struct ZipEntryRef: Sendable, Hashable, CustomStringConvertible {
    /// The outer archive file, as given to the source.
    public let archivePath: String
    /// The names inside the outer archive: each nested archive's name, then the entry's own.
    public let entryNames: [String]
    /// Each name's index in its archive's central directory (same length as `entryNames`).
    public let entryIndices: [Int]
    /// The uncompressed size the entry's header declares (checked again while reading).
    public let uncompressedSize: Int
    /// The compressed size the entry's header declares.
    public let compressedSize: Int
    /// True when any name in the chain would escape a directory if it were used as a path:
    /// `..` components, absolute paths, backslashes, drive letters.
    public let isSuspiciousName: Bool

    package init(archivePath: String, entryNames: [String], entryIndices: [Int], uncompressedSize: Int, compressedSize: Int) {
        self.archivePath = archivePath
        self.entryNames = entryNames
        self.entryIndices = entryIndices
        self.uncompressedSize = uncompressedSize
        self.compressedSize = compressedSize
        self.isSuspiciousName = entryNames.contains(where: ZipNames.isSuspicious)
    }

    /// The entry's own name as stored in its archive.
    public var name: String { entryNames.last ?? "" }

    /// The last component of `name` (what the entry pattern is matched against).
    public var baseName: String { ZipNames.baseName(name) }

    /// How many archives contain the entry: 1 for an entry of the outer file.
    public var depth: Int { entryNames.count }

    /// The chain of names from the outer file to the entry: `[archivePath] + entryNames`.
    public var chain: [String] { [archivePath] + entryNames }

    /// The path for messages and rejects, `!/` between archive levels:
    /// `events_week_43.zip!/events_2023-10-23.zip!/part-003.json`. Control characters in
    /// names are escaped so a crafted name cannot forge log lines.
    public var displayPath: String { ZipNames.displayPath(archivePath, entryNames) }

    /// The display path.
    public var description: String { displayPath }
}

/// A corrupt archive or entry, or a passed limit, met while listing in skip mode.
public struct ZipProblem: Sendable, CustomStringConvertible {
    /// The full nested display path of the archive or entry at fault.
    public let displayPath: String
    /// What is wrong, in one line.
    public let message: String
    /// The error the strict mode would have thrown (kind, location, hint).
    public let error: SluiceError
    /// True when the problem stopped the listing (a total limit was passed), so entries after
    /// it were not listed; false when only this archive or entry was left out.
    public let stoppedListing: Bool

    init(_ error: SluiceError, displayPath: String, stoppedListing: Bool = false) {
        self.displayPath = displayPath
        self.message = error.message
        self.error = error
        self.stoppedListing = stoppedListing
    }

    /// `displayPath: message`, one line for logs.
    public var description: String { "\(displayPath): \(message)" }

    /// The problem as a reject record (kind `corrupt_entry`, source = display path), for a
    /// `RejectSink`.
    public var reject: Reject {
        Reject(source: displayPath, line: 0, byteOffset: 0, column: nil, kind: .corruptEntry, raw: "", message: message)
    }
}

/// Name handling for archive entries. Nothing here touches the file system.
enum ZipNames {
    /// The four bytes that open a ZIP local file header: `PK\u{3}\u{4}`.
    static let localHeaderSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// `parent!/name`, with `name` escaped for display.
    static func join(_ parent: String, _ name: String) -> String {
        parent + "!/" + escaped(name)
    }

    /// The display path of `names` inside the archive file at `archivePath`.
    static func displayPath(_ archivePath: String, _ names: some Sequence<String>) -> String {
        names.reduce(escaped(archivePath)) { join($0, $1) }
    }

    /// The last component of an entry name, after any `/` or `\`.
    static func baseName(_ name: String) -> String {
        let trimmed = name.hasSuffix("/") ? String(name.dropLast()) : name
        guard let cut = trimmed.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return trimmed }
        return String(trimmed[trimmed.index(after: cut)...])
    }

    /// True when `name` would escape a directory if it were joined to one: a `..` component,
    /// a leading `/`, any `\` (a Windows separator), or a drive letter like `C:`.
    static func isSuspicious(_ name: String) -> Bool {
        if name.hasPrefix("/") || name.contains("\\") { return true }
        let scalars = Array(name.unicodeScalars.prefix(2))
        if scalars.count == 2, scalars[1] == ":", scalars[0].properties.isAlphabetic { return true }
        return name.split(separator: "/", omittingEmptySubsequences: false).contains("..")
    }

    /// True when the name says the entry is a ZIP archive.
    static func looksLikeArchive(_ name: String) -> Bool {
        name.lowercased().hasSuffix(".zip")
    }

    /// `text` with control characters shown as `\u{…}` escapes.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0)
    }
}
