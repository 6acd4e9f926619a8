import Foundation
import SluiceCore
import SluiceEngine
@_spi(Fuzzing) import SluiceIO
import SluiceTestSupport
import Testing

/// What one way of reading the mutated parts gave: rows, rejects and per-source counts, or
/// the error that stopped the run.
struct JSONReading: Equatable {
    var rows: [[Value]] = []
    var rejects: [Reject] = []
    var counts: [SourceCounts] = []
    var error: String?

    /// Collects `source` through a plan; counts are sorted by source, since tasks count in the
    /// order they finish. `scratch` is the runtime's temporary directory: a small one of the
    /// test's own, since every runtime lists its directory for stale spill folders.
    static func of(_ source: any TableSource, rejects: RejectSink, workers: Int, batchRows: Int, scratch: URL) -> JSONReading {
        let config = ExecutionConfig(workers: workers, batchRows: batchRows, temporaryDirectory: scratch.path)
        do {
            let batch = try DataFrame(source).collectBatch(runtime: ExecutionRuntime(config: config))
            return JSONReading(rows: batch.rows, rejects: try rejects.allRejects(), counts: rejects.sourceCounts.sorted { $0.source < $1.source })
        } catch {
            return JSONReading(error: String(reflecting: error))
        }
    }
}

/// One part decoded on its own by ``JSONRecordDecoder``: what every reader of it must agree with.
struct JSONPartOutcome {
    var rows: [[Value]] = []
    var rejects: [Reject] = []
    var read = 0
    var error: SluiceError?

    init(_ bytes: [UInt8], schema: Schema, source: String) {
        let decoder = JSONRecordDecoder(schema: schema)
        do {
            read = try bytes.withUnsafeBufferPointer { (buffer) throws(SluiceError) -> Int in
                try decoder.decode(buffer, source: source, rejects: &rejects)
            }
            rows = decoder.takeBatch().rows
        } catch {
            self.error = error
            rejects = []
        }
    }

    /// The error ``ArchiveJSONSource`` stops on under `--on-error fail`: the decoder's, or
    /// trailing data after the last document.
    func failError(entry: String) -> String? {
        if let error { return String(reflecting: error) }
        guard let trailing = rejects.last, trailing.kind == .trailingData else { return nil }
        let stop = SluiceError(.data, trailing.message, location: "byte \(trailing.byteOffset), line \(trailing.line)",
                               hint: "remove the bytes after the last document, or run with --on-error skip")
        return String(reflecting: stop.at(entry))
    }
}

/// Part files in the ecommerce generator's shape (`EcommerceGenerator.partFile`): a JSON
/// array of events indented by two spaces as `json.dump(events, f, indent=2)` writes it, or
/// the same events one per line (NDJSON). A fifth of the events are purchases with a
/// `quantity` (the original has 5%), and every seventh carries a `price` and a nested
/// `device` object, so mutations reach integers, decimals and flattened names too.
enum EventParts {
    static let schema = Schema([
        Field("timestamp", .timestamp), Field("customer_id", .string), Field("event_type", .string), Field("product_id", .string),
        Field("quantity", .int64), Field("price", .decimal(precision: 10, scale: 2)), Field("device.os", .string),
    ])

    static func part(seed: UInt64, events: Int, ndjson: Bool) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        let seconds = (0..<events).map { _ in Int(random.next() % 86_400) }.sorted()
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var objects: [[(String, String)]] = []
        for (index, second) in seconds.enumerated() {
            let roll = random.next() % 100
            let type = roll >= 80 ? "purchase" : (roll < 55 ? "view_product" : "add_to_cart")
            let time = "2023-10-23T\(digits(second / 3600, 2)):\(digits(second / 60 % 60, 2)):\(digits(second % 60, 2))"
            var fields = [("timestamp", "\"\(time)\""), ("customer_id", "\"c\(digits(1 + Int(random.next() % 100), 3))\""),
                          ("event_type", "\"\(type)\""), ("product_id", "\"p\(digits(1 + Int(random.next() % 50), 3))\"")]
            if type == "purchase" { fields.append(("quantity", String(1 + random.next() % 3))) }
            if index % 7 == 3 {
                fields.append(("price", "\(10 + random.next() % 490).\(digits(Int(random.next() % 100), 2))"))
                fields.append(("device", ndjson ? "{\"os\": \"ios\"}" : "{\n      \"os\": \"android\"\n    }"))
            }
            objects.append(fields)
        }
        if ndjson {
            return Array(objects.map { "{" + $0.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}\n" }.joined().utf8)
        }
        let body = objects.map { "  {\n" + $0.map { "    \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n  }" }
        return Array((objects.isEmpty ? "[]" : "[\n" + body.joined(separator: ",\n") + "\n]").utf8)
    }
}

@Suite("JSON fuzz: seeded mutations of event parts read the same by every source, worker count and batch size")
struct JSONFuzzTests {
    /// Cases per run; `SLUICE_FUZZ_CASES` raises it (`scripts/fuzz.sh`).
    static let cases = ProcessInfo.processInfo.environment["SLUICE_FUZZ_CASES"].flatMap(Int.init) ?? 200

