public import SluiceCore
public import SluiceEngine
public import SluiceIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files a customers run reads: named paths, folders and glob patterns, and how each
/// is opened (CSV or JSON by its extension, every column as text, with provenance).
public enum CustomerFiles {
    /// Extensions read from a folder; a file named directly is read whatever its name.
    static let jsonExtensions: Set<String> = ["json", "ndjson", "jsonl"]
    public static let folderExtensions: Set<String> = ["csv", "txt", "json", "ndjson", "jsonl"]

    /// The files named by `sources`: a file as it is, a folder's matching files sorted by
    /// name, a glob's matches sorted; each file once, in the order first named, as absolute
    /// paths (so the audit and the ledger name a file the same from wherever a run starts).
    /// - Throws: a `.configuration` error for a path that does not exist or a pattern that
    ///   matches nothing.
    /// - Parameter extensions: what a folder's files are read by (a sales run reads only CSV).
    public static func expand(_ sources: [String], extensions: Set<String> = folderExtensions) throws(SluiceError) -> [String] {
        var found: [String] = []
        for source in sources {
            var isDirectory = false
            if FileSystem.exists(source, isDirectory: &isDirectory) {
                if isDirectory {
                    let files = FileSystem.list(source).sorted()
                        .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                        .map { (source as NSString).appendingPathComponent($0) }
                    guard !files.isEmpty else {
                        throw SluiceError(.configuration, "the folder has no \(extensions.sorted().map { "." + $0 }.joined(separator: ", ")) files", location: source,
                                          hint: "name the files, or a folder that holds them")
                    }
                    found += files
                } else {
                    found.append(source)
                }
            } else if source.contains(where: { "*?[".contains($0) }) {
                let matches = matches(source)
                guard !matches.isEmpty else {
                    throw SluiceError(.configuration, "no file matches the pattern", location: source, hint: "check the pattern (quote it so the shell leaves it alone)")
                }
                found += matches
            } else {
                throw SluiceError(.configuration, "no such file or folder", location: source, hint: "check the path")
            }
        }
        var seen: Set<String> = []
        return found.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.filter { seen.insert($0).inserted }
    }

    /// The paths `pattern` matches, sorted (glob(3)).
    static func matches(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.sorted()
    }

    /// A file opened for reading, with its column names as read, and a way to open it again
    /// for a read whose rows count elsewhere (the date-form inference).
    public struct Opened {
        public var source: any TableSource
        public var header: [String]
        public var reopen: (RejectSink) throws -> any TableSource
    }

    /// Opens `path` as CSV or JSON (by its extension; `.json`, `.ndjson`, `.jsonl` are JSON),
    /// every column as text, with provenance.
    public static func open(_ path: String, maxQuotedLines: Int, rejects: RejectSink) throws -> Opened {
        if jsonExtensions.contains((path as NSString).pathExtension.lowercased()) {
            let schema = try JSONSource.textSchema(of: path)
            let open = { (sink: RejectSink) throws -> any TableSource in try JSONSource(paths: [path], schema: schema, provenance: true, rejects: sink) }
            return Opened(source: try open(rejects), header: schema.names, reopen: open)
        }
        var options = CSVOptions()
        options.defaultType = .string
        options.provenance = true
        options.countBlankLines = true
        options.maxQuotedLines = maxQuotedLines
        let source = try CSVSource(path: path, options: options, rejects: rejects)
        let header = source.schema.names.filter { !Provenance.isProvenance($0) }
        return Opened(source: source, header: header, reopen: { sink in try CSVSource(path: path, options: options, rejects: sink) })
    }
}
