import SluiceCore

/// Group keys kept as rows: an open-addressing table of (hash, group) pairs, and the key
/// columns of each group in group order, taken from the batch that first held it.
///
/// For keys of several strings (the six fields of a log line, folded to find exact copies)
/// the fixed-width encoding of ``GroupKeyEncoder`` costs a dozen words per key, an interner
/// probe per long string, and a decoding pass at the end. Here a slot is 16 bytes, a probe
/// compares one full 64-bit hash, and the key's values are compared only when the hashes
/// agree — for a distinct over unique rows, almost never — so the table stays small and a
/// probe is usually one cache miss. The keys themselves are a `take` of each batch's new
/// groups, already columns when the groups are emitted. (DuckDB's aggregate hash table holds
/// its keys as rows for the same reason.)
struct RowGroupKeys {
    let types: [DataType]
    /// Pairs of words: the key's hash, then its group + 1 (zero: an empty slot).
    private var slots: [UInt64]
    private var capacity: Int
    private(set) var groupCount = 0
    /// Each group's hash, to rehash without touching the keys.
    private var groupHashes: [UInt64] = []
    /// The key columns of the groups, one chunk per batch that added groups.
    private var chunks: [[Column]] = []
    /// The first group of each chunk, and the chunk of each group.
    private var chunkStarts: [Int] = []
    private var groupChunk: [UInt32] = []
    private var chunkBytes = 0
    private var hashes: [UInt64] = []
    private var newRows: [Int32] = []

    init(types: [DataType], capacity: Int = 256) {
        self.types = types
        let size = GroupTable.slotCount(forGroups: capacity)
        self.capacity = size
        slots = Array(repeating: 0, count: size * 2)
    }

    /// True for keys this layout pays off for and can compare exactly: at least two strings,
    /// and otherwise integers, decimals, dates, timestamps and bools (floats need the
    /// encoder's canonical zero and NaN; lists cannot be keys).
    static func suits(_ types: [DataType]) -> Bool {
        var strings = 0
        for type in types {
            switch type {
            case .string: strings += 1
            case .int64, .decimal, .timestamp, .date, .bool: continue
            default: return false
            }
        }
        return strings >= 2
    }

    /// The same layout, with no groups.
    func emptied() -> RowGroupKeys { RowGroupKeys(types: types) }

    /// The group index of each of `rows` keys, adding new groups in order of first appearance.
    mutating func groupIndices(_ keys: [Column], rows: Int, into indices: inout [Int32]) {
        indices.removeAll(keepingCapacity: true)
        indices.reserveCapacity(rows)
        hashes.removeAll(keepingCapacity: true)
        hashes.append(contentsOf: repeatElement(0, count: rows))
        for column in keys { column.combineHashes(into: &hashes) }
        newRows.removeAll(keepingCapacity: true)
        let first = groupCount
        var row = 0
        while row < rows {
            if (groupCount + 1) * 4 > capacity * 3 { grow() }
            let mask = capacity - 1, limit = capacity * 3 / 4
            var groups = groupCount
            hashes.withUnsafeBufferPointer { hashes in
                slots.withUnsafeMutableBufferPointer { table in
                    probing: while row < rows {
                        // Remixed: a shuffle partition's rows share the bits its bucket came from.
                        let hash = Hash64.mix(hashes[row] ^ 0x5851_f42d_4c95_7f2d)
                        var slot = Int(truncatingIfNeeded: hash) & mask
                        while true {
                            let meta = table[slot * 2 + 1]
                            if meta == 0 {
                                if groups + 1 > limit { break probing }
                                table[slot * 2] = hash
                                table[slot * 2 + 1] = UInt64(groups + 1)
                                groupHashes.append(hash)
                                newRows.append(Int32(truncatingIfNeeded: row))
                                indices.append(Int32(truncatingIfNeeded: groups))
                                groups += 1
                                break
                            }
                            if table[slot * 2] == hash {
                                let group = Int(meta) - 1
                                if Self.matches(keys, row: row, group: group, firstNew: first, newRows: newRows,
                                                chunks: chunks, chunkStarts: chunkStarts, groupChunk: groupChunk) {
                                    indices.append(Int32(truncatingIfNeeded: group))
                                    break
                                }
                            }
                            slot = (slot + 1) & mask
                        }
                        row += 1
                    }
                }
            }
            groupCount = groups
        }
        guard !newRows.isEmpty else { return }
        let chunk = keys.map { $0.take(newRows) }
        chunkBytes += chunk.reduce(0) { $0 + $1.byteSize }
        groupChunk.append(contentsOf: repeatElement(UInt32(chunks.count), count: newRows.count))
        chunkStarts.append(first)
        chunks.append(chunk)
    }

