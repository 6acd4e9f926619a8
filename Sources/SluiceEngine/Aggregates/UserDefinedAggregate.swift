public import SluiceCore

/// A user-defined aggregate: the state of one group, how a batch updates it, how two partial
/// states merge, and the final value. Sluice runs it two-phase like the built-ins; the state
/// crosses the shuffle as bytes, so it must encode and decode itself.
///
/// ```swift
/// struct Range: UserDefinedAggregate {
///     var name: String { "range" }
///     func returnType(_ inputs: [DataType]) -> DataType { .int64 }
///     func initialState() -> (Int64, Int64)? { nil }
///     func update(_ state: inout (Int64, Int64)?, _ inputs: [Column], rows: [Int32]) { … }
///     …
/// }
/// df.groupBy("k").agg(Agg.udaf(Range(), col("v")).as("spread"))
/// ```
public protocol UserDefinedAggregate: Sendable {
    associatedtype State
    var name: String { get }
    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType
    func initialState() -> State
    /// Folds the rows `rows` of this batch (all of one group) into `state`.
    func update(_ state: inout State, _ inputs: [Column], rows: [Int32]) throws(SluiceError)
    /// Folds another partial state of the same group into `state`.
    func merge(_ state: inout State, _ other: State) throws(SluiceError)
    func finish(_ state: State) throws(SluiceError) -> Value
    func encode(_ state: State) -> [UInt8]
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(SluiceError) -> State
}

/// Adapts a ``UserDefinedAggregate`` to the vectorised accumulator interface: a batch's rows
/// are bucketed by group, and `update` runs once per group per batch.
struct UserAggregateFunction<U: UserDefinedAggregate>: AggregateFunction {
    let aggregate: U
    init(_ aggregate: U) { self.aggregate = aggregate }
    var name: String { aggregate.name }
    func returnType(_ inputs: [DataType]) throws(SluiceError) -> DataType { try aggregate.returnType(inputs) }
    func stateTypes(_ inputs: [DataType]) throws(SluiceError) -> [DataType] { [.string] }
    func makeAccumulator(_ inputs: [DataType]) throws(SluiceError) -> any GroupsAccumulator {
        UserAggregateAccumulator(aggregate: aggregate, result: try aggregate.returnType(inputs))
    }
}

final class UserAggregateAccumulator<U: UserDefinedAggregate>: GroupsAccumulator {
    let aggregate: U
    let result: DataType
    var states: [U.State] = []
    var stateBytes = 0

    init(aggregate: U, result: DataType) {
        self.aggregate = aggregate
        self.result = result
    }

    private func grow(_ groupCount: Int) {
        while states.count < groupCount { states.append(aggregate.initialState()) }
    }

    func update(_ inputs: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        grow(groupCount)
        var rowsByGroup: [Int32: [Int32]] = [:]
        for row in 0..<groups.count { rowsByGroup[groups[row], default: []].append(Int32(row)) }
        for group in rowsByGroup.keys.sorted() {
            try aggregate.update(&states[Int(group)], inputs, rows: rowsByGroup[group] ?? [])
        }
    }

    func merge(_ partial: [Column], groups: [Int32], groupCount: Int) throws(SluiceError) {
        grow(groupCount)
        guard case .string(let storage) = partial[0].storage else {
            throw SluiceError.internal("\(aggregate.name) state is \(partial[0].type)")
        }
        for row in 0..<groups.count {
            let decoded = storage.withBytes(at: row) { bytes in
                Result { () throws(SluiceError) in try aggregate.decode(bytes) }
            }
            let other = try decoded.get()
            try aggregate.merge(&states[Int(groups[row])], other)
        }
    }

    func state() throws(SluiceError) -> [Column] {
        var builder = ColumnBuilder(type: .string, capacity: states.count)
        stateBytes = 0
        for state in states {
            let bytes = aggregate.encode(state)
            stateBytes += bytes.count
            bytes.withUnsafeBufferPointer { builder.append(bytes: $0) }
        }
        return [builder.finish()]
    }

    func finish() throws(SluiceError) -> Column {
        var builder = ColumnBuilder(type: result, capacity: states.count)
        for state in states { try builder.append(try aggregate.finish(state)) }
        return builder.finish()
    }

    var byteSize: Int { states.count * MemoryLayout<U.State>.stride + stateBytes }
}
