import Foundation
import SluiceCore
import SluiceIO
import SluiceTestSupport
import Testing

@Suite("Nested ZIP source: corrupt input, bombs and hostile names")
struct NestedZipProblemTests {
    /// Replaces the first occurrence of `marker` in `bytes` with `replacement` (same length).
    static func damage(_ bytes: [UInt8], _ marker: String, _ replacement: String) throws -> [UInt8] {
        let needle = Array(marker.utf8)
        let start = try #require((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        var copy = bytes
        copy.replaceSubrange(start..<(start + needle.count), with: Array(replacement.utf8))
        return copy
    }

    @Test("a garbage and a truncated inner zip are reported with their full nested paths; skip mode lists the rest")
    func corruptInnerArchives() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-corrupt")
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try ZipFixtures.bytes([.init("a.json", "{\"a\":1}")])
        let complete = try ZipFixtures.bytes([.init("t1.json", "{\"t\":1}"), .init("t2.json", "{\"t\":2}")])
        let garbage = Array((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let outer = try ZipFixtures.write([
            .init("good.zip", good),
            .init("x.zip", garbage),
            .init("truncated.zip", Array(complete.prefix(complete.count / 2))),
            .init("after.json", "{\"after\":true}"),
        ], to: directory, name: "outer.zip")
        let source = try NestedZipSource(archivePaths: [outer], pattern: "*.json")

        let error = try #require(throws: SluiceError.self) { try source.entries() }
        #expect(error.kind == .data)
        #expect(error.location == "\(outer)!/x.zip")
        #expect(error.message.contains("not a zip archive"))
        #expect(error.hint?.contains("--on-error skip") == true)

        let (entries, problems) = source.listEntries()
        #expect(entries.map(\.displayPath) == ["\(outer)!/good.zip!/a.json", "\(outer)!/after.json"])
        #expect(problems.map(\.displayPath) == ["\(outer)!/x.zip", "\(outer)!/truncated.zip"])
        #expect(problems.allSatisfy { $0.message.contains("not a zip archive") && !$0.stoppedListing })
        #expect(problems.map(\.reject.source) == problems.map(\.displayPath))
        #expect(try entries.map { try source.read($0) } == [Array("{\"a\":1}".utf8), Array("{\"after\":true}".utf8)])
    }

    @Test("damaged entry bytes: CRC errors name the entry, or the nested archive, by full path")
    func crcErrors() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-crc")
        defer { try? FileManager.default.removeItem(at: directory) }
        let payload = "{\"value\":\"" + String(repeating: "abcdefgh", count: 64) + "\"}\n"
        let inner = try ZipFixtures.bytes([.init("data.json", payload), .init("fine.json", "{}")], stored: true)
        let damagedInner = try Self.damage(inner, "abcdefgh", "abcdefgX")

        // The day archive is intact, but one entry inside it is damaged.
        let outerA = try ZipFixtures.write([.init("day.zip", damagedInner)], to: directory, name: "a.zip")
        let sourceA = try NestedZipSource(archivePaths: [outerA], pattern: "*.json")
        let refs = try sourceA.entries()
        #expect(refs.map(\.name) == ["data.json", "fine.json"])
        let error = try #require(throws: SluiceError.self) { try sourceA.read(refs[0]) }
        #expect(error.kind == .data)
        #expect(error.message == "archive is truncated or corrupt (CRC error)")
        #expect(error.location == "\(outerA)!/day.zip!/data.json")
        #expect(try sourceA.read(refs[1]) == Array("{}".utf8))

        // The day archive itself is damaged inside a stored outer archive.
        let outerBBytes = try Self.damage(try ZipFixtures.bytes([.init("day.zip", inner), .init("top.json", "{}")], stored: true),
                                          "abcdefgh", "abcdefgX")
        let outerB = directory.appendingPathComponent("b.zip").path
        try Data(outerBBytes).write(to: URL(fileURLWithPath: outerB))
        let (entries, problems) = try NestedZipSource(archivePaths: [outerB], pattern: "*.json").listEntries()
        #expect(entries.map(\.name) == ["top.json"])
        #expect(problems.map(\.displayPath) == ["\(outerB)!/day.zip"])
        #expect(problems.first?.message == "archive is truncated or corrupt (CRC error)")
    }

