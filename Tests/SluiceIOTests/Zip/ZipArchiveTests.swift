import Foundation
import SluiceCore
import SluiceIO
import SluiceTestSupport
import Testing

@Suite("ZIP archive and entry names")
struct ZipArchiveTests {
    static let body = Array((0..<5000).map { "line \($0)\n" }.joined().utf8)

    static func archive() throws -> (path: String, directory: URL) {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-archive")
        let path = try ZipFixtures.write([
            .directory("data/"),
            .init("data/big.txt", body),
            .init("empty.json", []),
        ], to: directory, name: "plain.zip")
        return (path, directory)
    }

    @Test("lists index, name, sizes and directories in central-directory order")
    func listing() throws {
        let (path, directory) = try Self.archive()
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try ZipArchive(path: path)
        #expect(archive.entryCount == 3)
        let entries = try archive.entries()
        #expect(entries.map(\.index) == [0, 1, 2])
        #expect(entries.map(\.name) == ["data/", "data/big.txt", "empty.json"])
        #expect(entries.map(\.isDirectory) == [true, false, false])
        #expect(entries[1].uncompressedSize == Self.body.count)
        #expect(entries[1].compressedSize < Self.body.count)
        #expect(entries[2].uncompressedSize == 0)
        #expect(archive.displayPath(of: entries[1]) == "\(path)!/data/big.txt")
    }

    @Test("reads an entry whole or in chunks, from a file or from memory, with identical bytes")
    func reading() throws {
        let (path, directory) = try Self.archive()
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try ZipArchive(path: path)
        #expect(try archive.read(entryAt: 1) == Self.body)
        #expect(try archive.read(entryAt: 2) == [])

        let reader = try archive.openEntry(at: 1)
        var chunks: [[UInt8]] = []
        while let chunk = try reader.readChunk(maxCount: 1000) { chunks.append(chunk) }
        #expect(chunks.allSatisfy { $0.count <= 1000 })
        #expect(Array(chunks.joined()) == Self.body)
        #expect(reader.bytesRead == Self.body.count)
        #expect(try reader.readChunk() == nil)

        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let memory = try ZipArchive(bytes: bytes, displayPath: "outer.zip!/plain.zip")
        #expect(try memory.entries() == archive.entries())
        #expect(try memory.read(entryAt: 1) == Self.body)
    }

    @Test("misuse and bad input are typed errors, never crashes")
    func errors() throws {
        let (path, directory) = try Self.archive()
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try ZipArchive(path: path)
        let range = try #require(throws: SluiceError.self) { try archive.entry(at: 3) }
        #expect(range.message.contains("out of range"))
        #expect(throws: SluiceError.self) { try archive.entry(at: -1) }
        let directoryEntry = try #require(throws: SluiceError.self) { try archive.read(entryAt: 0) }
        #expect(directoryEntry.message.contains("directory"))
        #expect(directoryEntry.location == "\(path)!/data/")

        let small = ZipLimits(maxEntryBytes: 100)
        let tooBig = try #require(throws: SluiceError.self) { try archive.read(entryAt: 1, limits: small) }
        #expect(tooBig.kind == .data)
        #expect(tooBig.hint?.contains("--zip-max-entry-size") == true)

        let garbage = try #require(throws: SluiceError.self) {
            try ZipArchive(bytes: Array("definitely not a zip archive, just text".utf8), displayPath: "a.zip!/b.zip")
        }
        #expect(garbage.kind == .data)
        #expect(garbage.location == "a.zip!/b.zip")
        #expect(throws: SluiceError.self) { try ZipArchive(bytes: [], displayPath: "a.zip!/empty.zip") }
        #expect(throws: SluiceError.self) { try ZipLimits(maxDepth: 0).validate() }
        #expect(throws: SluiceError.self) { try NestedZipSource(archivePaths: []) }
    }

    @Test("glob patterns match the base name", arguments: [
        ("*.json", "2023/10/part-003.json", true),
        ("*.json", "part-003.json.gz", false),
        ("part-???.json", "part-003.json", true),
        ("part-???.json", "part-0003.json", false),
        ("part-[0-9][0-9][0-9].json", "x/part-042.json", true),
        ("part-[!0-9]*", "part-a.json", true),
        ("part-[!0-9]*", "part-1.json", false),
        ("*", "anything", true),
        ("*a*b*c", "xaybzc", true),
        ("*a*b*c", "xaybzcd", false),
        ("\\*.json", "*.json", true),
        ("\\*.json", "a.json", false),
        ("events_*", "dir\\events_1.csv", true),
        ("*.JSON", "a.json", false),
    ])
    func patterns(glob: String, name: String, expected: Bool) throws {
        #expect(try ZipNamePattern(glob).matches(name) == expected)
    }

    @Test("malformed patterns are configuration errors")
    func badPatterns() {
        for glob in ["", "[abc", "abc\\", "[z-a]"] {
            #expect(throws: SluiceError.self, "\(glob)") { try ZipNamePattern(glob) }
        }
    }
}
