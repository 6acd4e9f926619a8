import Foundation
import SluiceTestSupport

/// Builds ZIP archives for the tests with the `zip` command-line tool, or with Python's
/// `zipfile` when `zip` is missing or a name is one `zip` refuses to store (`../x`, `/x`, `a\b`).
/// Entries are added in the order given, so archive index order is known.
enum ZipFixtures {
    /// One entry: a name and its bytes. A name ending in `/` is a directory entry.
    struct Entry {
        var name: String
        var bytes: [UInt8]

        init(_ name: String, _ bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }

        init(_ name: String, _ text: String) {
            self.init(name, Array(text.utf8))
        }

        static func directory(_ name: String) -> Entry {
            Entry(name.hasSuffix("/") ? name : name + "/", [])
        }
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes an archive of `entries` to `directory/name` and returns its path.
    /// - Parameter stored: store entries uncompressed (so tests can find and damage their bytes).
    static func write(_ entries: [Entry], to directory: URL, name: String, stored: Bool = false) throws -> String {
        let archive = directory.appendingPathComponent(name)
        let staging = try TestSupport.temporaryDirectory("sluice-zip-staging")
        defer { try? FileManager.default.removeItem(at: staging) }
        let plainNames = entries.allSatisfy { !$0.name.hasPrefix("/") && !$0.name.contains("..") && !$0.name.contains("\\") }
        if plainNames, let zip = executable("zip") {
            for entry in entries {
                let url = staging.appendingPathComponent(entry.name)
                if entry.name.hasSuffix("/") {
                    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                } else {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(entry.bytes).write(to: url)
                }
            }
            let names = entries.map { $0.name.hasSuffix("/") ? String($0.name.dropLast()) : $0.name }
            try run(zip, ["-q", "-X", stored ? "-0" : "-9", archive.path] + names, in: staging)
        } else {
            var manifest: [[String]] = []
            for (index, entry) in entries.enumerated() {
                let url = staging.appendingPathComponent("entry-\(index)")
                try Data(entry.bytes).write(to: url)
                manifest.append([entry.name, url.path])
            }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: manifest), as: UTF8.self)
            let script = """
            import json, sys, zipfile
            out, manifest, stored = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with zipfile.ZipFile(out, "w") as archive:
                for name, source in manifest:
                    info = zipfile.ZipInfo(name, date_time=(2023, 10, 23, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else method
                    with open(source, "rb") as handle:
                        archive.writestr(info, handle.read())
            """
            try run("/usr/bin/env", ["python3", "-c", script, archive.path, json, stored ? "1" : "0"], in: staging)
        }
        return archive.path
    }

    /// The bytes of an archive of `entries`, for nesting inside another archive.
    static func bytes(_ entries: [Entry], stored: Bool = false) throws -> [UInt8] {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-inner")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try write(entries, to: directory, name: "inner.zip", stored: stored)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Every file and folder under `directory`, relative, sorted: a snapshot to prove nothing
    /// was written.
    static func tree(_ directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        var paths: [String] = []
        while let next = enumerator?.nextObject() as? String { paths.append(next) }
        return paths.sorted()
    }

    private static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func run(_ tool: String, _ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(description: "\(tool) \(arguments.prefix(3).joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}
