import CSluiceHints
import SluiceCore

/// An open-addressing hash table from fixed-width keys (see ``GroupKeyEncoder``) to dense
/// group indices 0, 1, 2, … in order of first appearance.
///
/// Linear probing over one flat array of slots; a slot holds the key's words followed by a
/// meta word (the hash's high 32 bits and the group index + 1, zero when empty), so a probe
/// usually touches one cache line and compares keys only when the hash tag matches. Keys
/// are also kept in group order for decoding the output.
struct GroupTable {
    let width: Int
    private let stride: Int
    private var slots: [UInt64]
    private var capacity: Int
    private(set) var keys: [UInt64] = []
    private(set) var groupCount = 0
    private var hashes: [UInt64] = []

    init(width: Int, capacity: Int = 256) {
        self.width = width
        stride = width + 1
        let size = Self.slotCount(forGroups: capacity)
        self.capacity = size
        slots = Array(repeating: 0, count: size * stride)
    }

    @inline(__always)
    static func hash(_ words: UnsafeBufferPointer<UInt64>, _ base: Int, _ width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        var hash = Hash64.mix(words[base])
        var position = 1
        while position < width {
            hash = Hash64.combine(hash, words[base + position])
            position += 1
        }
        return hash
    }

    /// The group index of each of `rows` keys (row-major words), adding new groups.
    ///
    /// Hashes are computed in a first loop and probed in a second, so the probes of
    /// neighbouring rows (each usually one cache miss) can overlap. The table grows at three
    /// quarters full: linear probing stays short there, and the table stays small enough to
    /// share the cache with the rest of the task.
    /// - Complexity: O(rows) expected.
    mutating func groupIndices(_ words: [UInt64], rows: Int, into indices: inout [Int32]) {
        let width = self.width, stride = self.stride
        Self.resize(&indices, to: rows)
        Self.resize(&hashes, to: rows)
        words.withUnsafeBufferPointer { words in
            hashes.withUnsafeMutableBufferPointer { hashes in
                for row in 0..<rows { hashes[row] = Self.hash(words, row * width, width) }
            }
        }
        // New keys are written in place: room for every row to be new, cut back at the end,
        // so the loop makes no per-row append (each one a uniqueness check and a bounds test).
        let keyed = keys.count
        keys.append(contentsOf: repeatElement(0, count: rows * width))
        var keyEnd = keyed
        var row = 0
        while row < rows {
            if (groupCount + 1) * 4 > capacity * 3 { grow() }
            let mask = capacity - 1
            let limit = capacity * 3 / 4
            // A table past 32 MB misses even the last-level cache on most probes: fetch ahead. (At
            // a few MB the extra work cost more than it saved: 2M rows into 1M keys, 280 → 360 ms.)
            let prefetching = capacity * stride >= 1 << 22
            var groups = groupCount
            words.withUnsafeBufferPointer { words in
                hashes.withUnsafeBufferPointer { hashes in
                    indices.withUnsafeMutableBufferPointer { indices in
                        keys.withUnsafeMutableBufferPointer { keys in
                            slots.withUnsafeMutableBufferPointer { table in
                                probing: while row < rows {
                                    let base = row * width
                                    let hash = hashes[row]
                                    if prefetching, row + Self.prefetchDistance < rows, let slotBase = table.baseAddress {
                                        let ahead = Int(truncatingIfNeeded: hashes[row + Self.prefetchDistance]) & mask
                                        sluice_prefetch(slotBase + ahead * stride)
                                    }
                                    let (slot, found) = Self.probe(UnsafeBufferPointer(table), stride: stride, width: width, mask: mask, words, base, hash)
                                    if let found {
                                        indices[row] = found
                                    } else {
                                        if groups + 1 > limit { break probing }
                                        let entry = slot * stride
                                        for position in 0..<width {
                                            table[entry + position] = words[base + position]
                                            keys[keyEnd + position] = words[base + position]
                                        }
                                        keyEnd += width
                                        groups += 1
                                        table[entry + width] = (hash >> 32) << 32 | UInt64(groups)
                                        indices[row] = Int32(truncatingIfNeeded: groups - 1)
                                    }
                                    row += 1
                                }
                            }
                        }
                    }
                }
            }
            groupCount = groups
        }
        keys.removeLast(keys.count - keyEnd)
    }

