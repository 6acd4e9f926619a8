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

    /// Compacts when the pairs have doubled since the last compaction and passed a few
    /// million (compacting earlier costs more than the duplicates it removes).
    mutating func maybeCompact(groupCount: Int) {
        if keys.count > 2 * compactedCount + (4 << 20) { compact(groupCount: groupCount) }
    }

    /// Groups, sorts and de-duplicates; returns each group's `offsets` range into `keys`.
    @discardableResult
    mutating func compact(groupCount: Int) -> [Int32] {
        self.groupCount = max(self.groupCount, groupCount)
        let totalGroups = self.groupCount
        var offsets = [Int32](repeating: 0, count: totalGroups + 1)
        for group in groups { offsets[Int(group) + 1] += 1 }
        for index in 0..<totalGroups { offsets[index + 1] += offsets[index] }
        var sorted = [UInt64](repeating: 0, count: keys.count)
        var cursor = offsets
        keys.withUnsafeBufferPointer { keys in
            groups.withUnsafeBufferPointer { groups in
                sorted.withUnsafeMutableBufferPointer { sorted in
                    for index in 0..<keys.count {
                        let group = Int(groups[index])
                        sorted[Int(cursor[group])] = keys[index]
                        cursor[group] += 1
                    }
                }
            }
        }
        // The unique pairs are written back over the old arrays (never past what has been
        // read), so compaction needs one extra array of keys, not three.
        var written = 0
        var newOffsets = [Int32](repeating: 0, count: totalGroups + 1)
        groups.withUnsafeMutableBufferPointer { groups in
            keys.withUnsafeMutableBufferPointer { keys in
                sorted.withUnsafeMutableBufferPointer { buffer in
                    for group in 0..<totalGroups {
                        let start = Int(offsets[group]), end = Int(offsets[group + 1])
                        if end - start > 1 { Self.sortSegment(buffer, start, end) }
                        var previous: UInt64? = nil
                        for index in start..<end where buffer[index] != previous {
                            groups[written] = Int32(group)
                            keys[written] = buffer[index]
                            written += 1
                            previous = buffer[index]
                        }
                        newOffsets[group + 1] = Int32(written)
                    }
                }
            }
        }
        groups.removeLast(groups.count - written)
        keys.removeLast(keys.count - written)
        compactedCount = keys.count
        return newOffsets
    }

    private static func sortSegment(_ buffer: UnsafeMutableBufferPointer<UInt64>, _ start: Int, _ end: Int) {
        if end - start <= 16 {
            for index in (start + 1)..<end {
                let value = buffer[index]
                var position = index
                while position > start, buffer[position - 1] > value {
                    buffer[position] = buffer[position - 1]
                    position -= 1
                }
                buffer[position] = value
            }
        } else {
            buffer[start..<end].sort()
        }
    }

    var byteSize: Int { groups.capacity * 4 + keys.capacity * 8 }
}
