/// Builds a text column row by row in memory its owner allocates once and reuses for every
/// batch, then copies it out as a ``Column``.
///
/// A ``ColumnBuilder`` appends to two arrays, so each value pays two uniqueness checks, a
/// generic `append(contentsOf:)` and a `memmove` call; for the 7-byte ids of a CSV file that
/// was most of the cost of reading the field. Here a value is a capacity test and a copy of
/// a few words through raw pointers, and the batch is copied out once at the end.
///
/// It holds raw memory and is copyable, so it has one owner, which calls ``release()``
/// exactly once (a scan's split reader keeps one per text column and frees them in its
/// `deinit`); a copy must not outlive or be used beside it.
public struct TextColumnWriter {
    @usableFromInline var bytes: UnsafeMutablePointer<UInt8>
    @usableFromInline var byteCapacity: Int
    /// `rows + 1` offsets, the first 0.
    @usableFromInline var offsets: UnsafeMutablePointer<Int32>
    @usableFromInline var rowCapacity: Int
    @usableFromInline var written = 0
    @usableFromInline var rowCount = 0
    /// Bytes written so far.
    public var byteCount: Int { written }
    /// Rows written so far.
    public var rows: Int { rowCount }
    /// The null rows, ascending (rare: an empty unquoted field).
    @usableFromInline var nulls: [Int32] = []

    /// Room for `rows` values of `bytesPerRow` bytes before the first growth.
    public init(rows: Int, bytesPerRow: Int = 16) {
        rowCapacity = max(16, rows)
        byteCapacity = max(256, rowCapacity * bytesPerRow)
        offsets = .allocate(capacity: rowCapacity + 1)
        offsets.initialize(to: 0)
        bytes = .allocate(capacity: byteCapacity)
    }

    /// Frees the memory; the writer must not be used afterwards.
    public func release() {
        offsets.deallocate()
        bytes.deallocate()
    }

    /// Appends one value's UTF-8 bytes.
    @inlinable @inline(__always)
    public mutating func append(_ value: UnsafeBufferPointer<UInt8>) {
        let length = value.count
        if rowCount == rowCapacity { growRows() }
        if written + length > byteCapacity { growBytes(toHold: written + length) }
        if length > 0, let source = value.baseAddress {
            Self.copy(source, to: bytes + written, count: length)
        }
        written += length
        rowCount += 1
        offsets[rowCount] = Int32(truncatingIfNeeded: written)
    }

    /// Appends a null (an empty slot).
    public mutating func appendNull() {
        if rowCount == rowCapacity { growRows() }
        nulls.append(Int32(truncatingIfNeeded: rowCount))
        rowCount += 1
        offsets[rowCount] = Int32(truncatingIfNeeded: written)
    }

    /// Drops the rows from `newRows` on (a row that turned out to be a reject).
    public mutating func truncate(to newRows: Int) {
        guard newRows < rowCount else { return }
        rowCount = max(0, newRows)
        written = Int(offsets[rowCount])
        while let last = nulls.last, Int(last) >= rowCount { nulls.removeLast() }
    }

    /// The rows written as a `string` column; the writer is then empty, with its memory kept.
    public mutating func finish() -> Column {
        let count = rowCount + 1
        let offsetArray = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let target = buffer.baseAddress { target.initialize(from: offsets, count: count) }
            initialized = count
        }
        let byteCount = written
        let byteArray = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            if byteCount > 0, let target = buffer.baseAddress { target.initialize(from: bytes, count: byteCount) }
            initialized = byteCount
        }
        var validity: ValidityBitmap?
        if !nulls.isEmpty {
            var bitmap = ValidityBitmap(count: rowCount, allValid: true)
            for row in nulls { bitmap.set(Int(row), valid: false) }
            validity = bitmap
        }
        rowCount = 0
        written = 0
        nulls.removeAll(keepingCapacity: true)
        return Column(type: .string, storage: .string(StringStorage(offsets: offsetArray, bytes: byteArray)), validity: validity)
    }

    /// Copies `count` bytes: short values as two overlapping word (or half-word) copies, so
    /// no call is made for an id; long ones through `memmove`.
    @inlinable @inline(__always)
    static func copy(_ source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        if count >= 8, count <= 16 {
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), toByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4, count < 8 {
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self), toByteOffset: count - 4, as: UInt32.self)
        } else if count < 4 {
            for index in 0..<count { target[index] = source[index] }
        } else {
            target.update(from: source, count: count)
        }
    }

    @usableFromInline mutating func growRows() {
        let grown = UnsafeMutablePointer<Int32>.allocate(capacity: rowCapacity * 2 + 1)
        grown.initialize(from: offsets, count: rowCount + 1)
        offsets.deallocate()
        offsets = grown
        rowCapacity *= 2
    }

    @usableFromInline mutating func growBytes(toHold needed: Int) {
        let capacity = max(needed, byteCapacity * 2)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        if written > 0 { grown.initialize(from: bytes, count: written) }
        bytes.deallocate()
        bytes = grown
        byteCapacity = capacity
    }
}
