public import SluiceCore
public import SluiceEngine

/// One CSV file per value of a key column (`by_category/Books.csv`), written as batches
/// arrive, each file atomically (temporary name, renamed on ``commit()``).
///
/// File names are derived from the value alone, so they are the same on every run: a value
/// made only of letters, digits, `-`, `_`, `.` and spaces (not starting with a dot) is its
/// own name with spaces as `_`; any other value, and a value whose name would clash with
/// another's ignoring case, gets the safe part followed by `-` and eight hex digits of a
/// stable hash of the value. Two values therefore never share a file, and no value can name
/// a path outside the folder. Null is `_null_`.
public final class PartitionedCSVOutput: BatchSink {
    public let folder: String
    public let column: Int
    public let schema: Schema
    /// The most files one output may create (an accidental key with millions of values
    /// would otherwise exhaust file descriptors).
    public let maxFiles: Int
    private var files: [String: CSVFileOutput] = [:]
    private var order: [String] = []
    private var takenNames: [String: String] = [:]

    /// - Parameter column: the key column's name in `schema`.
    public init(folder: String, column: String, schema: Schema, maxFiles: Int = 10_000) throws(SluiceError) {
        self.folder = folder
        self.column = try schema.requireIndex(of: column, in: "per-value output")
        self.schema = schema
        self.maxFiles = maxFiles
    }

    /// The files written so far, by key value, in the order first seen.
    public var paths: [(value: String, path: String)] { order.compactMap { value in files[value].map { (value, $0.path) } } }

    public func write(_ batch: RecordBatch) throws {
        var rowsByValue: [String: [Int32]] = [:]
        var seen: [String] = []
        let keys = batch.columns[column]
        for row in 0..<batch.rowCount {
            let value = keys.isNull(row) ? Self.nullKey : keys.value(at: row).description
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
    }

    private static let nullKey = "\u{0}null"

    private func output(for value: String) throws(SluiceError) -> CSVFileOutput {
        if let file = files[value] { return file }
        guard files.count < maxFiles else {
            throw SluiceError(.data, "more than \(maxFiles) distinct values of \(schema[column].name) for one file each", location: folder,
                              hint: "partition the output by a column with fewer values")
        }
        var name = value == Self.nullKey ? "_null_" : Self.fileName(for: value)
        if let owner = takenNames[name.lowercased()], owner != value {
            name = Self.safePart(of: value) + "-" + Self.stableHash(value)
        }
        takenNames[name.lowercased()] = value
        let file = try CSVFileOutput(path: "\(folder)/\(name).csv", schema: schema)
        files[value] = file
        order.append(value)
        return file
    }

    /// The file name (without `.csv`) for a value, before clashes are looked at.
    public static func fileName(for value: String) -> String {
        let safe = safePart(of: value)
        let plain = !value.isEmpty && !value.hasPrefix(".") && value.unicodeScalars.allSatisfy { isSafe($0) || $0 == " " }
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
