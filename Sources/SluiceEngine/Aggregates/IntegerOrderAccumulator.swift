import SluiceCore

/// argMax / argMin when every ordering column is stored as integers (integers, decimals,
/// times, dates): the winners' orderings live in one flat array, `k` per group, and each row
/// is compared against them straight from the batch's arrays. This is the de-duplication
/// shape `argMax(column, by: [time, file, line])`, repeated for every kept column, where the
/// generic ``ArgExtremeAccumulator`` spent most of its time retaining the columns it compared.
/// Same answers: the first ordering column that differs decides, rows with a null ordering
/// column take no part, ties go to the smallest value.
///
/// It may keep several values of the winning row (``SharedOrdering``: argMax calls over one
/// ordering), the inputs then being `[v1, …, vn, ordering…]`; a tie of the ordering goes to
/// the row whose values are smallest, compared in order (nulls last).
final class IntegerOrderAccumulator: GroupsAccumulator {
    // Touched for every row: no dynamic exclusivity checks (an accumulator belongs to one
    // task, and no access here overlaps another).
    @exclusivity(unchecked) var values: [ValueSlots]
    let types: [DataType]
    let isMax: Bool
    /// The winner's ordering of each group, `types.count` values per group.
    @exclusivity(unchecked) private var orderings: [Int64] = []
    @exclusivity(unchecked) private var present: [Bool] = []

    /// True for the types whose values are stored as integers, in their order.
    static func orders(_ type: DataType) -> Bool {
        switch ColumnStorage.empty(for: type) {
        case .int64, .int32: true
        default: false
        }
    }

    init(values: [ValueSlots], ordering: [DataType], isMax: Bool) {
        self.values = values
        types = ordering
        self.isMax = isMax
    }

    /// The batch's ordering values row by row (`k` per row), and whether any is null.
    private func rows(_ keys: ArraySlice<Column>, count: Int) throws(SluiceError) -> (values: [Int64], nullable: Bool) {
        let k = types.count
        var flat = [Int64](repeating: 0, count: count * k)
        var nullable = false
        for (index, key) in keys.enumerated() {
            nullable = nullable || key.nullCount > 0
            switch key.storage {
            case .int64(let values): for row in 0..<count { flat[row * k + index] = values[row] }
            case .int32(let values): for row in 0..<count { flat[row * k + index] = Int64(values[row]) }
            default: throw SluiceError.internal("argMax ordering column \(index) is \(key.type), not stored as integers")
            }
        }
        return (flat, nullable)
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        for index in values.indices { values[index].resize(to: groupCount) }
        let k = types.count
        if present.count < groupCount {
            orderings.append(contentsOf: repeatElement(0, count: (groupCount - present.count) * k))
            present.append(contentsOf: repeatElement(false, count: groupCount - present.count))
        }
        let kept = Array(inputs[0..<values.count]), keys = inputs.dropFirst(values.count)
        let (incoming, nullable) = try rows(keys, count: groups.count)
        incoming.withUnsafeBufferPointer { incoming in
            orderings.withUnsafeMutableBufferPointer { stored in
                rows: for row in 0..<groups.count {
                    if nullable { for key in keys where key.isNull(row) { continue rows } }
                    let group = Int(groups[row]), mine = row * k, theirs = group * k
                    var wins = !present[group]
                    if !wins {
                        var order = 0
                        for index in 0..<k where incoming[mine + index] != stored[theirs + index] {
                            order = incoming[mine + index] < stored[theirs + index] ? -1 : 1
                            break
                        }
                        if isMax ? order > 0 : order < 0 {
                            wins = true
                        } else if order == 0 {
                            wins = winsTie(kept, row, group: group)
                        }
                    }
                    guard wins else { continue }
                    present[group] = true
                    for index in 0..<k { stored[theirs + index] = incoming[mine + index] }
                    for index in values.indices { values[index].take(group, from: kept[index], row) }
                }
            }
        }
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        try update(states, groups: groups, groupCount: groupCount)
    }

    func state() throws(SluiceError) -> [Column] {
        let k = types.count
        let validity: ValidityBitmap? = present.allSatisfy { $0 } ? nil : ValidityBitmap(present)
        let columns = types.enumerated().map { index, type -> Column in
            let values = (0..<present.count).map { orderings[$0 * k + index] }
            if case .int32 = ColumnStorage.empty(for: type) {
                return Column(type: type, storage: .int32(values.map { Int32(truncatingIfNeeded: $0) }), validity: validity)
            }
            return Column(type: type, storage: .int64(values), validity: validity)
        }
        return values.map { $0.column() } + columns
    }

    /// The tie rule over the kept values: the first that differs decides, the smaller (or the
    /// non-null) one winning; with one value, ``ValueSlots/winsTie(_:_:group:)``.
    @inline(__always)
    private func winsTie(_ kept: [Column], _ row: Int, group: Int) -> Bool {
        guard values.count > 1 else { return values[0].winsTie(kept[0], row, group: group) }
        for index in values.indices {
            let rowNull = kept[index].isNull(row), groupNull = !values[index].present[group]
            if rowNull && groupNull { continue }
            if rowNull || groupNull { return groupNull }
            let order = values[index].compare(kept[index], row, toGroup: group)
            if order != 0 { return order < 0 }
        }
        return false
    }

    func finish() throws(SluiceError) -> Column { values[0].column() }
    /// The `index`-th kept value of every group (0: the call's own).
    func column(_ index: Int) -> Column { values[index].column() }
    var byteSize: Int { values.reduce(orderings.count * 8 + present.count) { $0 + $1.byteSize } }
}
