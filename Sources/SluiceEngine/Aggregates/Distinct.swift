import SluiceCore

/// The aggregates built on a set of distinct values per group: `countDistinct`,
/// `collectSet` and `longestConsecutiveDays`. Their partial state is the set itself, as a
/// sorted `list<T>` column; merging is a union, so they are exact whatever the partitioning.
struct DistinctFunction: AggregateFunction {
    enum Mode: Sendable { case count, collect, longestRun }
    let mode: Mode
    /// A set is the same set whatever the order its values came in.
    var ignoresInputOrder: Bool { true }

    var name: String {
        switch mode {
        case .count: "countDistinct"
        case .collect: "collectSet"
        case .longestRun: "longestConsecutiveDays"
        }
    }

    /// The element type: the argument's type, or the element type of a list argument.
    private func elementType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        guard inputs.count == 1 else { throw SluiceError.plan("\(name) takes one argument") }
        var element = inputs[0]
        if case .list(let inner) = element { element = inner }
        if case .list = element { throw SluiceError.plan("\(name) does not take nested lists") }
        if mode == .longestRun, element != .date {
            throw SluiceError.plan("longestConsecutiveDays needs dates or lists of dates, got \(inputs[0])",
                                   hint: "parse the column with parseDate first")
        }
        return element
    }

    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        let element = try elementType(inputs)
        return mode == .collect ? .list(element) : .int64
    }

    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] { [.list(try elementType(inputs))] }

    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        DistinctAccumulator(element: try elementType(inputs), mode: mode)
    }
}

final class DistinctAccumulator: GroupsAccumulator {
    let element: DataType
    let mode: DistinctFunction.Mode
    // Touched for every row: no dynamic exclusivity checks (no access here overlaps another).
    @exclusivity(unchecked) var pairs = GroupedValues()
    @exclusivity(unchecked) var interner = StringInterner()
    @exclusivity(unchecked) var groupCount = 0

    init(element: DataType, mode: DistinctFunction.Mode) {
        self.element = element
        self.mode = mode
    }

