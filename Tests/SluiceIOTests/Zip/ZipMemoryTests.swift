import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

@Suite("Nested ZIP reads within the memory budget")
struct ZipMemoryTests {
    /// Every entry's path and bytes as `source` reads them.
    static func contents(_ source: NestedZipSource) throws -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        for entry in try source.entries() { found[entry.displayPath] = try source.read(entry) }
        return found
    }

    @Test("a nested archive past the in-memory size is read through a temporary file, unlinked at once, with the same bytes")
    func spilledNested() throws {
        let week = try WeekFixture()
        defer { week.remove() }
        let spill = try TestSupport.temporaryDirectory("sluice-zip-spill")
        let inMemory = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.json")
        let spilled = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.json", cacheCapacity: 2,
                                          memory: ZipMemoryPolicy(inMemoryArchiveBytes: 16, spillDirectory: spill.path))
        let expected = try Self.contents(inMemory)
        #expect(expected.count == 6)
        #expect(try Self.contents(spilled) == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spill.path).isEmpty)
        // Reads from several threads at once, each with its own handles on the spilled file.
        let entries = try spilled.entries()
        let results = Locked<[String: [UInt8]]>([:])
        DispatchQueue.concurrentPerform(iterations: 24) { index in
            let entry = entries[index % entries.count]
            if let bytes = try? spilled.read(entry) { results.withLock { $0[entry.displayPath] = bytes } }
        }
        #expect(results.withLock { $0 } == expected)
        let missing = ZipMemoryPolicy(inMemoryArchiveBytes: 16, spillDirectory: spill.path + "/missing/deeper")
        let failing = try NestedZipSource(archivePaths: [week.weekPath], pattern: "*.json", memory: missing)
        #expect(performing: { _ = try failing.entries() }, throws: {
            guard let error = $0 as? SluiceError else { return false }
            return error.kind == .io && error.message.contains("temporary file") && error.hint?.contains("--temp-dir") == true
        })
    }

    @Test("the policy for a run keeps nested archives to a sixteenth of a worker's share, within 1 MiB and 256 MiB")
    func runPolicy() {
        #expect(ZipMemoryPolicy(memoryLimit: 64 << 20, workers: 2, temporaryDirectory: "/t").inMemoryArchiveBytes == 2 << 20)
        #expect(ZipMemoryPolicy(memoryLimit: 16 << 20, workers: 8, temporaryDirectory: "/t").inMemoryArchiveBytes == 1 << 20)
        #expect(ZipMemoryPolicy(memoryLimit: nil, workers: 2, temporaryDirectory: "/t").inMemoryArchiveBytes == 256 << 20)
        #expect(ZipMemoryPolicy(memoryLimit: 64 << 30, workers: 2, temporaryDirectory: "/t").inMemoryArchiveBytes == 256 << 20)
    }

    @Test("a JSON entry larger than one worker's share of --memory stops the run before it is read, naming it")
    func entryTooLarge() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-zip-large")
        let events = (0..<40_000).map { "{\"id\":\($0),\"name\":\"event number \($0) with some padding\"}" }
        let part = Array(("[" + events.joined(separator: ",\n") + "]").utf8)
        let path = try ZipFixtures.write([.init("part-001.json", part)], to: directory, name: "events.zip")
        let schema = Schema([Field("id", .int64), Field("name", .string)])
        let small = ExecutionConfig(workers: 2, memoryLimit: 2 << 20)
        let source = try ArchiveJSONSource(archives: [path], schema: schema, onError: .skip)
        #expect(performing: { _ = try DataFrame(source).collectBatch(runtime: ExecutionRuntime(config: small)) }, throws: {
            guard let error = $0 as? SluiceError else { return false }
            return error.kind == .resourcesExhausted && error.location == "\(path)!/part-001.json" && error.hint?.contains("--memory") == true
        })
        let roomy = ExecutionConfig(workers: 2, memoryLimit: 64 << 20)
        let read = try DataFrame(ArchiveJSONSource(archives: [path], schema: schema)).collectBatch(runtime: ExecutionRuntime(config: roomy))
        #expect(read.rowCount == 40_000)
    }
}
