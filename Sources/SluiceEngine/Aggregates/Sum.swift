import SluiceCore

/// `sum(expr)`: exact for int64 and decimal, IEEE for float64; null when a group saw no values.
///
/// Integer and decimal sums never wrap and never stop halfway: each group adds up in 128
/// bits (a 64-bit word plus a count of 2⁶⁴ carries, like DuckDB's HUGEINT state for
/// `SUM(BIGINT)`), so values whose running total passes the 64-bit range on the way — and
/// comes back — still give the exact total. The partial state is two int64 columns (the word
/// and the carries), so what is shuffled, spilled and merged is the widened state too.
///
/// The result keeps the input's type (int64, or `decimal(18, scale)`): Sluice's columns hold
/// 64-bit values, and so do the CSV and PostgreSQL outputs (`bigint`, `numeric(18,s)`). A
/// group whose exact total does not fit is therefore a data error when the result is
/// produced, naming the group's keys and the exact total — never a wrong or clamped figure.
struct SumFunction: AggregateFunction {
    var name: String { "sum" }
    // Integers and decimals add exactly; a float sum already depends on the shuffle's
    // arrival order, which no sort below it fixes.
    var ignoresInputOrder: Bool { true }

    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType {
        guard inputs.count == 1, inputs[0].isNumeric else {
            throw SluiceError.plan("sum needs one numeric argument, got \(inputs.map(\.description).joined(separator: ", "))")
        }
        if case .decimal(_, let scale) = inputs[0] { return .decimal(precision: 18, scale: scale) }
        return inputs[0]
    }

    /// `[result type, int64 carries]` for int64 and decimal input, `[float64]` for floats.
    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] {
        let type = try returnType(inputs)
        return type == .float64 ? [type] : [type, .int64]
    }

    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        SumAccumulator(type: try returnType(inputs))
    }
}

/// An accumulator whose exact result for a group may not fit its output type; the hash
/// aggregate asks before finishing, so the error names the group's keys.
protocol RangeCheckedAccumulator: GroupsAccumulator {
    /// The first group whose exact result does not fit the output type, with that result as text.
    func firstOutOfRange() -> (group: Int, value: String)?
}

final class SumAccumulator: RangeCheckedAccumulator {
    let type: DataType
    /// Per group: the total modulo 2⁶⁴, as a signed word (the exact total when no carry).
    var ints: [Int64] = []
    /// Per group: the exact total is `carries[g] · 2⁶⁴ + ints[g]`. Empty until an addition
    /// first overflows, so sums that stay in range pay nothing for it.
    var carries: [Int64] = []
    var doubles: [Double] = []
    var seen: [Bool] = []
    /// True while every group has had a value: then a batch with no nulls marks only its new
    /// groups, not each row's. A batch with nulls may leave groups unseen, so once one comes
    /// every later batch marks its rows.
    private var everySeen = true

    init(type: DataType) { self.type = type }

    /// The number of state columns: the word and the carries, or the float.
    var stateCount: Int { type == .float64 ? 1 : 2 }

    /// Adds the groups new since the last call. `seen`: whether they have a value already,
    /// true when the batch that made them has no nulls (each new group came from one of its
    /// rows), so the per-row loop need not mark them (see ``everySeen``).
    private func grow(_ groupCount: Int, seen newSeen: Bool = false) {
        let extra = groupCount - seen.count
        guard extra > 0 else { return }
        seen.append(contentsOf: repeatElement(newSeen, count: extra))
        if type == .float64 {
            doubles.append(contentsOf: repeatElement(0, count: extra))
        } else {
            ints.append(contentsOf: repeatElement(0, count: extra))
            if !carries.isEmpty { carries.append(contentsOf: repeatElement(0, count: extra)) }
        }
    }

    func reserve(groups: Int, rows: Int) {
        seen.reserveCapacity(groups)
        if type == .float64 { doubles.reserveCapacity(groups) } else { ints.reserveCapacity(groups) }
    }

    /// Adds `carry` units of 2⁶⁴ to group `group` (cold path: only when a word overflows).
    private func addCarry(_ carry: Int64, to group: Int) {
        if carries.isEmpty { carries = [Int64](repeating: 0, count: ints.count) }
        carries[group] &+= carry
    }

