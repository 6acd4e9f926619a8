/// Maps byte strings to dense ids (0, 1, 2, …) with an open-addressing table over one byte
/// arena: each distinct string is stored once, and lookups never allocate.
///
/// Used where a string must become a fixed-width key: long group keys, distinct-value sets.
public struct StringInterner: Sendable {
    private var slots: [Int32]
    private var mask: Int
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var arena: [UInt8] = []

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// The number of distinct strings.
    public var count: Int { starts.count }

    /// The id of `bytes`, adding it if new.
    /// - Complexity: O(length) expected.
    public mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let hash = Hash64.bytes(UnsafeRawBufferPointer(bytes))
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let id = Int(slots[slot])
            if id < 0 { break }
            if hashes[id] == hash, Int(lengths[id]) == bytes.count, equals(id, bytes) {
                return UInt32(id)
            }
            slot = (slot + 1) & mask
        }
        let id = starts.count
        slots[slot] = Int32(id)
        hashes.append(hash)
        starts.append(arena.count)
        lengths.append(Int32(bytes.count))
        arena.append(contentsOf: bytes)
        if starts.count * 2 > slots.count { grow() }
        return UInt32(id)
    }

    private func equals(_ id: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[id]
        return arena.withUnsafeBufferPointer { stored in
            guard let base = stored.baseAddress, let other = bytes.baseAddress else { return bytes.isEmpty }
            return memcmpEqual(base + start, other, bytes.count)
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for id in 0..<hashes.count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    /// Calls `body` with the bytes of string `id`.
    public func withBytes<R>(_ id: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = starts[Int(id)]
        let end = start + Int(lengths[Int(id)])
        return try arena.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Bytes held, for memory accounting.
    public var byteSize: Int { slots.count * 4 + hashes.count * 20 + arena.count }
}

/// Byte equality of two regions of `count` bytes.
@inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var index = 0
    while index + 8 <= count {
        if UnsafeRawPointer(a + index).loadUnaligned(as: UInt64.self)
            != UnsafeRawPointer(b + index).loadUnaligned(as: UInt64.self) { return false }
        index += 8
    }
    while index < count {
        if a[index] != b[index] { return false }
        index += 1
    }
    return true
}
