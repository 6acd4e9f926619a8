/// Up to eight bytes packed into one word, for comparing short byte strings (keys, names,
/// sort prefixes) as integers.
public enum ByteWord {
    /// `bytes[start..<start + count]` (count at most 8) little-endian in a word, the rest zero:
    /// one unaligned load and a mask when 8 bytes can be read from `start`, else byte by byte
    /// (at the buffer's end).
    @inlinable @inline(__always)
    public static func pack(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, count: Int) -> UInt64 {
        if count > 0, start + 8 <= bytes.count, let base = bytes.baseAddress {
            let loaded = UInt64(littleEndian: UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self))
            return count >= 8 ? loaded : loaded & ((1 << UInt64(count * 8)) - 1)
        }
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for index in start..<start + count {
            word |= UInt64(bytes[index]) << shift
            shift += 8
        }
        return word
    }

    /// The first 8 bytes of `bytes` (fewer when shorter), little-endian, the rest zero.
    @inlinable @inline(__always)
    public static func prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        pack(bytes, from: 0, count: min(8, bytes.count))
    }

    /// The high bit of each byte of `word` that is zero, and no other bit. Exact per byte: the
    /// low seven bits are added apart from the high one, so no carry crosses into a neighbour.
    @inlinable @inline(__always)
    public static func zeroBytes(_ word: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((word & low7) &+ low7) | word | low7)
    }

    /// `byte` in every byte of a word, to compare eight bytes with it at once.
    @inlinable @inline(__always)
    public static func repeated(_ byte: UInt8) -> UInt64 { UInt64(byte) &* 0x0101_0101_0101_0101 }
}
