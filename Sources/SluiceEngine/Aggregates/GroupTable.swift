import SluiceCore

/// An open-addressing hash table from fixed-width keys (see ``GroupKeyEncoder``) to dense
/// group indices 0, 1, 2, … in order of first appearance.
///
/// Linear probing over a power-of-two slot array that holds group indices; the keys and
/// their hashes are stored once per group, so growing the table re-inserts indices only.
struct GroupTable {
    let width: Int
    private var slots: [Int32]
    private var mask: Int
    private(set) var keys: [UInt64] = []
    private var hashes: [UInt64] = []
    private(set) var groupCount = 0

    init(width: Int, capacity: Int = 4096) {
        self.width = width
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// The group index of each of `rows` keys (row-major words), adding new groups.
    /// - Complexity: O(rows) expected.
    mutating func groupIndices(_ words: [UInt64], rows: Int, into indices: inout [Int32]) {
        indices.removeAll(keepingCapacity: true)
        indices.reserveCapacity(rows)
        let width = self.width
        words.withUnsafeBufferPointer { words in
            for row in 0..<rows {
                let base = row * width
                var hash: UInt64
                if width == 0 {
                    hash = 0
                } else {
                    hash = Hash64.mix(words[base])
                    for position in 1..<max(1, width) { hash = Hash64.combine(hash, words[base + position]) }
                }
                indices.append(findOrInsert(words, base, hash))
            }
        }
    }

    /// The group index of each of `rows` keys, or -1 for keys not in the table; never inserts.
    func lookup(_ words: [UInt64], rows: Int, into indices: inout [Int32]) {
        indices.removeAll(keepingCapacity: true)
        indices.reserveCapacity(rows)
        let width = self.width
        words.withUnsafeBufferPointer { words in
            for row in 0..<rows {
                let base = row * width
                var hash: UInt64 = 0
                if width > 0 {
                    hash = Hash64.mix(words[base])
                    for position in 1..<max(1, width) { hash = Hash64.combine(hash, words[base + position]) }
                }
                var slot = Int(truncatingIfNeeded: hash >> 7) & mask
                var found: Int32 = -1
                while true {
                    let group = slots[slot]
                    if group < 0 { break }
                    if hashes[Int(group)] == hash, matches(Int(group), words, base) {
                        found = group
                        break
                    }
                    slot = (slot + 1) & mask
                }
                indices.append(found)
            }
        }
    }

    @inline(__always)
    private mutating func findOrInsert(_ words: UnsafeBufferPointer<UInt64>, _ base: Int, _ hash: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while true {
            let group = slots[slot]
            if group < 0 { break }
            if hashes[Int(group)] == hash, matches(Int(group), words, base) { return group }
            slot = (slot + 1) & mask
        }
        let group = Int32(groupCount)
        slots[slot] = group
        hashes.append(hash)
        for position in 0..<width { keys.append(words[base + position]) }
        groupCount += 1
        if groupCount * 2 > slots.count { grow() }
        return group
    }

    @inline(__always)
    private func matches(_ group: Int, _ words: UnsafeBufferPointer<UInt64>, _ base: Int) -> Bool {
        let start = group * width
        for position in 0..<width where keys[start + position] != words[base + position] { return false }
        return true
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for group in 0..<groupCount {
            var slot = Int(truncatingIfNeeded: hashes[group] >> 7) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(group)
        }
    }

    /// Bytes held, for the memory budget.
    var byteSize: Int { slots.count * 4 + keys.capacity * 8 + hashes.capacity * 8 }
}
