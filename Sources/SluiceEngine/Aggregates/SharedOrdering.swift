import SluiceCore

/// argMax / argMin calls of one aggregation that order by the same integer-stored columns
/// share that ordering: the first call keeps the values of every such call and the ordering
/// once (``IntegerOrderAccumulator`` with several values), and the others only read their
/// value out of it at the end.
///
/// This is the de-duplication shape — `argMax(c, by: [time, file, line])` for every kept
/// column `c` — where each call used to store, compare, shuffle and spill its own copy of the
/// ordering: with eight kept columns a group's state was 33 columns wide; now it is 12. It also
/// makes the kept columns one row's values: on an exact tie of the ordering the row whose kept
/// values are smallest, compared in call order, wins for every call (each call used to break
/// the tie on its own value, so the columns could come from different rows).
struct SharedOrdering: Sendable {
    /// For each aggregate, the index of the earlier aggregate that keeps its value, or nil.
    let leaders: [Int?]

    /// Finds the calls that can share: the same function (argMax or argMin), the same
    /// ordering expressions, every ordering column stored as integers.
    init(_ aggregates: [AggregateExpr], inputTypes: [[DataType]]) {
        struct Ordering: Hashable {
            var isMax: Bool
            var by: [Expr]
        }
        var first: [Ordering: Int] = [:]
        var leaders: [Int?] = Array(repeating: nil, count: aggregates.count)
        for (index, aggregate) in aggregates.enumerated() {
            guard let function = aggregate.function as? ArgExtremeFunction, aggregate.arguments.count >= 2,
                  inputTypes[index].dropFirst().allSatisfy(IntegerOrderAccumulator.orders) else { continue }
            let ordering = Ordering(isMax: function.isMax, by: Array(aggregate.arguments.dropFirst()))
            if let leader = first[ordering] { leaders[index] = leader } else { first[ordering] = index }
        }
        self.leaders = leaders
    }

    /// The followers of `leader`, in call order.
    func followers(of leader: Int) -> [Int] { leaders.indices.filter { leaders[$0] == leader } }

    /// The bound calls with the sharing applied: a leader reads `[its value, each follower's
    /// value…, ordering…]` and keeps them all in its state; a follower reads and keeps nothing.
    func rewrite(_ aggregates: [BoundAggregate]) -> [BoundAggregate] {
        aggregates.indices.map { index in
            if leaders[index] != nil { return BoundAggregate(following: aggregates[index]) }
            let followers = followers(of: index)
            guard !followers.isEmpty else { return aggregates[index] }
            return BoundAggregate(leading: aggregates[index], values: followers.map { aggregates[$0] })
        }
    }

    /// One accumulator per aggregate: a leader's keeps every shared value, a follower's reads
    /// its value out of the leader's when the results are made.
    func makeAccumulators(_ aggregates: [BoundAggregate]) throws(SluiceError) -> [any GroupsAccumulator] {
        var accumulators: [any GroupsAccumulator] = []
        accumulators.reserveCapacity(aggregates.count)
        for (index, aggregate) in aggregates.enumerated() {
            if let leader = leaders[index] {
                guard let shared = accumulators[leader] as? IntegerOrderAccumulator,
                      let position = followers(of: leader).firstIndex(of: index) else {
                    throw SluiceError.internal("argMax \(aggregate.name) follows a call that keeps no shared ordering")
                }
                accumulators.append(SharedOrderValue(shared: shared, index: position + 1))
                continue
            }
            let followers = followers(of: index)
            guard !followers.isEmpty, let function = aggregate.function as? ArgExtremeFunction else {
                accumulators.append(try aggregate.function.makeAccumulator(aggregate.inputTypes))
                continue
            }
            let kept = Array(aggregate.inputTypes[0...followers.count])
            accumulators.append(IntegerOrderAccumulator(values: kept.map { ValueSlots(type: $0) },
                                                        ordering: Array(aggregate.inputTypes.dropFirst(kept.count)), isMax: function.isMax))
        }
        return accumulators
    }
}

/// The result of an argMax / argMin whose value another call keeps (``SharedOrdering``): it
/// reads nothing and has no state of its own; its result is the leader's `index`-th value.
final class SharedOrderValue: GroupsAccumulator {
    let shared: IntegerOrderAccumulator
    let index: Int

    init(shared: IntegerOrderAccumulator, index: Int) {
        self.shared = shared
        self.index = index
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {}
    func merge(_ states: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {}
    func state() throws(SluiceError) -> [Column] { [] }
    func finish() throws(SluiceError) -> Column { shared.column(index) }
    var byteSize: Int { 0 }
}
