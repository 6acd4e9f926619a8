import SluiceCore

/// `min` and `max` over any ordered scalar type (strings by UTF-8 byte order).
struct MinMaxFunction: AggregateFunction {
    let isMax: Bool
    var name: String { isMax ? "max" : "min" }
    var ignoresInputOrder: Bool { true }

    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        guard inputs.count == 1 else { throw SluiceError.plan("\(name) takes one argument") }
        if case .list = inputs[0] { throw SluiceError.plan("\(name) does not order lists") }
        return inputs[0]
    }

    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] { [try returnType(inputs)] }

    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        MinMaxAccumulator(slots: ValueSlots(type: try returnType(inputs)), isMax: isMax)
    }
}

final class MinMaxAccumulator: GroupsAccumulator {
    var slots: ValueSlots
    let isMax: Bool

    init(slots: ValueSlots, isMax: Bool) {
        self.slots = slots
        self.isMax = isMax
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        slots.resize(to: groupCount)
        let column = inputs[0]
        for row in 0..<groups.count where !column.isNull(row) {
            let group = Int(groups[row])
            if !slots.present[group] {
                slots.set(group, from: column, row)
                continue
            }
            let order = slots.compare(column, row, toGroup: group)
            if isMax ? order > 0 : order < 0 { slots.set(group, from: column, row) }
        }
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        try update(states, groups: groups, groupCount: groupCount)
    }

    func state() throws(SluiceError) -> [Column] { [slots.column()] }
    func finish() throws(SluiceError) -> Column { slots.column() }
    var byteSize: Int { slots.byteSize }
}

/// `argMax(value, by…)` / `argMin(value, by…)`: the value on the row whose ordering columns
/// are greatest (least), compared in order (the first that differs decides, like Spark's
/// `max_by` over a struct). Rows with a null ordering column take no part; ties go to the
/// smallest value (nulls last), so the answer never depends on the order rows arrive in.
struct ArgExtremeFunction: AggregateFunction {
    let isMax: Bool
    var name: String { isMax ? "argMax" : "argMin" }
    var ignoresInputOrder: Bool { true }

    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        guard inputs.count >= 2 else { throw SluiceError.plan("\(name) takes (value, by…)") }
        for type in inputs { if case .list = type { throw SluiceError.plan("\(name) does not order lists") } }
        return inputs[0]
    }

    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] {
        _ = try returnType(inputs)
        return inputs
    }

    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        _ = try returnType(inputs)
        let ordering = Array(inputs.dropFirst())
        if ordering.allSatisfy(IntegerOrderAccumulator.orders) {
            return IntegerOrderAccumulator(values: [ValueSlots(type: inputs[0])], ordering: ordering, isMax: isMax)
        }
        return ArgExtremeAccumulator(value: ValueSlots(type: inputs[0]), by: ordering.map { ValueSlots(type: $0) }, isMax: isMax)
    }
}

final class ArgExtremeAccumulator: GroupsAccumulator {
    var value: ValueSlots
    /// The ordering columns' values of each group's winner, compared in order.
    var by: [ValueSlots]
    let isMax: Bool

    init(value: ValueSlots, by: [ValueSlots], isMax: Bool) {
        self.value = value
        self.by = by
        self.isMax = isMax
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        value.resize(to: groupCount)
        for index in by.indices { by[index].resize(to: groupCount) }
        let values = inputs[0], keys = Array(inputs.dropFirst())
        rows: for row in 0..<groups.count {
            for key in keys where key.isNull(row) { continue rows }
            let group = Int(groups[row])
            var wins = !by[0].present[group]
            if !wins {
                var order = 0
                for index in by.indices {
                    order = by[index].compare(keys[index], row, toGroup: group)
                    if order != 0 { break }
                }
                if isMax ? order > 0 : order < 0 {
                    wins = true
                } else if order == 0 {
                    wins = value.winsTie(values, row, group: group)
                }
            }
            guard wins else { continue }
            for index in by.indices { by[index].set(group, from: keys[index], row) }
            value.take(group, from: values, row)
        }
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        try update(states, groups: groups, groupCount: groupCount)
    }

    func state() throws(SluiceError) -> [Column] { [value.column()] + by.map { $0.column() } }
    func finish() throws(SluiceError) -> Column { value.column() }
    var byteSize: Int { by.reduce(value.byteSize) { $0 + $1.byteSize } }
}