    /// Folds the non-null `values` of groups up to `groupCount` into their groups' words;
    /// overflowing additions carry. While ``everySeen`` holds and there are no nulls, the
    /// groups the rows touch are all marked seen already: one random write a row fewer.
    private func addWords(_ values: [Int64], validity: ValidityBitmap?, groups: [Int32], groupCount: Int) {
        // No rows (a global aggregate over nothing) makes a group with no value.
        let marked = everySeen && validity == nil && !groups.isEmpty
        grow(groupCount, seen: marked)
        if !marked { everySeen = false }
        // (group, ±1) for each addition that wrapped; empty (no allocation) in the usual case.
        var wrapped: [(Int, Int64)] = []
        ints.withUnsafeMutableBufferPointer { sums in
            if marked {
                for row in 0..<groups.count {
                    let group = Int(groups[row])
                    let (total, overflow) = sums[group].addingReportingOverflow(values[row])
                    sums[group] = total
                    if overflow { wrapped.append((group, values[row] < 0 ? -1 : 1)) }
                }
                return
            }
            seen.withUnsafeMutableBufferPointer { seen in
                for row in 0..<groups.count where validity?.isValid(row) ?? true {
                    let group = Int(groups[row])
                    let (total, overflow) = sums[group].addingReportingOverflow(values[row])
                    sums[group] = total
                    seen[group] = true
                    if overflow { wrapped.append((group, values[row] < 0 ? -1 : 1)) }
                }
            }
        }
        for (group, carry) in wrapped { addCarry(carry, to: group) }
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        let column = inputs[0]
        switch column.storage {
        case .int64(let values) where type != .float64:
            addWords(values, validity: column.validity, groups: groups, groupCount: groupCount)
        case .float64(let values) where type == .float64:
            grow(groupCount)
            for row in 0..<groups.count where !column.isNull(row) {
                let group = Int(groups[row])
                doubles[group] += values[row]
                seen[group] = true
            }
        default:
            throw SluiceError.internal("sum of \(type) over \(column.type)")
        }
    }

    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        guard type != .float64 else { return try update([states[0]], groups: groups, groupCount: groupCount) }
        guard states.count == 2, case .int64(let words) = states[0].storage, case .int64(let partialCarries) = states[1].storage else {
            throw SluiceError.internal("sum state is \(states.map(\.type))")
        }
        addWords(words, validity: states[0].validity, groups: groups, groupCount: groupCount)
        let carryColumn = states[1]
        if let validity = carryColumn.validity {
            guard validity.nullCount < groups.count else { return }
            for row in 0..<groups.count where validity.isValid(row) && partialCarries[row] != 0 {
                addCarry(partialCarries[row], to: Int(groups[row]))
            }
        } else {
            for row in 0..<groups.count where partialCarries[row] != 0 { addCarry(partialCarries[row], to: Int(groups[row])) }
        }
    }

    func state() throws(SluiceError) -> [Column] {
        let validity = self.validity
        if type == .float64 { return [Column(type: type, storage: .float64(doubles), validity: validity)] }
        let words = Self.fitted(ints)
        guard !carries.isEmpty else { return [Column(type: type, storage: .int64(words), validity: validity), Self.noCarries(sharing: words)] }
        return [Column(type: type, storage: .int64(words), validity: validity), .int64(carries)]
    }

    /// A one-row total is the value itself (null stays null) with no carry; floats take the
    /// folding path, which turns -0.0 into 0.0 as a total does.
    func singleRowStates(_ inputs: [Column], rows: Int) throws(SluiceError) -> [Column]? {
        guard type != .float64, inputs.count == 1, case .int64(let values) = inputs[0].storage, values.count == rows else { return nil }
        return [Column(type: type, storage: .int64(values), validity: inputs[0].validity), Self.noCarries(sharing: values)]
    }

    /// - Throws: a data error when a group's exact total does not fit the output type (the
    ///   hash aggregate checks ``firstOutOfRange()`` first, to name the group).
    func finish() throws(SluiceError) -> Column {
        if let (group, value) = firstOutOfRange() {
            throw SluiceError(.data, "the sum of group \(group + 1) is \(value), past the range of \(type)")
        }
        if type == .float64 { return Column(type: type, storage: .float64(doubles), validity: validity) }
        return Column(type: type, storage: .int64(ints), validity: validity)
    }

    func firstOutOfRange() -> (group: Int, value: String)? {
        guard let group = carries.firstIndex(where: { $0 != 0 }) else { return nil }
        return (group, Self.text(total(group), scale: type.scale))
    }

    /// The exact total of `group`.
    func total(_ group: Int) -> Int128 {
        let carry = carries.isEmpty ? 0 : carries[group]
        return Int128(carry) << 64 + Int128(ints[group])
    }

    /// A carry column of nulls (no carry) for `words.count` groups. Its values are never
    /// read, so it shares the words' buffer and costs only its bitmap: an all-zero carry
    /// column was 255 MB of the 100M file's shuffle.
    static func noCarries(sharing words: [Int64]) -> Column {
        Column(type: .int64, storage: .int64(words), validity: ValidityBitmap(count: words.count, allValid: false))
    }

    /// `values` in a buffer of their own size when theirs is over an eighth larger (grown by
    /// doubling): a map task's state outlives the task in the shuffle, and the idle half of a
    /// doubled buffer would stay allocated with it (184 MB of the 100M file's 1.69 GB shuffle).
    static func fitted(_ values: [Int64]) -> [Int64] {
        guard values.capacity > values.count + values.count / 8 else { return values }
        return [Int64](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            _ = buffer.initialize(from: values)
            initialized = values.count
        }
    }

    private var validity: ValidityBitmap? { seen.allSatisfy { $0 } ? nil : ValidityBitmap(seen) }

    /// A 128-bit scaled value as decimal text (`-12.50`).
    static func text(_ value: Int128, scale: Int) -> String {
        let digits = String(value.magnitude)
        guard scale > 0 else { return value < 0 ? "-" + digits : digits }
        let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return (value < 0 ? "-" : "") + padded[..<point] + "." + padded[point...]
    }

    var byteSize: Int { seen.count + ints.count * 8 + carries.count * 8 + doubles.count * 8 }
}
