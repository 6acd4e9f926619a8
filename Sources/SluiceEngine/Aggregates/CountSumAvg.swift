import SluiceCore

/// `count(*)` and `count(expr)`.
struct CountFunction: AggregateFunction {
    let star: Bool
    var name: String { "count" }
    var ignoresInputOrder: Bool { true }
    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType { .int64 }
    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] { [.int64] }
    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        CountAccumulator(star: star || inputs.isEmpty)
    }
}

final class CountAccumulator: GroupsAccumulator {
    let star: Bool
    var counts: [Int64] = []

    init(star: Bool) { self.star = star }

    private func grow(_ groupCount: Int) {
        if counts.count < groupCount { counts.append(contentsOf: repeatElement(0, count: groupCount - counts.count)) }
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        grow(groupCount)
        counts.withUnsafeMutableBufferPointer { counts in
            if star || inputs[0].validity == nil {
                for group in groups { counts[Int(group)] &+= 1 }
            } else {
                for row in 0..<groups.count where !inputs[0].isNull(row) { counts[Int(groups[row])] &+= 1 }
            }
        }
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        grow(groupCount)
        guard case .int64(let partial) = states[0].storage else { throw SluiceError.internal("count state is \(states[0].type)") }
        for row in 0..<groups.count { counts[Int(groups[row])] &+= partial[row] }
    }

    func state() throws(SluiceError) -> [Column] { [.int64(counts)] }
    func finish() throws(SluiceError) -> Column { .int64(counts) }
    var byteSize: Int { counts.count * 8 }
}

/// `avg(expr)`: float64 for int64 and float64 input; for decimals, a decimal of the same
/// scale rounded half away from zero, so averages of money stay exact to the cent.
struct AvgFunction: AggregateFunction {
    var name: String { "avg" }
    // A float average, like a float sum, already depends on the shuffle's arrival order.
    var ignoresInputOrder: Bool { true }

    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        guard inputs.count == 1, inputs[0].isNumeric else { throw SluiceError.plan("avg needs one numeric argument") }
        if case .decimal(_, let scale) = inputs[0] { return .decimal(precision: 18, scale: scale) }
        return .float64
    }

    /// The sum's state (128-bit for integers and decimals), then the count.
    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] {
        try SumFunction().stateTypes(inputs) + [.int64]
    }

    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        AvgAccumulator(sum: SumAccumulator(type: try SumFunction().returnType(inputs)), result: try returnType(inputs))
    }
}

final class AvgAccumulator: GroupsAccumulator {
    let sum: SumAccumulator
    let count = CountAccumulator(star: false)
    let result: DataType

    init(sum: SumAccumulator, result: DataType) {
        self.sum = sum
        self.result = result
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        try sum.update(inputs, groups: groups, groupCount: groupCount)
        try count.update(inputs, groups: groups, groupCount: groupCount)
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        let sumStates = sum.stateCount
        try sum.merge(Array(states[0..<sumStates]), groups: groups, groupCount: groupCount)
        try count.merge([states[sumStates]], groups: groups, groupCount: groupCount)
    }

    func state() throws(SluiceError) -> [Column] { try sum.state() + [try count.finish()] }

    /// The mean from the exact (128-bit) total, so it is right even when the total itself
    /// would not fit 64 bits; a mean of 64-bit values always does.
    func finish() throws(SluiceError) -> Column {
        let counts = count.counts
        var builder = ColumnBuilder(type: result, capacity: counts.count)
        for group in 0..<counts.count {
            guard counts[group] > 0, group < sum.seen.count, sum.seen[group] else {
                builder.appendNull()
                continue
            }
            if sum.type == .float64 {
                builder.append(float64: sum.doubles[group] / Double(counts[group]))
                continue
            }
            let total = sum.total(group), n = Int128(counts[group])
            if case .decimal = result {
                var quotient = total / n
                if (total % n).magnitude * 2 >= n.magnitude { quotient += total < 0 ? -1 : 1 }
                builder.append(int64: Int64(truncatingIfNeeded: quotient))
            } else {
                builder.append(float64: Double(total) / Double(counts[group]))
            }
        }
        return builder.finish()
    }

    var byteSize: Int { sum.byteSize + count.byteSize }
}
