public import SluiceCore
public import SluiceEngine
import Foundation

/// One CSV file per value of a key column (`by_category/Books.csv`), written as batches
/// arrive, each file atomically (temporary name, renamed on ``commit()``).
///
/// File names come from the value, so they are the same on every run: a value made only of
/// letters, digits, `-`, `_` and `.` (not starting with a dot) is its own name; any other gets
/// its safe part (other characters as `_`) followed by `-` and eight hex digits of a stable
/// hash of the value. Two values never share a file and no value can name a path outside the
/// folder; values equal but for case (`Books`, `books`), which would share a file on a
/// case-insensitive file system, are told apart by the same suffix on the one that comes later
/// in the result (whose order is deterministic). Null is `_null_`.
///
/// On ``commit()`` the folder ends up holding exactly this run's files: `.csv` files left by
/// an earlier run for values this run does not have are removed.
public final class PartitionedCSVOutput: BatchSink {
    public let folder: String
    public let column: Int
    public let schema: Schema
    /// The most files one output may create (an accidental key with millions of values
    /// would otherwise exhaust file descriptors).
    public let maxFiles: Int
    private var files: [String?: CSVFileOutput] = [:]
    private var order: [String?] = []
    private var takenNames: [String: String?] = [:]

    /// - Parameter column: the key column's name in `schema`.
    public init(folder: String, column: String, schema: Schema, maxFiles: Int = 512) throws(SluiceError) {
        self.folder = folder
        self.column = try schema.requireIndex(of: column, in: "per-value output")
        self.schema = schema
        self.maxFiles = maxFiles
    }

    /// The files written so far, by key value (nil: null), in the order first seen.
    public var paths: [(value: String?, path: String)] { order.compactMap { value in files[value].map { (value, $0.path) } } }

    public func write(_ batch: RecordBatch) throws {
        var rowsByValue: [String?: [Int32]] = [:]
        var seen: [String?] = []
        let keys = batch.columns[column]
        for row in 0..<batch.rowCount {
            let value: String? = keys.isNull(row) ? nil : keys.value(at: row).description
            if rowsByValue[value] == nil { seen.append(value) }
            rowsByValue[value, default: []].append(Int32(row))
        }
        for value in seen {
            let file = try output(for: value)
            try file.append(batch.take(rowsByValue[value] ?? []))
        }
    }

    public func commit() throws {
        for value in order { try files[value]?.commit() }
        let written = Set(files.values.map { ($0.path as NSString).lastPathComponent })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".csv") && !written.contains(name) {
            try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
        }
    }

    private func output(for value: String?) throws(SluiceError) -> CSVFileOutput {
        if let file = files[value] { return file }
        guard files.count < maxFiles else {
            throw SluiceError(.data, "more than \(maxFiles) distinct values of \(schema[column].name) for one file each", location: folder,
                              hint: "partition the output by a column with fewer values")
        }
        var name = value.map(Self.fileName(for:)) ?? "_null_"
        if let owner = takenNames[name.lowercased()], owner != value {
            let text = value ?? "_null_"
            name = Self.safePart(of: text) + "-" + Self.stableHash(text)
        }
        takenNames[name.lowercased()] = value
        // Many files may be open at once: each buffers little.
        let file = try CSVFileOutput(path: "\(folder)/\(name).csv", schema: schema, flushBytes: 64 << 10)
        files[value] = file
        order.append(value)
        return file
    }

    /// The file name (without `.csv`) for a value, before clashes are looked at.
    public static func fileName(for value: String) -> String {
        let safe = safePart(of: value)
        let plain = !value.isEmpty && !value.hasPrefix(".") && value.unicodeScalars.allSatisfy(isSafe)
        return plain ? safe : (safe.isEmpty ? "value" : safe) + "-" + stableHash(value)
    }

    static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": true
        default: false
        }
    }

    /// Letters, digits, `-`, `_` and `.` kept, everything else `_`, at most 80 characters.
    static func safePart(of value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars.prefix(80) { out.unicodeScalars.append(isSafe(scalar) ? scalar : "_") }
        while out.hasPrefix(".") { out.removeFirst() }
        return out
    }

    /// Eight hex digits of a hash of the value's UTF-8 bytes, the same on every run.
    static func stableHash(_ value: String) -> String {
        var text = value
        let hash = text.withUTF8 { Hash64.bytes(UnsafeRawBufferPointer($0)) }
        let hex = String(UInt32(truncatingIfNeeded: hash ^ (hash >> 32)), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