    /// Whether row `row` of `keys` equals group `group`'s key: a group added by this batch is
    /// still a row of it (`firstNew` is the batch's first new group, `newRows` their rows).
    private static func matches(
        _ keys: [Column], row: Int, group: Int, firstNew: Int, newRows: [Int32],
        chunks: [[Column]], chunkStarts: [Int], groupChunk: [UInt32]
    ) -> Bool {
        if group >= firstNew {
            let other = Int(newRows[group - firstNew])
            return keys.allSatisfy { equal($0, row, $0, other) }
        }
        let chunk = Int(groupChunk[group])
        let other = group - chunkStarts[chunk]
        for (column, stored) in zip(keys, chunks[chunk]) where !equal(column, row, stored, other) { return false }
        return true
    }

    /// Value equality as grouping sees it: nulls equal each other and nothing else.
    static func equal(_ a: Column, _ i: Int, _ b: Column, _ j: Int) -> Bool {
        let aNull = a.isNull(i), bNull = b.isNull(j)
        if aNull || bNull { return aNull == bNull }
        switch (a.storage, b.storage) {
        case (.int64(let x), .int64(let y)): return x[i] == y[j]
        case (.int32(let x), .int32(let y)): return x[i] == y[j]
        case (.bool(let x), .bool(let y)): return x[i] == y[j]
        case (.string(let x), .string(let y)):
            let xStart = Int(x.offsets[i]), xEnd = Int(x.offsets[i + 1])
            let yStart = Int(y.offsets[j]), yEnd = Int(y.offsets[j + 1])
            guard xEnd - xStart == yEnd - yStart else { return false }
            return x.bytes.withUnsafeBufferPointer { xb in
                y.bytes.withUnsafeBufferPointer { yb in xb[xStart..<xEnd].elementsEqual(yb[yStart..<yEnd]) }
            }
        default: return false
        }
    }

    private mutating func grow() {
        capacity *= 2
        slots = Array(repeating: 0, count: capacity * 2)
        let mask = capacity - 1
        slots.withUnsafeMutableBufferPointer { table in
            for (group, hash) in groupHashes.enumerated() {
                var slot = Int(truncatingIfNeeded: hash) & mask
                while table[slot * 2 + 1] != 0 { slot = (slot + 1) & mask }
                table[slot * 2] = hash
                table[slot * 2 + 1] = UInt64(group + 1)
            }
        }
    }

    /// The key columns in the pieces they were taken in, each with its first group: emitting
    /// them piece by piece saves concatenating millions of keys only to cut them up again.
    func keyChunks() -> [(firstGroup: Int, columns: [Column])] {
        Array(zip(chunkStarts, chunks))
    }

    /// The key columns of every group, in group order.
    func keyColumns() -> [Column] {
        types.indices.map { position in
            chunks.count == 1 ? chunks[0][position] : Column.concat(chunks.map { $0[position] }, type: types[position])
        }
    }

    /// Bytes held, for the memory budget.
    var byteSize: Int { slots.count * 8 + groupHashes.capacity * 8 + groupChunk.capacity * 4 + chunkBytes }

    /// The extra bytes taking `keys` (`rows` rows) could need, all of them new groups: a
    /// doubled slot array beside the old one, and the rows' key values.
    func growthBytes(forNewRows rows: Int, keys: [Column]) -> Int {
        var size = capacity
        while (groupCount + rows) * 4 > size * 3 { size *= 2 }
        let slotsGrowth = size == capacity ? 0 : size * 16
        return slotsGrowth + rows * 12 + keys.reduce(0) { $0 + $1.byteSize }
    }
}
