import SluiceCore

/// (group, value) pairs for distinct-value aggregates, kept as two flat arrays.
///
/// Appending is a pair of stores, with no hashing per row; duplicates are removed by an
/// occasional compaction (a counting sort by group, then a sort and unique inside each
/// group), triggered when the arrays have doubled since the last one. After `compact()` the
/// pairs are grouped, sorted by key within a group, and unique.
struct GroupedValues {
    private(set) var groups: [Int32] = []
    private(set) var keys: [UInt64] = []
    private var compactedCount = 0
    private(set) var groupCount = 0

    /// Makes room for `additional` more pairs, growing by a quarter at a time rather than
    /// doubling: a doubling array briefly holds three times its contents while it copies,
    /// which is memory the budget never sees.
    mutating func reserve(additional: Int) {
        let needed = keys.count + additional
        guard needed > keys.capacity else { return }
        let target = max(needed, keys.count + keys.count / 4, 1_024)
        groups.reserveCapacity(target)
        keys.reserveCapacity(target)
    }

    /// Appends up to `count` pairs written by `fill` straight into the arrays (it returns how
    /// many it wrote): a batch's pairs without a uniqueness check and a bounds test per row.
    mutating func append(upTo count: Int, _ fill: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UInt64>) -> Int) {
        reserve(additional: count)
        let start = keys.count
        groups.append(contentsOf: repeatElement(0, count: count))
        keys.append(contentsOf: repeatElement(0, count: count))
        var written = 0
        groups.withUnsafeMutableBufferPointer { groups in
            keys.withUnsafeMutableBufferPointer { keys in
                guard let groupBase = groups.baseAddress, let keyBase = keys.baseAddress else { return }
                written = min(count, fill(groupBase + start, keyBase + start))
            }
        }
        groups.removeLast(count - written)
        keys.removeLast(count - written)
    }

    @inline(__always)
    mutating func append(group: Int32, key: UInt64) {
        groups.append(group)
        keys.append(key)
    }

    /// Compacts when the pairs have grown `compactionFactor` times since the last compaction
    /// and by `compactionBase` more: compacting earlier costs more than the duplicates it
    /// removes. A compaction that keeps over three quarters of its pairs doubles the factor,
    /// so input whose values rarely repeat is sorted once, at the end, not again and again;
    /// the pairs stay within the aggregate's reservation either way (past it, the map side
    /// hands its groups on).
    mutating func maybeCompact(groupCount: Int) {
        guard keys.count > compactionFactor * compactedCount + compactionBase else { return }
        let before = keys.count
        compact(groupCount: groupCount)
        if keys.count * 4 > before * 3 { compactionFactor = min(compactionFactor * 2, 64) }
    }

    /// Pairs (12 bytes each) held before the first compaction. At 4M, a map task of 5M
    /// purchases whose days barely repeat (the 20M benchmark file) compacted twice and the
    /// first removed almost nothing; at 8M the map side's compaction fell from 5.0 % to 4.2 %
    /// of a profile's samples.
    static let defaultCompactionBase = 8 << 20
    private let compactionBase: Int
    private(set) var compactionFactor = 2

    init(compactionBase: Int = Self.defaultCompactionBase) {
        self.compactionBase = compactionBase
    }

    /// Groups, sorts and de-duplicates; returns each group's `offsets` range into `keys`.
    @discardableResult
    mutating func compact(groupCount: Int) -> [Int32] {
        self.groupCount = max(self.groupCount, groupCount)
        let totalGroups = self.groupCount
        var offsets = [Int32](repeating: 0, count: totalGroups + 1)
        var sorted = [UInt64](repeating: 0, count: keys.count)
        var cursor = [Int32](repeating: 0, count: totalGroups + 1)
        keys.withUnsafeBufferPointer { keys in
            groups.withUnsafeBufferPointer { groups in
                offsets.withUnsafeMutableBufferPointer { offsets in
                    cursor.withUnsafeMutableBufferPointer { cursor in
                        sorted.withUnsafeMutableBufferPointer { sorted in
                            // A counting sort by group: counts, their running sums, then one
                            // scatter.
                            for group in groups { offsets[Int(group) + 1] &+= 1 }
                            for index in 0..<totalGroups { offsets[index + 1] &+= offsets[index] }
                            for index in 0...totalGroups { cursor[index] = offsets[index] }
                            for index in 0..<keys.count {
                                let group = Int(groups[index])
                                sorted[Int(cursor[group])] = keys[index]
                                cursor[group] &+= 1
                            }
                        }
                    }
                }
            }
        }
        // The unique pairs are written back over the old arrays (never past what has been
        // read), so compaction needs one extra array of keys, not three.
        var written = 0
        var newOffsets = cursor
        var bitmap: [UInt64] = []
        groups.withUnsafeMutableBufferPointer { groups in
            keys.withUnsafeMutableBufferPointer { keys in
                sorted.withUnsafeMutableBufferPointer { buffer in
                    offsets.withUnsafeBufferPointer { offsets in
                        newOffsets.withUnsafeMutableBufferPointer { newOffsets in
                            guard let base = buffer.baseAddress else {
                                for group in 0...totalGroups { newOffsets[group] = 0 }
                                return
                            }
                            newOffsets[0] = 0
                            for group in 0..<totalGroups {
                                let start = Int(offsets[group]), end = Int(offsets[group + 1])
                                if end - start > Self.denseMinimum,
                                   let unique = Self.uniqueDense(base + start, count: end - start, bitmap: &bitmap) {
                                    // Sorted and unique in place already: move it down.
                                    for index in 0..<unique {
                                        groups[written] = Int32(truncatingIfNeeded: group)
                                        keys[written] = buffer[start + index]
                                        written += 1
                                    }
                                    newOffsets[group + 1] = Int32(truncatingIfNeeded: written)
                                    continue
                                }
                                if end - start > 1 { Self.sortSegment(base + start, count: end - start) }
                                var index = start
                                while index < end {
                                    let value = buffer[index]
                                    groups[written] = Int32(truncatingIfNeeded: group)
                                    keys[written] = value
                                    written += 1
                                    index += 1
                                    while index < end, buffer[index] == value { index += 1 }
                                }
                                newOffsets[group + 1] = Int32(truncatingIfNeeded: written)
                            }
                        }
                    }
                }
            }
        }
        groups.removeLast(groups.count - written)
        keys.removeLast(keys.count - written)
        compactedCount = keys.count
        return newOffsets
    }

    /// Groups with more values than this try ``uniqueDense(_:count:bitmap:)`` first.
    static let denseMinimum = 48

    /// Sorts and de-duplicates `count` words in place through a bitmap of their range when
    /// the range is at most 16 times the count (days of one customer: hundreds of values
    /// within a few years); returns how many unique values lead the buffer, or nil (nothing
    /// changed) when the range is too wide. O(count + range) instead of a comparison sort.
    static func uniqueDense(_ base: UnsafeMutablePointer<UInt64>, count: Int, bitmap: inout [UInt64]) -> Int? {
        var low = base[0], high = base[0]
        for index in 1..<count {
            let value = base[index]
            if value < low { low = value }
            if value > high { high = value }
        }
        let range = high &- low
        guard range < UInt64(count) * 16 else { return nil }
        let words = Int(range / 64) + 1
        if bitmap.count < words { bitmap = [UInt64](repeating: 0, count: words) }
        return bitmap.withUnsafeMutableBufferPointer { bits in
            for index in 0..<count {
                let offset = Int(base[index] &- low)
                bits[offset >> 6] |= 1 << UInt64(offset & 63)
            }
            var unique = 0
            for word in 0..<words {
                var bitsLeft = bits[word]
                bits[word] = 0
                while bitsLeft != 0 {
                    let bit = bitsLeft.trailingZeroBitCount
                    base[unique] = low &+ UInt64(word * 64 + bit)
                    unique += 1
                    bitsLeft &= bitsLeft &- 1
                }
            }
            return unique
        }
    }

    /// Sorts `count` words in place: insertion sort for short runs (most groups hold a few
    /// values), else a quicksort on the median of three that recurses into the smaller side.
    /// Not the standard library's sort, whose generic, stable merge sort allocates a buffer
    /// and took a tenth of a run over day sets.
    static func sortSegment(_ base: UnsafeMutablePointer<UInt64>, count: Int) {
        var low = 0, high = count
        while high - low > 16 {
            let middle = low + (high - low) / 2
            // Median of three into base[low], then partition around it (Hoare).
            if base[middle] < base[low] { swap(base, middle, low) }
            if base[high - 1] < base[low] { swap(base, high - 1, low) }
            if base[high - 1] < base[middle] { swap(base, high - 1, middle) }
            let pivot = base[middle]
            var left = low, right = high - 1
            while left <= right {
                while base[left] < pivot { left += 1 }
                while base[right] > pivot { right -= 1 }
                if left <= right {
                    swap(base, left, right)
                    left += 1
                    right -= 1
                }
            }
            // [low, right] ≤ pivot ≤ [left, high): recurse into the smaller, loop on the larger.
            if right - low < high - left {
                sortSegment(base + low, count: right + 1 - low)
                low = left
            } else {
                sortSegment(base + left, count: high - left)
                high = right + 1
            }
        }
        guard high - low > 1 else { return }
        for index in (low + 1)..<high {
            let value = base[index]
            var position = index
            while position > low, base[position - 1] > value {
                base[position] = base[position - 1]
                position -= 1
            }
            base[position] = value
        }
    }

    @inline(__always)
    private static func swap(_ base: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int) {
        let value = base[a]
        base[a] = base[b]
        base[b] = value
    }

    var byteSize: Int { groups.capacity * 4 + keys.capacity * 8 }
}
