import SluiceCore

/// One key of a sort: a column, its direction and where nulls go.
public struct SortKey: Sendable, CustomStringConvertible {
    public var column: String
    public var ascending: Bool
    public var nullsFirst: Bool

    public init(_ column: String, ascending: Bool = true, nullsFirst: Bool = false) {
        self.column = column
        self.ascending = ascending
        self.nullsFirst = nullsFirst
    }

    public static func asc(_ column: String) -> SortKey { SortKey(column) }
    public static func desc(_ column: String) -> SortKey { SortKey(column, ascending: false) }

    public var description: String {
        "\(column) \(ascending ? "ASC" : "DESC")\(nullsFirst ? " NULLS FIRST" : "")"
    }
}

/// Compares rows across batches on bound sort keys: strings by UTF-8 bytes, numbers by value.
struct RowComparator: Sendable {
    let indices: [Int]
    let keys: [SortKey]

    init(keys: [SortKey], schema: Schema) throws(SluiceError) {
        var indices: [Int] = []
        for key in keys {
            let index = try schema.requireIndex(of: key.column, in: "sort input")
            if case .list = schema[index].type { throw SluiceError.plan("cannot sort by list column '\(key.column)'") }
            indices.append(index)
        }
        self.indices = indices
        self.keys = keys
    }

    /// Negative when row `i` of `a` sorts before row `j` of `b`.
    @inline(__always)
    func compare(_ a: RecordBatch, _ i: Int, _ b: RecordBatch, _ j: Int) -> Int {
        for (position, index) in indices.enumerated() {
            let key = keys[position]
            let left = a.columns[index], right = b.columns[index]
            let leftNull = left.isNull(i), rightNull = right.isNull(j)
            if leftNull || rightNull {
                if leftNull && rightNull { continue }
                return leftNull == key.nullsFirst ? -1 : 1
            }
            let order = Self.compareValues(left, i, right, j)
            if order != 0 { return key.ascending ? order : -order }
        }
        return 0
    }

    @inline(__always)
    static func compareValues(_ left: Column, _ i: Int, _ right: Column, _ j: Int) -> Int {
        switch (left.storage, right.storage) {
        case (.int64(let x), .int64(let y)): return x[i] < y[j] ? -1 : (x[i] == y[j] ? 0 : 1)
        case (.int32(let x), .int32(let y)): return x[i] < y[j] ? -1 : (x[i] == y[j] ? 0 : 1)
        case (.float64(let x), .float64(let y)): return x[i] < y[j] ? -1 : (x[i] == y[j] ? 0 : 1)
        case (.bool(let x), .bool(let y)): return x[i] == y[j] ? 0 : (x[i] ? 1 : -1)
        case (.string(let x), .string(let y)):
            return x.withBytes(at: i) { a in y.withBytes(at: j) { b in Kernels.compareBytes(a, b) } }
        default: return 0
        }
    }
}

/// Order-preserving 64-bit prefixes of a sort's first key, so sorts and merges compare two
/// integers for most pairs of rows and the full ``RowComparator`` only where prefixes tie
/// (DuckDB's normalized keys, cut to one word).
///
/// Integers and dates map exactly (sign bit flipped); a string maps to its first 8 bytes
/// big-endian, zero-padded, which orders like the bytes whenever two prefixes differ.
/// Descending keys are inverted, so a smaller prefix always sorts first.
struct SortPrefix {
    /// True when equal prefixes mean equal keys (integers), so a tie needs no comparator
    /// when the sort has this one key.
    let exact: Bool
    private let ascending: Bool

    /// Nil when the first key's type has no prefix here (floats, booleans): rows compare whole.
    init?(comparator: RowComparator, schema: Schema) {
        guard let index = comparator.indices.first else { return nil }
        switch ColumnStorage.empty(for: schema[index].type) {
        case .int64, .int32: exact = comparator.indices.count == 1
        case .string: exact = false
        default: return nil
        }
        ascending = comparator.keys[0].ascending
    }

    /// Row `row`'s prefix, or nil for a null (nulls compare whole).
    @inline(__always)
    func prefix(_ column: Column, _ row: Int) -> UInt64? {
        if column.isNull(row) { return nil }
        let key: UInt64
        switch column.storage {
        case .int64(let values): key = UInt64(bitPattern: values[row]) ^ (1 << 63)
        case .int32(let values): key = UInt64(bitPattern: Int64(values[row])) ^ (1 << 63)
        // Big-endian, so the word orders like the bytes.
        case .string(let storage): key = storage.withBytes(at: row) { ByteWord.prefix($0).byteSwapped }
        default: return nil
        }
        return ascending ? key : ~key
    }

    /// The order of two rows by their prefixes (smaller first), with `tie` for equal exact
    /// prefixes; nil when the rows themselves must be compared (equal prefixes that are not
    /// exact).
    @inline(__always)
    func before(_ left: UInt64, _ right: UInt64, tie: @autoclosure () -> Bool) -> Bool? {
        if left != right { return left < right }
        return exact ? tie() : nil
    }
}