    /// A pair per row at most: the pairs' arrays are made once instead of growing a quarter
    /// at a time (each growth a copy of every pair so far).
    func reserve(groups: Int, rows: Int) { pairs.reserve(additional: rows) }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        self.groupCount = max(self.groupCount, groupCount)
        let column = inputs[0]
        if case .list(let offsets, _) = column.storage, let last = offsets.last, let first = offsets.first {
            pairs.reserve(additional: Int(last - first))
        } else {
            pairs.reserve(additional: groups.count)
        }
        if case .list(let offsets, let values) = column.storage, case .int32(let days) = values.storage,
           column.nullCount == 0, values.nullCount == 0, let first = offsets.first, let last = offsets.last {
            // Sets of dates being merged: every element, with its row's group.
            offsets.withUnsafeBufferPointer { offsets in
                days.withUnsafeBufferPointer { days in
                    groups.withUnsafeBufferPointer { groupOf in
                        pairs.append(upTo: Int(last - first)) { outGroups, outKeys in
                            var written = 0
                            for row in 0..<groupOf.count {
                                let group = groupOf[row]
                                for index in Int(offsets[row])..<Int(offsets[row + 1]) {
                                    outGroups[written] = group
                                    outKeys[written] = Self.dateKey(days[index])
                                    written += 1
                                }
                            }
                            return written
                        }
                    }
                }
            }
        } else if case .list(let offsets, let values) = column.storage {
            for row in 0..<groups.count where !column.isNull(row) {
                for index in Int(offsets[row])..<Int(offsets[row + 1]) where !values.isNull(index) {
                    pairs.append(group: groups[row], key: key(values, index))
                }
            }
        } else if case .int32(let days) = column.storage, column.nullCount == 0 {
            days.withUnsafeBufferPointer { days in
                groups.withUnsafeBufferPointer { groupOf in
                    pairs.append(upTo: groupOf.count) { outGroups, outKeys in
                        for row in 0..<groupOf.count {
                            outGroups[row] = groupOf[row]
                            outKeys[row] = Self.dateKey(days[row])
                        }
                        return groupOf.count
                    }
                }
            }
        } else if case .int32(let days) = column.storage {
            for row in 0..<groups.count where !column.isNull(row) {
                pairs.append(group: groups[row], key: Self.dateKey(days[row]))
            }
        } else {
            for row in 0..<groups.count where !column.isNull(row) {
                pairs.append(group: groups[row], key: key(column, row))
            }
        }
        pairs.maybeCompact(groupCount: self.groupCount)
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        try update(states, groups: groups, groupCount: groupCount)
    }

    /// A date's (or 32-bit integer's) order-preserving key.
    @inline(__always)
    static func dateKey(_ day: Int32) -> UInt64 { UInt64(bitPattern: Int64(day)) ^ (1 << 63) }

    /// An order-preserving fixed-width key for row `row` (strings: an interned id).
    @inline(__always)
    private func key(_ column: Column, _ row: Int) -> UInt64 {
        switch column.storage {
        case .int64(let values): return UInt64(bitPattern: values[row]) ^ (1 << 63)
        case .int32(let values): return UInt64(bitPattern: Int64(values[row])) ^ (1 << 63)
        case .bool(let values): return values[row] ? 1 : 0
        case .float64(let values):
            let value = values[row] == 0 ? 0 : (values[row].isNaN ? Double.nan : values[row])
            let bits = value.bitPattern
            return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        case .string(let storage): return UInt64(storage.withBytes(at: row) { interner.intern($0) })
        case .list: return 0
        }
    }

    private func decode(_ key: UInt64, into builder: inout ColumnBuilder) {
        switch element {
        case .int64, .decimal, .timestamp: builder.append(int64: Int64(bitPattern: key ^ (1 << 63)))
        case .date: builder.append(date: Int32(truncatingIfNeeded: Int64(bitPattern: key ^ (1 << 63))))
        case .bool: builder.append(bool: key != 0)
        case .float64:
            let bits = key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key
            builder.append(float64: Double(bitPattern: bits))
        case .string: interner.withBytes(UInt32(truncatingIfNeeded: key)) { builder.append(bytes: $0) }
        case .list: builder.appendNull()
        }
    }

    /// The sorted, unique values of every group as a list column.
    private func setsColumn() -> Column {
        let offsets = pairs.compact(groupCount: groupCount)
        if element == .date {
            // Dates back from their keys in one pass, with no builder per value.
            let days = pairs.keys.map { Int32(truncatingIfNeeded: Int64(bitPattern: $0 ^ (1 << 63))) }
            return Column(type: .list(element), storage: .list(offsets: offsets, values: Column(type: .date, storage: .int32(days))))
        }
        var values = ColumnBuilder(type: element, capacity: pairs.keys.count)
        var keys = pairs.keys
        if element == .string {
            // Interned ids are in arrival order; sort each group's strings by their bytes.
            for group in 0..<groupCount {
                let start = Int(offsets[group]), end = Int(offsets[group + 1])
                guard end - start > 1 else { continue }
                keys[start..<end].sort { a, b in
                    interner.withBytes(UInt32(a)) { x in interner.withBytes(UInt32(b)) { y in Kernels.compareBytes(x, y) < 0 } }
                }
            }
        }
        for key in keys { decode(key, into: &values) }
        return Column(type: .list(element), storage: .list(offsets: offsets, values: values.finish()))
    }

    func state() throws(SluiceError) -> [Column] { [setsColumn()] }

    /// A one-row set is the value itself, or empty for a null: a list column over the
    /// argument's own values, with no sorting or de-duplication. A list argument (sets being
    /// merged) takes the folding path, which sorts and de-duplicates it.
    func singleRowStates(_ inputs: [Column], rows: Int) throws(SluiceError) -> [Column]? {
        guard inputs.count == 1, inputs[0].count == rows else { return nil }
        let column = inputs[0]
        if case .list = column.storage { return nil }
        var offsets = [Int32](repeating: 0, count: rows + 1)
        var values = column
        if column.nullCount == 0 {
            offsets.withUnsafeMutableBufferPointer { out in
                for row in 0..<rows { out[row + 1] = Int32(truncatingIfNeeded: row + 1) }
            }
        } else {
            var kept: [Int32] = []
            kept.reserveCapacity(rows - column.nullCount)
            for row in 0..<rows {
                if !column.isNull(row) { kept.append(Int32(truncatingIfNeeded: row)) }
                offsets[row + 1] = Int32(truncatingIfNeeded: kept.count)
            }
            values = column.take(kept)
        }
        return [Column(type: .list(element), storage: .list(offsets: offsets, values: values))]
    }

    func finish() throws(SluiceError) -> Column {
        switch mode {
        case .collect:
            return setsColumn()
        case .count:
            let offsets = pairs.compact(groupCount: groupCount)
            return .int64((0..<groupCount).map { Int64(offsets[$0 + 1] - offsets[$0]) })
        case .longestRun:
            let offsets = pairs.compact(groupCount: groupCount)
            let keys = pairs.keys
            var runs = [Int64](repeating: 0, count: groupCount)
            for group in 0..<groupCount {
                let start = Int(offsets[group]), end = Int(offsets[group + 1])
                guard end > start else { continue }
                var best: Int64 = 1, current: Int64 = 1
                for index in (start + 1)..<max(start + 1, end) {
                    current = keys[index] == keys[index - 1] &+ 1 ? current + 1 : 1
                    best = max(best, current)
                }
                runs[group] = best
            }
            return .int64(runs)
        }
    }

    var byteSize: Int { pairs.byteSize + interner.byteSize }
}