    @Test("a zip bomb is stopped by the ratio limit, then by the size limits, with the option in the hint")
    func zipBomb() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-bomb")
        defer { try? FileManager.default.removeItem(at: directory) }
        let day = try ZipFixtures.bytes([.init("bomb.json", [UInt8](repeating: 0, count: 50 << 20)), .init("ok.json", "{}")])
        let outer = try ZipFixtures.write([.init("day.zip", day)], to: directory, name: "outer.zip")
        let bombPath = "\(outer)!/day.zip!/bomb.json"

        let ratio = try #require(throws: SluiceError.self) { try NestedZipSource(archivePaths: [outer], pattern: "*.json").entries() }
        #expect(ratio.kind == .data)
        #expect(ratio.location == bombPath)
        #expect(ratio.message.contains("compression ratio limit of 200:1"))
        #expect(ratio.message.contains("zip bomb"))
        #expect(ratio.hint?.contains("--zip-max-ratio") == true)

        let (entries, problems) = try NestedZipSource(archivePaths: [outer], pattern: "*.json").listEntries()
        #expect(entries.map(\.name) == ["ok.json"])
        #expect(problems.map(\.displayPath) == [bombPath])

        let sizeLimits = ZipLimits(maxEntryBytes: 10 << 20, maxCompressionRatio: 1e6)
        let size = try #require(throws: SluiceError.self) {
            try NestedZipSource(archivePaths: [outer], pattern: "*.json", limits: sizeLimits).entries()
        }
        #expect(size.location == bombPath)
        #expect(size.message.contains("uncompressed size limit of 10.0 MB"))
        #expect(size.hint?.contains("--zip-max-entry-size") == true)

        let totalLimits = ZipLimits(maxTotalBytes: 20 << 20, maxCompressionRatio: 1e6)
        let (some, stopped) = try NestedZipSource(archivePaths: [outer], pattern: "*.json", limits: totalLimits).listEntries()
        #expect(some.isEmpty)
        #expect(stopped.count == 1 && stopped[0].stoppedListing)
        #expect(stopped.first?.error.hint?.contains("--zip-max-total-size") == true)

        // Generous limits: the 50 MB entry reads in full.
        let generous = try NestedZipSource(archivePaths: [outer], pattern: "bomb.json", limits: ZipLimits(maxCompressionRatio: 1e6))
        let bomb = try #require(try generous.entries().first)
        #expect(try generous.read(bomb).count == 50 << 20)
    }

    @Test("a header that understates the size is caught while reading, one byte past the declared size")
    func lyingHeader() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-lie")
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = try ZipFixtures.bytes([.init("zeros.bin", [UInt8](repeating: 0, count: 10 << 20))])
        // Declare 1000 uncompressed bytes in the local header (offset 22) and the central one (+24).
        let declared: [UInt8] = [0xE8, 0x03, 0, 0]
        bytes.replaceSubrange(22..<26, with: declared)
        let central = try #require((0..<(bytes.count - 4)).last { Array(bytes[$0..<($0 + 4)]) == [0x50, 0x4B, 0x01, 0x02] })
        bytes.replaceSubrange((central + 24)..<(central + 28), with: declared)
        let path = directory.appendingPathComponent("lie.zip").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let archive = try ZipArchive(path: path)
        #expect(try archive.entry(at: 0).uncompressedSize == 1000)
        let reader = try archive.openEntry(at: 0)
        let error = try #require(throws: SluiceError.self) { try reader.readAll() }
        #expect(error.message.contains("more data than the 1000 bytes its header declares"))
        #expect(error.location == "\(path)!/zeros.bin")
        #expect(reader.bytesRead == 1001)
        #expect(throws: SluiceError.self) { try reader.readChunk() }   // stays failed

        let source = try NestedZipSource(archivePaths: [path])
        let ref = try #require(try source.entries().first)
        #expect(throws: SluiceError.self) { try source.read(ref) }
    }

    @Test("names that would escape a directory are flagged, read from memory, and nothing is written")
    func suspiciousNames() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-slip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try ZipFixtures.write([
            .init("../../etc/x.json", "{\"slip\":1}"),
            .init("/abs/y.json", "{\"slip\":2}"),
            .init("dir\\z.json", "{\"slip\":3}"),
            .init("ok/fine.json", "{\"slip\":0}"),
            .init("C:/w.json", "{\"slip\":4}"),
            .init("evil\nname.json", "{\"slip\":5}"),
        ], to: directory, name: "slip.zip")
        let escapes = [directory.appendingPathComponent("../../etc/x.json").standardized.path, "/etc/x.json", "/abs/y.json"]
        #expect(escapes.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        let before = ZipFixtures.tree(directory)

        let source = try NestedZipSource(archivePaths: [path], pattern: "*.json")
        let refs = try source.entries()
        #expect(refs.map(\.name) == ["../../etc/x.json", "/abs/y.json", "dir\\z.json", "ok/fine.json", "C:/w.json", "evil\nname.json"])
        #expect(refs.map(\.baseName) == ["x.json", "y.json", "z.json", "fine.json", "w.json", "evil\nname.json"])
        #expect(refs.map(\.isSuspiciousName) == [true, true, true, false, true, false])
        #expect(refs[0].displayPath == "\(path)!/../../etc/x.json")
        #expect(refs[5].displayPath == "\(path)!/evil\\u{a}name.json")
        #expect(try refs.map { try source.read($0) } == [1, 2, 3, 0, 4, 5].map { Array("{\"slip\":\($0)}".utf8) })

        #expect(ZipFixtures.tree(directory) == before)
        #expect(escapes.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    }

    @Test("a file that is not a zip, a missing file or a directory as the outer archive is a clear error")
    func badOuterArchives() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-outer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = directory.appendingPathComponent("notes.zip")
        try Data("id,name\n1,alice\n2,bob\n".utf8).write(to: text)
        let empty = directory.appendingPathComponent("empty.zip")
        try Data().write(to: empty)
        let missing = directory.appendingPathComponent("missing.zip").path

        let notZip = try #require(throws: SluiceError.self) { try NestedZipSource(archivePaths: [text.path]).entries() }
        #expect(notZip.kind == .data)
        #expect(notZip.location == text.path)
        #expect(notZip.message.hasPrefix("not a zip archive"))
        #expect(notZip.hint?.contains("ZIP archive") == true)

        let emptyError = try #require(throws: SluiceError.self) { try ZipArchive(path: empty.path) }
        #expect(emptyError.message == "not a zip archive (the file is empty)")
        let missingError = try #require(throws: SluiceError.self) { try ZipArchive(path: missing) }
        #expect(missingError.kind == .configuration)
        #expect(missingError.message.contains("No such file"))
        let directoryError = try #require(throws: SluiceError.self) { try ZipArchive(path: directory.path) }
        #expect(directoryError.kind == .configuration)
        #expect(directoryError.message.contains("directory"))

        let good = try ZipFixtures.write([.init("a.json", "{}")], to: directory, name: "good.zip")
        let (entries, problems) = try NestedZipSource(archivePaths: [text.path, missing, good]).listEntries()
        #expect(entries.map(\.displayPath) == ["\(good)!/a.json"])
        #expect(problems.map(\.displayPath) == [text.path, missing])
        #expect(problems.map(\.error.kind) == [.data, .configuration])
    }
}
