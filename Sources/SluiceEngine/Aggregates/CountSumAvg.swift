import SluiceCore

/// `count(*)` and `count(expr)`.
struct CountFunction: AggregateFunction {
    let star: Bool
    var name: String { "count" }
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

/// `sum(expr)`: exact for int64 and decimal (overflow is an error, never a wrong total),
/// IEEE for float64. Null when a group saw no values.
struct SumFunction: AggregateFunction {
    var name: String { "sum" }

    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        guard inputs.count == 1, inputs[0].isNumeric else {
            throw SluiceError.plan("sum needs one numeric argument, got \(inputs.map(\.description).joined(separator: ", "))")
        }
        if case .decimal(_, let scale) = inputs[0] { return .decimal(precision: 18, scale: scale) }
        return inputs[0]
    }

    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] { [try returnType(inputs)] }

    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        SumAccumulator(type: try returnType(inputs))
    }
}

final class SumAccumulator: GroupsAccumulator {
    let type: DataType
    var ints: [Int64] = []
    var doubles: [Double] = []
    var seen: [Bool] = []

    init(type: DataType) { self.type = type }

    private func grow(_ groupCount: Int) {
        let extra = groupCount - seen.count
        guard extra > 0 else { return }
        seen.append(contentsOf: repeatElement(false, count: extra))
        if type == .float64 { doubles.append(contentsOf: repeatElement(0, count: extra)) } else { ints.append(contentsOf: repeatElement(0, count: extra)) }
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        grow(groupCount)
        let column = inputs[0]
        switch column.storage {
        case .int64(let values):
            var overflowed = false
            ints.withUnsafeMutableBufferPointer { sums in
                seen.withUnsafeMutableBufferPointer { seen in
                    for row in 0..<groups.count where !column.isNull(row) {
                        let group = Int(groups[row])
                        let (total, overflow) = sums[group].addingReportingOverflow(values[row])
                        overflowed = overflowed || overflow
                        sums[group] = total
                        seen[group] = true
                    }
                }
            }
            if overflowed {
                throw SluiceError(.data, "sum overflows the 64-bit range of \(type)", hint: "cast the column to float64 before summing")
            }
        case .float64(let values):
            for row in 0..<groups.count where !column.isNull(row) {
                let group = Int(groups[row])
                doubles[group] += values[row]
                seen[group] = true
            }
        default:
            throw SluiceError.internal("sum over \(column.type)")
        }
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        try update(states, groups: groups, groupCount: groupCount)
    }

    func state() throws(SluiceError) -> [Column] { [try finish()] }

    func finish() throws(SluiceError) -> Column {
        let validity: ValidityBitmap? = seen.allSatisfy { $0 } ? nil : ValidityBitmap(seen)
        if type == .float64 { return Column(type: type, storage: .float64(doubles), validity: validity) }
        return Column(type: type, storage: .int64(ints), validity: validity)
    }

    var byteSize: Int { seen.count + ints.count * 8 + doubles.count * 8 }
}

/// `avg(expr)`: float64 for int64 and float64 input; for decimals, a decimal of the same
/// scale rounded half away from zero, so averages of money stay exact to the cent.
struct AvgFunction: AggregateFunction {
    var name: String { "avg" }

    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        guard inputs.count == 1, inputs[0].isNumeric else { throw SluiceError.plan("avg needs one numeric argument") }
        if case .decimal(_, let scale) = inputs[0] { return .decimal(precision: 18, scale: scale) }
        return .float64
    }

    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] {
        [try SumFunction().returnType(inputs), .int64]
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
        try sum.merge([states[0]], groups: groups, groupCount: groupCount)
        try count.merge([states[1]], groups: groups, groupCount: groupCount)
    }

    func state() throws(SluiceError) -> [Column] { [try sum.finish(), try count.finish()] }

    func finish() throws(SluiceError) -> Column {
        let totals = try sum.finish()
        let counts = count.counts
        var builder = ColumnBuilder(type: result, capacity: counts.count)
        for group in 0..<counts.count {
            guard counts[group] > 0, !totals.isNull(group) else {
                builder.appendNull()
                continue
            }
            switch totals.storage {
            case .float64(let values): builder.append(float64: values[group] / Double(counts[group]))
            case .int64(let values):
                if case .decimal = result {
                    let total = values[group], n = counts[group]
                    var quotient = total / n
                    if (total % n).magnitude * 2 >= n.magnitude { quotient += total < 0 ? -1 : 1 }
                    builder.append(int64: quotient)
                } else {
                    builder.append(float64: Double(values[group]) / Double(counts[group]))
                }
            default: builder.appendNull()
            }
        }
        return builder.finish()
    }

    var byteSize: Int { sum.byteSize + count.byteSize }
}