    static let clean = EventParts.part(seed: 3, events: 4, ndjson: false)

    /// Workers and batch rows for ``JSONSource``; the first is the reference.
    static let fileSettings: [(workers: Int, batchRows: Int)] = [(1, 65_536), (2, 5), (3, 1)]
    /// Policy, workers, batch rows and partition bytes for ``ArchiveJSONSource``; 1 byte
    /// makes every entry a partition of its own.
    static let archiveSettings: [(onError: OnError, workers: Int, batchRows: Int, partitionBytes: Int)] = [
        (.skip, 1, 65_536, 32 << 20), (.skip, 2, 3, 1), (.skip, 3, 1, 2_000), (.fail, 1, 65_536, 32 << 20), (.fail, 3, 2, 1),
    ]

    @Test("no crash; the decoder, JSONSource and ArchiveJSONSource agree for every setting; read = passed + rejected")
    func mutants() throws {
        let directory = try TestSupport.temporaryDirectory("sluice-json-fuzz")
        defer { try? FileManager.default.removeItem(at: directory) }
        var failures: [String] = []
        for index in 0..<Self.cases {
            let seed = UInt64(index) &* 0x2545_F491_4F6C_DD1D &+ 1
            // Some parts start with a byte order mark, end with a newline, run on into a second
            // array as concatenated exports do, or end in the NUL padding a crashed writer leaves.
            let head: [UInt8] = index % 4 == 1 ? [0xEF, 0xBB, 0xBF] : []
            let tails = [[], Array("\n".utf8), Array("\n".utf8) + EventParts.part(seed: seed ^ 1, events: 2, ndjson: false), [UInt8](repeating: 0, count: 16)]
            let tail = tails[index % tails.count]
            let parts = [
                Mutator.mutate(head + EventParts.part(seed: seed, events: 24, ndjson: false) + tail, seed: seed, alphabet: .json),
                Mutator.mutate(EventParts.part(seed: seed ^ 0x5EED, events: 12, ndjson: true), seed: seed &+ 7, alphabet: .json),
            ]
            for part in parts { #expect(part.withUnsafeBufferPointer { FuzzEntry.json($0) } == nil) }
            let folder = directory.appendingPathComponent("case-\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            failures += try checkFiles(parts, in: folder).map { "seed \(seed), files: \($0)" }
            failures += try checkArchive(parts, in: folder).map { "seed \(seed), archive: \($0)" }
            try? FileManager.default.removeItem(at: folder)
            if failures.count >= 10 { break }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    /// The parts as files of one ``JSONSource``: rows in file order, rejects and counts as the
    /// decoder gives them; an error is the first failing part's with one worker, any failing
    /// part's with more.
    private func checkFiles(_ parts: [[UInt8]], in folder: URL) throws -> [String] {
        var paths: [String] = []
        for (index, part) in parts.enumerated() {
            let path = folder.appendingPathComponent("part-00\(index + 1).json").path
            try Data(part).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let outcomes = zip(parts, paths).map { JSONPartOutcome($0.0, schema: EventParts.schema, source: $0.1) }
        let errors = outcomes.compactMap { $0.error.map { String(reflecting: $0) } }
        var expected = JSONReading()
        if errors.isEmpty {
            expected.rows = outcomes.flatMap(\.rows)
            expected.rejects = Self.sorted(outcomes.flatMap(\.rejects))
            expected.counts = zip(paths, outcomes).map { Self.counts($0.0, [$0.1]) }.sorted { $0.source < $1.source }
        }
        var problems: [String] = []
        for setting in Self.fileSettings {
            let rejects = RejectSink()
            let source = try JSONSource(paths: paths, schema: EventParts.schema, rejects: rejects)
            let reading = JSONReading.of(source, rejects: rejects, workers: setting.workers, batchRows: setting.batchRows, scratch: folder)
            if let problem = Self.compare(reading, expected, errors: errors, anyError: setting.workers > 1) {
                problems.append("workers \(setting.workers), batch \(setting.batchRows): \(problem)")
            }
        }
        return problems
    }

    /// The parts, after a clean one, in a day archive inside a week archive, read under both
    /// policies: `skip` turns a failing part into one `corrupt_entry` reject and keeps the
    /// rest; `fail` stops on it, or on trailing data.
    private func checkArchive(_ parts: [[UInt8]], in folder: URL) throws -> [String] {
        let path = folder.appendingPathComponent("events_week_43.zip").path
        let day = try ZipWriter.inMemory()
        let entries = [Self.clean] + parts
        for (index, part) in entries.enumerated() { try day.add(name: "part-00\(index + 1).json", bytes: part, level: 1) }
        let week = try ZipWriter(path: path)
        try week.add(name: "events_2023-10-23.zip", bytes: try day.finishInMemory(), level: 0)
        try week.finish()
        let names = entries.indices.map { "\(path)!/events_2023-10-23.zip!/part-00\($0 + 1).json" }
        let outcomes = zip(entries, names).map { JSONPartOutcome($0.0, schema: EventParts.schema, source: $0.1) }
        let readable = outcomes.filter { $0.error == nil }
        // Each entry is a source of its own in the counts.
        let perEntry = zip(names, outcomes).filter { $0.1.error == nil }.map { Self.counts($0.0, [$0.1]) }.sorted { $0.source < $1.source }
        var skipped = JSONReading(rows: readable.flatMap(\.rows), counts: perEntry)
        skipped.rejects = Self.sorted(zip(names, outcomes).flatMap { name, outcome -> [Reject] in
            guard let error = outcome.error else { return outcome.rejects }
            return [Reject(source: name, line: 0, byteOffset: 0, column: nil, kind: .corruptEntry, raw: "", message: error.message)]
        })
        let failErrors = zip(names, outcomes).compactMap { $0.1.failError(entry: $0.0) }
        let failed = failErrors.isEmpty ? skipped : JSONReading()
        var problems: [String] = []
        for setting in Self.archiveSettings {
            let rejects = RejectSink()
            let source = try ArchiveJSONSource(archives: [path], schema: EventParts.schema, onError: setting.onError, rejects: rejects,
                                               partitionBytes: setting.partitionBytes)
            let reading = JSONReading.of(source, rejects: rejects, workers: setting.workers, batchRows: setting.batchRows, scratch: folder)
            let skip = setting.onError == .skip
            let anyError = setting.workers > 1 && source.partitions.count > 1
            if let problem = Self.compare(reading, skip ? skipped : failed, errors: skip ? [] : failErrors, anyError: anyError) {
                problems.append("\(setting.onError), workers \(setting.workers), batch \(setting.batchRows), partition bytes \(setting.partitionBytes): \(problem)")
            }
        }
        return problems
    }

    /// Nil when `reading` is `expected`: the same rows, rejects and counts, with
    /// read = passed + rejected for every source; or, when parts fail, the first failing
    /// part's error (any failing part's when tasks race, `anyError`).
    private static func compare(_ reading: JSONReading, _ expected: JSONReading, errors: [String], anyError: Bool) -> String? {
        if let error = reading.error {
            if anyError ? errors.contains(error) : error == errors.first { return nil }
            return "error \(error); expected \(errors.first ?? "none")"
        }
        if !errors.isEmpty { return "no error; expected \(errors[0])" }
        if let count = reading.counts.first(where: { $0.read != $0.passed + $0.rejected }) {
            return "\(count.source): read \(count.read) != passed \(count.passed) + rejected \(count.rejected)"
        }
        if reading.rows != expected.rows { return "\(reading.rows.count) rows; expected \(expected.rows.count)" }
        if reading.rejects != expected.rejects {
            return "rejects \(reading.rejects.map { "\($0.byteOffset):\($0.kind)" }); expected \(expected.rejects.map { "\($0.byteOffset):\($0.kind)" })"
        }
        if reading.counts != expected.counts { return "counts \(reading.counts); expected \(expected.counts)" }
        return nil
    }

    /// Rejects in ``RejectSink/rejects`` order.
    private static func sorted(_ rejects: [Reject]) -> [Reject] {
        rejects.sorted { ($0.source, $0.line, $0.byteOffset) < ($1.source, $1.line, $1.byteOffset) }
    }

    private static func counts(_ source: String, _ outcomes: [JSONPartOutcome]) -> SourceCounts {
        var counts = SourceCounts(source: source)
        counts.read = outcomes.reduce(0) { $0 + $1.read }
        counts.passed = outcomes.reduce(0) { $0 + $1.rows.count }
        counts.rejected = outcomes.reduce(0) { $0 + $1.rejects.count }
        return counts
    }
}
