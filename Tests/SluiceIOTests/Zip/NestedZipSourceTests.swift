import Foundation
import SluiceCore
import SluiceIO
import SluiceTestSupport
import Synchronization
import Testing

/// A week archive holding day archives holding JSON parts, as the events pipeline receives it.
struct WeekFixture {
    let directory: URL
    let weekPath: String
    /// Expected (inner names, bytes) of every `.json` entry in listing order.
    let jsonEntries: [([String], [UInt8])]

    /// Deletes the fixture's directory.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    static func part(_ day: String, _ number: Int) -> [UInt8] {
        let lines = (0..<(20 * number)).map { "{\"day\":\"\(day)\",\"part\":\(number),\"row\":\($0)}\n" }
        return Array(lines.joined().utf8)
    }

    init() throws {
        directory = try TestSupport.temporaryDirectory("sluice-zip-week")
        let day23: [ZipFixtures.Entry] = [
            .init("part-001.json", Self.part("2023-10-23", 1)),
            .init("part-002.json", Self.part("2023-10-23", 2)),
            .directory("logs/"),
            .init("logs/run.log", "started\nfinished\n"),
            .init("part-003.json", Self.part("2023-10-23", 3)),
        ]
        let day24: [ZipFixtures.Entry] = [
            .init("part-001.json", Self.part("2023-10-24", 1)),
            .init("part-002.json", Self.part("2023-10-24", 2)),
        ]
        let summary = Array("{\"week\":43}\n".utf8)
        weekPath = try ZipFixtures.write([
            .init("events_2023-10-23.zip", try ZipFixtures.bytes(day23)),
            .init("summary.json", summary),
            .init("events_2023-10-24.zip", try ZipFixtures.bytes(day24)),
        ], to: directory, name: "events_week_43.zip")
        jsonEntries = [
            (["events_2023-10-23.zip", "part-001.json"], Self.part("2023-10-23", 1)),
            (["events_2023-10-23.zip", "part-002.json"], Self.part("2023-10-23", 2)),
            (["events_2023-10-23.zip", "part-003.json"], Self.part("2023-10-23", 3)),
            (["summary.json"], summary),
            (["events_2023-10-24.zip", "part-001.json"], Self.part("2023-10-24", 1)),
            (["events_2023-10-24.zip", "part-002.json"], Self.part("2023-10-24", 2)),
        ]
    }
}

@Suite("Nested ZIP source")
struct NestedZipSourceTests {
    @Test("two-level archive: exact listing order, display paths and byte-exact contents")
    func twoLevels() throws {
        let week = try WeekFixture()
        defer { week.remove() }
        let source = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.json")
        let refs = try source.entries()
        #expect(refs.map(\.entryNames) == week.jsonEntries.map(\.0))
        #expect(refs.map(\.entryIndices) == [[0, 0], [0, 1], [0, 4], [1], [2, 0], [2, 1]])
        let third = try #require(refs.dropFirst(2).first)
        #expect(third.displayPath == "\(week.weekPath)!/events_2023-10-23.zip!/part-003.json")
        #expect(third.chain == [week.weekPath, "events_2023-10-23.zip", "part-003.json"])
        #expect(third.depth == 2)
        #expect(refs.allSatisfy { !$0.isSuspiciousName })
        for (ref, expected) in zip(refs, week.jsonEntries) {
            #expect(try source.read(ref) == expected.1, "\(ref.displayPath)")
            #expect(ref.uncompressedSize == expected.1.count)
        }
        // A second pass is served partly from the cache and must give the same bytes.
        for (ref, expected) in zip(refs.reversed(), week.jsonEntries.reversed()) {
            #expect(try source.read(ref) == expected.1)
        }
    }