    /// How many rows ahead a probe's slot is prefetched: enough to cover a memory access at
    /// a few nanoseconds a probe, few enough that the lines are still cached when reached.
    static let prefetchDistance = 16

    /// Sets `array` to `count` elements without shrinking its storage (values undefined).
    @inline(__always)
    private static func resize<T: FixedWidthInteger>(_ array: inout [T], to count: Int) {
        if array.count > count {
            array.removeLast(array.count - count)
        } else if array.count < count {
            array.append(contentsOf: repeatElement(0, count: count - array.count))
        }
    }

    /// Doubles the slots and re-inserts every group's key, walking the old slots in order: a
    /// key's new home slot is its old home slot or that plus the old capacity, and old slots
    /// are in home order but for short probe runs, so the new slots are written in two
    /// nearly sequential sweeps. (Re-inserting in group order wrote them at random: a fifth of
    /// the probing time on a table of a million groups.)
    private mutating func grow() {
        let oldCapacity = capacity
        capacity *= 2
        let old = slots
        slots = Array(repeating: 0, count: capacity * stride)
        let width = self.width, stride = self.stride, mask = capacity - 1
        old.withUnsafeBufferPointer { old in
            slots.withUnsafeMutableBufferPointer { table in
                for oldSlot in 0..<oldCapacity {
                    let entry = oldSlot * stride
                    let meta = old[entry + width]
                    guard meta != 0 else { continue }
                    let hash = Self.hash(old, entry, width)
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while table[slot * stride + width] != 0 { slot = (slot + 1) & mask }
                    for position in 0..<width { table[slot * stride + position] = old[entry + position] }
                    table[slot * stride + width] = meta
                }
            }
        }
    }

    /// The group index of each of `rows` keys, or -1 for keys not in the table; never inserts.
    func lookup(_ words: [UInt64], rows: Int, into indices: inout [Int32]) {
        indices.removeAll(keepingCapacity: true)
        indices.reserveCapacity(rows)
        let width = self.width, stride = self.stride, mask = capacity - 1
        words.withUnsafeBufferPointer { words in
            slots.withUnsafeBufferPointer { table in
                for row in 0..<rows {
                    let base = row * width
                    let (_, found) = Self.probe(table, stride: stride, width: width, mask: mask, words, base, Self.hash(words, base, width))
                    indices.append(found ?? -1)
                }
            }
        }
    }

    /// Linear probing for the key at `words[base...]`: its group when present, else the empty
    /// slot where it belongs. Slots hold the key words, then a meta word (hash tag in the high
    /// half, group + 1 in the low half; zero when empty), so keys are compared only when the
    /// tags agree.
    @inline(__always)
    static func probe(
        _ table: UnsafeBufferPointer<UInt64>, stride: Int, width: Int, mask: Int,
        _ words: UnsafeBufferPointer<UInt64>, _ base: Int, _ hash: UInt64
    ) -> (slot: Int, group: Int32?) {
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slot * stride
            let meta = table[entry + width]
            if meta == 0 { return (slot, nil) }
            if meta >> 32 == tag {
                var equal = true
                var position = 0
                while position < width {
                    if table[entry + position] != words[base + position] { equal = false; break }
                    position += 1
                }
                if equal { return (slot, Int32(truncatingIfNeeded: meta & 0xFFFF_FFFF) - 1) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The slots a table made for `groups` groups starts with: a power of two, at most half full.
    static func slotCount(forGroups groups: Int) -> Int {
        var size = 64
        while size < groups * 2 { size <<= 1 }
        return size
    }

    /// The bytes of the slot array a table made for `groups` groups starts with.
    static func slotBytes(forGroups groups: Int, width: Int) -> Int { slotCount(forGroups: groups) * (width + 1) * 8 }

    /// Bytes held, for the memory budget.
    var byteSize: Int { slots.count * 8 + keys.capacity * 8 }

    /// The extra bytes the table would allocate to take `newRows` more keys in the worst
    /// case (all new): while growing, the old and the new slot arrays live side by side.
    func growthBytes(forNewRows newRows: Int) -> Int {
        var size = capacity
        while (groupCount + newRows) * 4 > size * 3 { size *= 2 }
        let slotsGrowth = size == capacity ? 0 : size * stride * 8
        return slotsGrowth + newRows * width * 8
    }
}
