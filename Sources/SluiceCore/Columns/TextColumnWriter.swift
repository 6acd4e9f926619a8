/// Builds a text column row by row in memory its owner allocates once and reuses for every
/// batch, then copies it out as a ``Column``.
///
/// A ``ColumnBuilder`` appends to two arrays, so each value pays two uniqueness checks, a
/// generic `append(contentsOf:)` and a `memmove` call; for the 7-byte ids of a CSV file that
/// was most of the cost of reading the field. Here a value is a capacity test and a copy of
/// a few words through raw pointers, and the batch is copied out once at the end.
///
/// It holds raw memory and is copyable, so it has one owner: writers are made together by
/// ``allocate(rows:)`` and freed together by ``deallocate(_:)`` (a scan's split reader keeps
/// one per column and frees them in its `deinit`); a copy must not outlive or be used beside
/// its original. A batch holds at most ``maxBytes`` bytes of text per column (its offsets are
/// 32-bit, as Arrow's are): an append past that writes nothing and returns false.
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
    @usableFromInline let byteLimit: Int
    /// The capacities it was made with, which it returns to after a batch far larger.
    private let initialRows: Int
    private let initialBytes: Int

    /// Room for `rows` values of `bytesPerRow` bytes before the first growth (owners make
    /// writers through ``allocate(rows:)``).
    init(rows: Int, bytesPerRow: Int = 16, maxBytes: Int = Self.maxBytes) {
        rowCapacity = max(16, rows)
        byteCapacity = max(256, rowCapacity * bytesPerRow)
        initialRows = rowCapacity
        initialBytes = byteCapacity
        byteLimit = maxBytes
        offsets = .allocate(capacity: rowCapacity + 1)
        offsets.initialize(to: 0)
        bytes = .allocate(capacity: byteCapacity)
    }

    /// Bytes of text one column of one batch may hold: the largest 32-bit offset.
    public static let maxBytes = Int(Int32.max)

    /// One writer per entry of `rows` (the rows each is sized for; 0 for a column that never
    /// takes text), in memory the caller frees with ``deallocate(_:)``. `maxBytes` lowers
    /// the text a batch's column may hold (for tests); it is never above ``maxBytes``.
    public static func allocate(rows: [Int], maxBytes: Int = Self.maxBytes) -> UnsafeMutableBufferPointer<TextColumnWriter> {
        let writers = UnsafeMutableBufferPointer<TextColumnWriter>.allocate(capacity: rows.count)
        for (index, count) in rows.enumerated() {
            writers.initializeElement(at: index, to: TextColumnWriter(rows: count, maxBytes: min(maxBytes, Self.maxBytes)))
        }
        return writers
    }

    /// Frees writers made by ``allocate(rows:)``: their memory, then the writers themselves.
    public static func deallocate(_ writers: UnsafeMutableBufferPointer<TextColumnWriter>) {
        for index in writers.indices {
            writers[index].offsets.deallocate()
            writers[index].bytes.deallocate()
        }
        if let base = writers.baseAddress { base.deinitialize(count: writers.count) }
        writers.deallocate()
    }

    /// Appends one value's UTF-8 bytes; false, with nothing written, when the column's
    /// text would pass ``maxBytes`` (or the lower limit it was made with).
    @inlinable @inline(__always)
    public mutating func append(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = value.count
        guard length <= byteLimit - written else { return false }
        if rowCount == rowCapacity { growRows() }
        if written + length > byteCapacity { growBytes(toHold: written + length) }
        if length > 0, let source = value.baseAddress {
            Self.copy(source, to: bytes + written, count: length)
        }
        written += length
        rowCount += 1
        offsets[rowCount] = Int32(truncatingIfNeeded: written)
        return true
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
        // No bytes (every value empty or null) is `[]`: an array made with capacity 0 is the
        // runtime's shared empty storage, and setting its count writes to it from every thread.
        let byteArray = byteCount == 0 ? [] : [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            if let target = buffer.baseAddress { target.initialize(from: bytes, count: byteCount) }
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
        // A long-lived writer (a JSON decoder's, across a scan's documents) must not keep one
        // huge document's memory: past 4× its first size and 16 MB, it shrinks back.
        if byteCapacity > max(4 * initialBytes, 16 << 20) {
            bytes.deallocate()
            bytes = .allocate(capacity: initialBytes)
            byteCapacity = initialBytes
        }
        if rowCapacity > max(4 * initialRows, 4 << 20) {
            offsets.deallocate()
            offsets = .allocate(capacity: initialRows + 1)
            offsets.initialize(to: 0)
            rowCapacity = initialRows
        }
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
