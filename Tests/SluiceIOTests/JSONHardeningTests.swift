import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

/// Issue 10, item 7: byte order marks, concatenated documents, trailing data and parts that
/// are not JSON; every event is passed or rejected, none is dropped with exit 0.
@Suite("JSON hardening")
struct JSONHardeningTests {
    static let schema = Schema([Field("id", .int64), Field("device.os", .string)])
    static let bom = "\u{FEFF}"

    static func decode(_ text: String) throws -> (ids: [Value], rejects: [Reject], read: Int) {
        try decode(Array(text.utf8))
    }

    static func decode(_ bytes: [UInt8]) throws -> (ids: [Value], rejects: [Reject], read: Int) {
        let decoder = JSONRecordDecoder(schema: schema)
        var rejects: [Reject] = []
        let read = try bytes.withUnsafeBufferPointer { try decoder.decode($0, source: "events.json", rejects: &rejects) }
        return (decoder.takeBatch().rows.map { $0[0] }, rejects, read)
    }

    static func ids(_ values: Int...) -> [Value] {
        values.map { .int64(Int64($0)) }
    }

    static func infer(_ text: String) -> Schema {
        Array(text.utf8).withUnsafeBufferPointer { JSONSchemaInference.infer($0) }
    }

    @Test("a byte order mark before an array, before NDJSON and before each concatenated document is skipped")
    func byteOrderMarks() throws {
        let array = try Self.decode(Self.bom + #"[{"id": 1}, {"id": 2}]"#)
        #expect(array.read == 2)
        #expect(array.ids == Self.ids(1, 2))
        #expect(array.rejects.isEmpty)

        let ndjson = try Self.decode(Self.bom + "{\"id\": 1}\n{\"id\": 2}\n")
        #expect(ndjson.read == 2)
        #expect(ndjson.ids == Self.ids(1, 2))
        #expect(ndjson.rejects.isEmpty)

        let concatenated = try Self.decode(Self.bom + #"[{"id": 1}]"# + "\n" + Self.bom + #"[{"id": 2}]"#)
        #expect(concatenated.read == 2)
        #expect(concatenated.ids == Self.ids(1, 2))
        #expect(concatenated.rejects.isEmpty)
    }

    @Test("concatenated arrays are read whole, with or without whitespace between them")
    func concatenatedArrays() throws {
        let adjacent = try Self.decode(#"[{"id": 1}, {"id": 2}][{"id": 3}]"#)
        #expect(adjacent.read == 3)
        #expect(adjacent.ids == Self.ids(1, 2, 3))
        #expect(adjacent.rejects.isEmpty)

        let spaced = try Self.decode("[{\"id\": 1}]\n \t\r\n[ {\"id\": 2} ,\n  {\"id\": 3} ]\n\n[]\n[{\"id\": 4}]\n")
        #expect(spaced.read == 4)
        #expect(spaced.ids == Self.ids(1, 2, 3, 4))
        #expect(spaced.rejects.isEmpty)

        let mixed = try Self.decode("[{\"id\": 1}]\n{\"id\": 2}\n{\"id\": 3}")
        #expect(mixed.read == 3)
        #expect(mixed.ids == Self.ids(1, 2, 3))
    }

    @Test("bytes after the last array are one trailing_data reject with their offset and line")
    func trailingData() throws {
        let head = #"[{"id": 1}, {"id": 2}]"#
        let glued = try Self.decode(head + "garbage\n")
        #expect(glued.read == 3)
        #expect(glued.ids == Self.ids(1, 2))
        let reject = try #require(glued.rejects.first)
        #expect(glued.rejects.count == 1)
        #expect(reject.kind == .trailingData)
        #expect(reject.byteOffset == head.utf8.count)
        #expect(reject.line == 1)
        #expect(reject.source == "events.json")
        #expect(reject.raw == "garbage\n")
        #expect(reject.message == "trailing data after the last JSON document (8 bytes)")

        let head2 = "[\n  {\"id\": 1}\n]\n[{\"id\": 2}]\n\n  "
        let later = try Self.decode(head2 + "xyz]")
        #expect(later.read == 3)
        #expect(later.ids == Self.ids(1, 2))
        #expect(later.rejects.map(\.kind) == [.trailingData])
        #expect(later.rejects.map(\.byteOffset) == [head2.utf8.count])
        #expect(later.rejects.map(\.line) == [6])
        #expect(later.rejects.map(\.raw) == ["xyz]"])
    }

    @Test("a part that is neither an array nor NDJSON objects is a data error naming the position")
    func notJSON() throws {
        let garbage = try #require(throws: SluiceError.self) { try Self.decode("hello, world\n{\"id\": 1}\n") }
        #expect(garbage.kind == .data)
        #expect(garbage.message == "not JSON: neither an array nor newline-delimited objects (starts with 'hello, world')")
        #expect(garbage.location == "events.json at byte 0, line 1")

        let afterBOM = try #require(throws: SluiceError.self) { try Self.decode(Self.bom + "\n\"text\"") }
        #expect(afterBOM.location == "events.json at byte 4, line 2")

        let binary = try #require(throws: SluiceError.self) { try Self.decode([0x00, 0x01, 0x02, 0x0A, 0x7B]) }
        #expect(binary.message == "not JSON: neither an array nor newline-delimited objects")

        let utf16 = try #require(throws: SluiceError.self) { try Self.decode([0xFF, 0xFE, 0x5B, 0x00, 0x5D, 0x00]) }
        #expect(utf16.message == "not JSON: UTF-16 text (only UTF-8 is read)")
    }

    @Test("an empty part, only whitespace, only a byte order mark or an empty array is zero events and no reject",
          arguments: ["", " \n\t\r\n", "\u{FEFF}", "\u{FEFF}\n", "[]", " [ ] \n [ ] "])
    func emptyParts(text: String) throws {
        let result = try Self.decode(text)
        #expect(result.read == 0)
        #expect(result.ids.isEmpty)
        #expect(result.rejects.isEmpty)
    }

    @Test("nested objects in concatenated arrays are still flattened")
    func nestedObjects() throws {
        let decoder = JSONRecordDecoder(schema: Self.schema)
        var rejects: [Reject] = []
        let text = #"[{"id": 1, "device": {"os": "ios", "model": {"name": "x"}}, "tags": [{"a": [1]}]}, {"device": {"os": "android"}, "id": 2}]"#
            + "\n" + #"[{"id": 3, "device": {}}]"#
        let read = try Array(text.utf8).withUnsafeBufferPointer { try decoder.decode($0, source: "events.json", rejects: &rejects) }
        #expect(read == 3)
        #expect(rejects.isEmpty)
        #expect(decoder.takeBatch().rows == [[.int64(1), .string("ios")], [.int64(2), .string("android")], [.int64(3), .null]])
    }

    @Test("in NDJSON a line that is not an object stays a reject of its own, and reading goes on")
    func ndjsonJunkLine() throws {
        let result = try Self.decode("{\"id\": 1}\nxyz\n{\"id\": 2}\n")
        #expect(result.read == 3)
        #expect(result.ids == Self.ids(1, 2))
        #expect(result.rejects.map(\.kind) == [.typeConflict])
        #expect(result.rejects.map(\.line) == [2])
        #expect(result.rejects.map(\.byteOffset) == [10])
        #expect(result.rejects.map(\.raw) == ["xyz"])
    }

    @Test("malformed JSON inside a later concatenated array is still an error")
    func malformedSecondArray() throws {
        let error = try #require(throws: SluiceError.self) { try Self.decode("[{\"id\": 1}]\n[{\"id\": 2},\n{\"id\": ]") }
        #expect(error.message.hasPrefix("malformed JSON"))
        #expect(error.location == "events.json at byte 31, line 3")
    }

    @Test("schema inference skips byte order marks and samples concatenated arrays")
    func inference() {
        #expect(Self.infer(Self.bom + #"[{"a": 1, "b": {"c": "x"}}]"#).names == ["a", "b.c"])
        #expect(Self.infer(Self.bom + "{\"a\": 1}\n{\"b\": true}\n").names == ["a", "b"])
        let concatenated = Self.infer("[]\n" + Self.bom + #"[{"a": 1}][{"a": 2.5, "b": "x"}]"# + "garbage")
        #expect(concatenated.names == ["a", "b"])
        #expect(concatenated.fields.map(\.type) == [.float64, .string])
        #expect(Self.infer("garbage").fields.isEmpty)
    }
}

/// The same cases as parts of a day archive inside a week archive, read by
/// ``ArchiveJSONSource`` under both `--on-error` policies.
@Suite("JSON hardening in nested archives")
struct JSONHardeningArchiveTests {
    static let schema = Schema([Field("id", .int64), Field("device.os", .string)])
    static let trailingHead = "[{\"id\": 6},\n {\"id\": 7, \"device\": {\"os\": \"ios\"}}]\n"

    static let goodParts: [(String, String)] = [
        ("part-001.json", "\u{FEFF}[{\"id\": 1, \"device\": {\"os\": \"ios\"}}, {\"id\": 2}]"),
        ("part-002.json", "[{\"id\": 3}][{\"id\": 4}]\n[{\"id\": 5, \"device\": {\"os\": \"android\", \"v\": {\"n\": 1}}}]\n"),
        ("part-003.json", ""),
        ("part-004.json", "\u{FEFF}{\"id\": 8}\n{\"id\": 9}\n"),
    ]
    static let trailingPart = ("part-005.json", trailingHead + "garbage")
    static let garbagePart = ("part-006.json", "this is not json\n")

    /// Writes `events_week_43.zip` holding `events_2023-10-23.zip` holding `parts`, in a
    /// folder of its own that `directory` names for removal.
    static func week(_ parts: [(String, String)]) throws -> (path: String, day: String, directory: URL) {
        let directory = try TestSupport.temporaryDirectory("sluice-json-hardening")
        let day = try ZipWriter.inMemory()
        for (name, text) in parts { try day.add(name: name, bytes: Array(text.utf8)) }
        let path = directory.appendingPathComponent("events_week_43.zip").path
        let week = try ZipWriter(path: path)
        try week.add(name: "events_2023-10-23.zip", bytes: try day.finishInMemory(), level: 0)
        try week.finish()
        return (path, "\(path)!/events_2023-10-23.zip", directory)
    }

    static func ids(_ source: ArchiveJSONSource) throws -> [Int64] {
        let batch = try DataFrame(source).collectBatch(runtime: TestSupport.runtime(workers: 1))
        return batch.rows.compactMap { row -> Int64? in
            if case .int64(let id) = row[0] { return id }
            return nil
        }.sorted()
    }

    @Test("under skip: every event of the good parts passes; trailing data and a garbage part are one reject each")
    func skip() throws {
        let (path, day, directory) = try Self.week(Self.goodParts + [Self.trailingPart, Self.garbagePart])
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try ArchiveJSONSource(archives: [path], schema: Self.schema, onError: .skip)
        #expect(try Self.ids(source) == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let rejects = try source.rejects.allRejects()
        #expect(rejects.map(\.kind) == [.trailingData, .corruptEntry])
        #expect(rejects.map(\.source) == ["\(day)!/part-005.json", "\(day)!/part-006.json"])
        #expect(rejects[0].byteOffset == Self.trailingHead.utf8.count)
        #expect(rejects[0].line == 3)
        #expect(rejects[0].raw == "garbage")
        #expect(rejects[1].message == "not JSON: neither an array nor newline-delimited objects (starts with 'this is not json')")
        #expect(Self.total(source.rejects.sourceCounts) == [10, 9, 1])
        #expect(source.rejects.sourceCounts.allSatisfy { $0.source.hasPrefix("\(day)!/part-") && $0.read == $0.passed + $0.rejected })
    }

    @Test("under fail: trailing data stops the run with the entry, byte and line")
    func failOnTrailingData() throws {
        let (path, day, directory) = try Self.week(Self.goodParts + [Self.trailingPart])
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try ArchiveJSONSource(archives: [path], schema: Self.schema, onError: .fail)
        let error = try #require(throws: SluiceError.self) { try Self.ids(source) }
        #expect(error.kind == .data)
        #expect(error.message == "trailing data after the last JSON document (7 bytes)")
        #expect(error.location == "\(day)!/part-005.json, byte \(Self.trailingHead.utf8.count), line 3")
        #expect(source.rejects.totalRejected == 0)
    }

    @Test("under fail: a part that is not JSON stops the run with the entry")
    func failOnGarbage() throws {
        let (path, day, directory) = try Self.week(Self.goodParts + [Self.garbagePart])
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try ArchiveJSONSource(archives: [path], schema: Self.schema, onError: .fail)
        let error = try #require(throws: SluiceError.self) { try Self.ids(source) }
        #expect(error.kind == .data)
        #expect(error.message.hasPrefix("not JSON"))
        #expect(error.location == "\(day)!/part-006.json at byte 0, line 1")
    }

    @Test("under fail: BOMs, concatenated arrays and an empty part read every event")
    func failWithGoodParts() throws {
        let (path, _, directory) = try Self.week(Self.goodParts)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try ArchiveJSONSource(archives: [path], schema: Self.schema, onError: .fail)
        #expect(try Self.ids(source) == [1, 2, 3, 4, 5, 8, 9])
        #expect(source.rejects.totalRejected == 0)
        #expect(Self.total(source.rejects.sourceCounts) == [7, 7, 0])
    }

    @Test("the sampled schema of a part that starts with a byte order mark")
    func sampleSchema() throws {
        let (path, _, directory) = try Self.week(Self.goodParts)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try ArchiveJSONSource(archives: [path], schema: Self.schema)
        let schema = try #require(source.sampleSchema())
        #expect(schema.names == ["id", "device.os"])
        #expect(schema.fields.map(\.type) == [.int64, .string])
    }

    /// Read, passed and rejected over every entry (each entry counts as a source of its own).
    static func total(_ counts: [SourceCounts]) -> [Int] {
        [counts.reduce(0) { $0 + $1.read }, counts.reduce(0) { $0 + $1.passed }, counts.reduce(0) { $0 + $1.rejected }]
    }
}
