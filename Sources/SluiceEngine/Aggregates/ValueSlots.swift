import SluiceCore

/// One optional value per group, of any scalar type, with comparison against a column row.
/// The storage behind min, max and argMax.
///
/// Fixed-width values live in one array; strings live in an append-only arena that is
/// compacted when more than half of it is garbage, so replacing a group's value never
/// allocates per row.
struct ValueSlots {
    let type: DataType
    private var ints: [Int64] = []
    private var doubles: [Double] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var arena: [UInt8] = []
    private var liveBytes = 0
    private(set) var present: [Bool] = []

    init(type: DataType) {
        self.type = type
    }

    private var isString: Bool { type == .string }
    private var isFloat: Bool { type == .float64 }

    mutating func resize(to groupCount: Int) {
        let extra = groupCount - present.count
        guard extra > 0 else { return }
        present.append(contentsOf: repeatElement(false, count: extra))
        if isString {
            starts.append(contentsOf: repeatElement(0, count: extra))
            lengths.append(contentsOf: repeatElement(0, count: extra))
        } else if isFloat {
            doubles.append(contentsOf: repeatElement(0, count: extra))
        } else {
            ints.append(contentsOf: repeatElement(0, count: extra))
        }
    }

    /// Orders row `row` of `column` against the group's value: negative when the row is
    /// smaller. The group must be present and the row non-null.
    @inline(__always)
    func compare(_ column: Column, _ row: Int, toGroup group: Int) -> Int {
        switch column.storage {
        case .int64(let values): return values[row] < ints[group] ? -1 : (values[row] == ints[group] ? 0 : 1)
        case .int32(let values):
            let value = Int64(values[row])
            return value < ints[group] ? -1 : (value == ints[group] ? 0 : 1)
        case .float64(let values): return values[row] < doubles[group] ? -1 : (values[row] == doubles[group] ? 0 : 1)
        case .bool(let values):
            let value: Int64 = values[row] ? 1 : 0
            return value < ints[group] ? -1 : (value == ints[group] ? 0 : 1)
        case .string(let storage):
            let start = starts[group], length = Int(lengths[group])
            return storage.withBytes(at: row) { incoming in
                arena.withUnsafeBufferPointer { arenaBuffer in
                    Kernels.compareBytes(incoming, UnsafeBufferPointer(rebasing: arenaBuffer[start..<start + length]))
                }
            }
        case .list:
            return 0
        }
    }

    /// argMax's tie rule: on an equal ordering, a non-null row takes the group from a null or
    /// a greater value, so the smallest value wins whatever order the rows arrive in.
    @inline(__always)
    func winsTie(_ column: Column, _ row: Int, group: Int) -> Bool {
        !column.isNull(row) && (!present[group] || compare(column, row, toGroup: group) < 0)
    }

    /// Makes row `row` of `column` the group's value, or no value when it is null.
    @inline(__always)
    mutating func take(_ group: Int, from column: Column, _ row: Int) {
        if column.isNull(row) { clear(group) } else { set(group, from: column, row) }
    }

    /// Stores row `row` of `column` (non-null) as the group's value.
    @inline(__always)
    mutating func set(_ group: Int, from column: Column, _ row: Int) {
        present[group] = true
        switch column.storage {
        case .int64(let values): ints[group] = values[row]
        case .int32(let values): ints[group] = Int64(values[row])
        case .float64(let values): doubles[group] = values[row]
        case .bool(let values): ints[group] = values[row] ? 1 : 0
        case .string(let storage):
            liveBytes -= Int(lengths[group])
            let length = storage.length(at: row)
            starts[group] = arena.count
            lengths[group] = Int32(length)
            storage.withBytes(at: row) { arena.append(contentsOf: $0) }
            liveBytes += length
            if arena.count > 1 << 16, liveBytes * 2 < arena.count { compact() }
        case .list:
            break
        }
    }

    /// Marks a group as holding no value (a null won on the other column of argMax).
    mutating func clear(_ group: Int) {
        present[group] = false
    }

    private mutating func compact() {
        var fresh: [UInt8] = []
        fresh.reserveCapacity(liveBytes)
        for group in 0..<present.count where present[group] {
            let start = starts[group]
            starts[group] = fresh.count
            fresh.append(contentsOf: arena[start..<start + Int(lengths[group])])
        }
        arena = fresh
    }

    /// The values as a column, null where a group never saw a value.
    func column() -> Column {
        let validity: ValidityBitmap? = present.allSatisfy { $0 } ? nil : ValidityBitmap(present)
        switch ColumnStorage.empty(for: type) {
        case .int64: return Column(type: type, storage: .int64(ints), validity: validity)
        case .int32: return Column(type: type, storage: .int32(ints.map { Int32(truncatingIfNeeded: $0) }), validity: validity)
        case .float64: return Column(type: type, storage: .float64(doubles), validity: validity)
        case .bool: return Column(type: type, storage: .bool(ints.map { $0 != 0 }), validity: validity)
        case .string:
            var storage = StringStorage()
            storage.offsets.reserveCapacity(present.count + 1)
            for group in 0..<present.count {
                let start = starts[group]
                storage.bytes.append(contentsOf: arena[start..<start + Int(lengths[group])])
                storage.offsets.append(Int32(truncatingIfNeeded: storage.bytes.count))
            }
            return Column(type: type, storage: .string(storage), validity: validity)
        case .list:
            return Column(empty: type)
        }
    }

    var byteSize: Int {
        present.count + ints.count * 8 + doubles.count * 8 + starts.count * 12 + arena.count
    }
}
