/// One bit per row, set when the row holds a value and clear when it is null.
///
/// A column with no nulls carries no bitmap at all (`Column.validity == nil`), so the common
/// case costs nothing.
public struct ValidityBitmap: Sendable, Hashable {
    /// The bits, 64 rows a word, least significant bit first.
    public var words: [UInt64] { storage }
    /// The number of rows.
    public var count: Int { length }
    @usableFromInline var storage: [UInt64]
    @usableFromInline var length: Int

    /// A bitmap of `count` rows, all valid or all null.
    public init(count: Int, allValid: Bool) {
        length = count
        let wordCount = (count + 63) >> 6
        storage = Array(repeating: allValid ? ~0 : 0, count: wordCount)
        if allValid { clearTail() }
    }

    /// A bitmap from raw words (64 rows each); the row count is the words' capacity until
    /// truncated.
    public init(words: [UInt64]) {
        storage = words
        length = words.count * 64
    }

    /// A bitmap from booleans (true = valid).
    public init<S: Sequence>(_ valid: S) where S.Element == Bool {
        storage = []
        length = 0
        for bit in valid { append(bit) }
    }

    @inlinable
    public func isValid(_ index: Int) -> Bool {
        storage[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    @inlinable
    public mutating func set(_ index: Int, valid: Bool) {
        if valid {
            storage[index >> 6] |= 1 << UInt64(index & 63)
        } else {
            storage[index >> 6] &= ~(1 << UInt64(index & 63))
        }
    }

    @inlinable
    public mutating func append(_ valid: Bool) {
        if length & 63 == 0 { storage.append(0) }
        if valid { storage[length >> 6] |= 1 << UInt64(length & 63) }
        length += 1
    }

    /// Drops the rows from `newCount` on.
    public mutating func truncate(to newCount: Int) {
        guard newCount < length else { return }
        length = newCount
        storage.removeLast(storage.count - (newCount + 63) / 64)
        clearTail()
    }

    /// The number of null rows.
    public var nullCount: Int {
        count - words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    private mutating func clearTail() {
        let used = count & 63
        if used != 0, !storage.isEmpty { storage[storage.count - 1] &= (1 << UInt64(used)) - 1 }
    }
}

extension ValidityBitmap {
    /// The bits at `indices`, in that order, written a word at a time.
    public func gather(_ indices: [Int32]) -> ValidityBitmap {
        var words = [UInt64](repeating: 0, count: (indices.count + 63) >> 6)
        storage.withUnsafeBufferPointer { source in
            words.withUnsafeMutableBufferPointer { target in
                for (position, index) in indices.enumerated() {
                    let row = Int(index)
                    let bit = (source[row >> 6] >> UInt64(row & 63)) & 1
                    target[position >> 6] |= bit << UInt64(position & 63)
                }
            }
        }
        var bitmap = ValidityBitmap(words: words)
        bitmap.truncate(to: indices.count)
        return bitmap
    }

    /// The bits of rows `range`.
    public func slice(_ range: Range<Int>) -> ValidityBitmap {
        var words = [UInt64](repeating: 0, count: (range.count + 63) >> 6)
        storage.withUnsafeBufferPointer { source in
            words.withUnsafeMutableBufferPointer { target in
                for position in 0..<range.count {
                    let row = range.lowerBound + position
                    let bit = (source[row >> 6] >> UInt64(row & 63)) & 1
                    target[position >> 6] |= bit << UInt64(position & 63)
                }
            }
        }
        var bitmap = ValidityBitmap(words: words)
        bitmap.truncate(to: range.count)
        return bitmap
    }
}