    @Test("the pattern filters on the base name; directories and nested archives are not listed")
    func patternFilter() throws {
        let week = try WeekFixture()
        defer { week.remove() }
        let parts = try NestedZipSource(archivePaths: [week.weekPath], pattern: "part-00[12].json").entries()
        #expect(parts.map(\.displayPath) == [
            "\(week.weekPath)!/events_2023-10-23.zip!/part-001.json",
            "\(week.weekPath)!/events_2023-10-23.zip!/part-002.json",
            "\(week.weekPath)!/events_2023-10-24.zip!/part-001.json",
            "\(week.weekPath)!/events_2023-10-24.zip!/part-002.json",
        ])
        let logs = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.log").entries()
        #expect(logs.map(\.entryNames) == [["events_2023-10-23.zip", "logs/run.log"]])
        let everything = try NestedZipSource(archivePaths: [week.weekPath]).entries()
        #expect(everything.count == 7)
        #expect(!everything.contains { $0.name.hasSuffix("/") || $0.name.hasSuffix(".zip") })
        #expect(throws: SluiceError.self) { try NestedZipSource(archivePaths: [week.weekPath], pattern: "part-[0-9.json") }
    }

    @Test("outer archives are listed in the order given")
    func outerOrder() throws {
        let week = try WeekFixture()
        defer { week.remove() }
        let other = try ZipFixtures.write([.init("b.json", "{}"), .init("a.json", "[]")], to: week.directory, name: "other.zip")
        let refs = try NestedZipSource(archivePaths: [other, week.weekPath, other], pattern: "*.json").entries()
        #expect(refs.map(\.displayPath) == ["\(other)!/b.json", "\(other)!/a.json"]
            + week.jsonEntries.map { ([week.weekPath] + $0.0).joined(separator: "!/") }
            + ["\(other)!/b.json", "\(other)!/a.json"])
    }

    @Test("reads from many threads at once return the right bytes")
    func concurrentReads() throws {
        let week = try WeekFixture()
        defer { week.remove() }
        let source = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.json", cacheCapacity: 2)
        let refs = try source.entries()
        let expected = week.jsonEntries.map(\.1)
        let mismatches = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 96) { iteration in
            let index = (iteration * 7) % refs.count
            do {
                if try source.read(refs[index]) != expected[index] {
                    mismatches.withLock { $0.append(refs[index].displayPath) }
                }
            } catch {
                mismatches.withLock { $0.append("\(refs[index].displayPath): \(error)") }
            }
        }
        #expect(mismatches.withLock { $0 } == [])
    }

    @Test("an entry that is a zip under another name is found by its PK signature")
    func signatureSniffing() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-sniff")
        defer { try? FileManager.default.removeItem(at: directory) }
        let inner = try ZipFixtures.bytes([.init("inside.json", "{\"x\":1}")])
        let path = try ZipFixtures.write([.init("payload.bin", inner), .init("top.json", "{}")], to: directory, name: "outer.zip")
        let sniffed = try NestedZipSource(archivePaths: [path], pattern: "*.json").entries()
        #expect(sniffed.map(\.entryNames) == [["payload.bin", "inside.json"], ["top.json"]])
        let plain = try NestedZipSource(archivePaths: [path], pattern: "*.json", detectsArchivesBySignature: false).entries()
        #expect(plain.map(\.entryNames) == [["top.json"]])
    }

    @Test("depth limit: an archive nested too deep is reported with its path and the option")
    func depthLimit() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-depth")
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = try ZipFixtures.bytes([.init("deep.json", "{\"level\":3}")])
        let b = try ZipFixtures.bytes([.init("c.zip", c), .init("mid.json", "{\"level\":2}")])
        let a = try ZipFixtures.write([.init("b.zip", b), .init("top.json", "{\"level\":1}")], to: directory, name: "a.zip")

        let all = try NestedZipSource(archivePaths: [a], pattern: "*.json").entries()
        #expect(all.map(\.name) == ["deep.json", "mid.json", "top.json"])
        #expect(all.map(\.depth) == [3, 2, 1])
        #expect(try NestedZipSource(archivePaths: [a], pattern: "*.json").read(all[0]) == Array("{\"level\":3}".utf8))

        let shallow = try NestedZipSource(archivePaths: [a], pattern: "*.json", limits: ZipLimits(maxDepth: 2))
        let error = try #require(throws: SluiceError.self) { try shallow.entries() }
        #expect(error.kind == .data)
        #expect(error.location == "\(a)!/b.zip!/c.zip")
        #expect(error.message.contains("nested more than 2 levels"))
        #expect(error.hint?.contains("--zip-max-depth") == true)

        let (entries, problems) = shallow.listEntries()
        #expect(entries.map(\.name) == ["mid.json", "top.json"])
        #expect(problems.map(\.displayPath) == ["\(a)!/b.zip!/c.zip"])
        #expect(problems.first?.stoppedListing == false)
        // A ref found under a higher limit is refused, not read, under a lower one.
        #expect(throws: SluiceError.self) { try shallow.read(all[0]) }
    }

    @Test("entry-count limits: per archive skips that archive, in total stops the listing")
    func entryCountLimits() throws {
        let week = try WeekFixture()
        defer { week.remove() }
        let perArchive = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.json",
                                             limits: ZipLimits(maxEntriesPerArchive: 4))
        let (entries, problems) = perArchive.listEntries()
        #expect(entries.map(\.entryNames) == [["summary.json"], ["events_2023-10-24.zip", "part-001.json"], ["events_2023-10-24.zip", "part-002.json"]])
        #expect(problems.map(\.displayPath) == ["\(week.weekPath)!/events_2023-10-23.zip"])
        #expect(problems.first?.error.hint?.contains("--zip-max-entries") == true)

        let total = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.json", limits: ZipLimits(maxTotalEntries: 5))
        let (some, stopped) = total.listEntries()
        #expect(some.map(\.name) == ["part-001.json", "part-002.json"])
        #expect(stopped.count == 1)
        #expect(stopped.first?.stoppedListing == true)
        #expect(stopped.first?.error.hint?.contains("--zip-max-total-entries") == true)
        #expect(throws: SluiceError.self) { try total.entries() }
    }
}
