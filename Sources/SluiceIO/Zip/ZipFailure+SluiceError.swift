import SluiceCore

/// Where a libzip failure happened, which changes what the message should say.
enum ZipFailureContext {
    /// Opening an archive file the user named.
    case openingFile
    /// Opening an archive held in memory (an archive inside another one).
    case openingNested
    /// Listing the entries of an open archive.
    case listing
    /// Opening or reading the bytes of one entry.
    case reading
}

extension ZipCFailure {
    /// The readable `SluiceError` for this failure: a message that says what is wrong with
    /// the archive in a data engineer's words, `location` set to the full display path, and a
    /// hint where the user can do something.
    func sluiceError(_ context: ZipFailureContext, location: String) -> SluiceError {
        let skip = "fix or remove it, or run with --on-error skip to record it as a reject and go on"
        switch code {
        case .notAZip:
            let what = context == .openingNested ? "nested entry looks like an archive but is not a zip archive"
                                                 : "not a zip archive"
            return SluiceError(.data, "\(what) (no end-of-central-directory record; the file may be truncated)",
                               location: location, hint: "check the file is a complete ZIP archive; \(skip)")
        case .crc:
            return SluiceError(.data, "archive is truncated or corrupt (CRC error)", location: location, hint: skip)
        case .inconsistent:
            return SluiceError(.data, "archive is corrupt (its directory is inconsistent)", location: location, hint: skip)
        case .prematureEnd:
            return SluiceError(.data, "archive is truncated (unexpected end of data)", location: location, hint: skip)
        case .zlib, .compressedData:
            return SluiceError(.data, "entry is corrupt (its compressed data is invalid)", location: location, hint: skip)
        case .compressionNotSupported:
            return SluiceError(.data, "entry uses a compression method this libzip build cannot read",
                               location: location, hint: "re-create the archive with deflate (the default of zip tools)")
        case .encryptionNotSupported, .passwordRequired:
            return SluiceError(.data, "entry is encrypted; Sluice does not read encrypted archives",
                               location: location, hint: "decrypt the archive first, or exclude the entry with the name pattern")
        case .multiDisk:
            return SluiceError(.data, "multi-disk (split) zip archives are not supported",
                               location: location, hint: "join the parts into one archive first (zip -s 0)")
        case .noSuchFile where context == .openingFile:
            return SluiceError(.configuration, "cannot open archive: no such file", location: location,
                               hint: "check the path; relative paths are resolved from the current directory")
        case .cannotOpen where context == .openingFile, .operationNotSupported where context == .openingFile:
            return SluiceError(.configuration, "cannot open archive: \(text)", location: location,
                               hint: "check the path names a readable file, not a directory")
        case .read, .seek, .tell:
            return SluiceError(.io, "cannot read archive: \(text)", location: location)
        case .memory:
            return SluiceError(.resourcesExhausted, "out of memory while reading the archive", location: location,
                               hint: "lower --zip-max-entry-size or the number of workers")
        case .noSuchFile, .cannotOpen, .operationNotSupported, .invalidArgument, .other:
            return SluiceError(.data, "cannot read archive: \(text) (libzip error \(rawCode))", location: location, hint: skip)
        }
    }
}
