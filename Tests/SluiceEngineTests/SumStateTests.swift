@testable import SluiceEngine
import SluiceCore
import Testing

/// A sum's partial state outlives its accumulator in the shuffle, so it must not keep the
/// idle half of a buffer that grew by doubling.
@Suite("Sum state buffers")
struct SumStateTests {
    @Test("the emitted words fill their buffer, keep every total, and the carries are nulls costing a bitmap", arguments: [1, 1_000, 100_003])
    func fittedWords(groups: Int) throws {
        let accumulator = SumAccumulator(type: .int64)
        // Groups arrive a few at a time, as a table's new groups do, so the words grow by appends.
        var next = 0
        while next < groups {
            let count = min(7, groups - next)
            let ids = (0..<count).map { Int32(next + $0) }
            try accumulator.update([.int64(ids.map { Int64($0) * 3 })], groups: ids, groupCount: next + count)
            next += count
        }
        let state = try accumulator.state()
        guard case .int64(let words) = state[0].storage, case .int64(let carries) = state[1].storage else {
            Issue.record("sum state is \(state.map(\.type))")
            return
        }
        #expect(words == (0..<groups).map { Int64($0) * 3 })
        #expect(words.capacity <= words.count + words.count / 8)
        #expect(carries.count == groups && state[1].nullCount == groups)
        words.withUnsafeBufferPointer { words in
            carries.withUnsafeBufferPointer { #expect($0.baseAddress == words.baseAddress, "the null carries share the words' buffer") }
        }
    }

    @Test("states with no carries (nulls) and with carries merge to the exact total")
    func mixedCarries() throws {
        let wrapping = SumAccumulator(type: .int64)
        try wrapping.update([.int64([.max, .max, 3])], groups: [0, 0, 1], groupCount: 2)
        let plain = SumAccumulator(type: .int64)
        try plain.update([.int64([-5, 10])], groups: [0, 1], groupCount: 2)
        let wrappedState = try wrapping.state(), plainState = try plain.state()
        #expect(wrappedState[1].nullCount == 0)
        #expect(plainState[1].nullCount == 2)

        let merged = SumAccumulator(type: .int64)
        try merged.merge(plainState, groups: [0, 1], groupCount: 2)
        try merged.merge(wrappedState, groups: [0, 1], groupCount: 2)
        try merged.merge(plainState, groups: [1, 0], groupCount: 2)
        #expect(merged.total(0) == 2 * Int128(Int64.max) - 5 + 10)
        #expect(merged.total(1) == 3 + 10 - 5)
    }

    @Test("an array already about its size is passed on as it is")
    func keptWhenTight() {
        let values = [Int64](repeating: 5, count: 4_096)
        let fitted = SumAccumulator.fitted(values)
        #expect(fitted == values)
        values.withUnsafeBufferPointer { original in
            fitted.withUnsafeBufferPointer { #expect($0.baseAddress == original.baseAddress) }
        }
    }

    @Test("a group first met with only nulls stays null until a later batch with no nulls gives it a value")
    func seenAcrossBatches() throws {
        let sum = SumAccumulator(type: .int64)
        try sum.update([.int64([1, 2])], groups: [0, 1], groupCount: 2)
        // Group 2 is made by a null; group 3 by a value.
        let withNull = Column(type: .int64, storage: .int64([0, 4]), validity: ValidityBitmap([false, true]))
        try sum.update([withNull], groups: [2, 3], groupCount: 4)
        #expect(try sum.finish().values == [.int64(1), .int64(2), .null, .int64(4)])
        // A batch with no nulls reaches group 2 and makes group 4.
        try sum.update([.int64([5, 6])], groups: [2, 4], groupCount: 5)
        #expect(try sum.finish().values == [.int64(1), .int64(2), .int64(5), .int64(4), .int64(6)])
        // A global sum over no rows is null, not 0.
        let empty = SumAccumulator(type: .int64)
        try empty.update([.int64([])], groups: [], groupCount: 1)
        #expect(try empty.finish().values == [.null])
    }
}
