@testable import SluiceEngine
import SluiceCore
import Testing

/// A sum's partial state outlives its accumulator in the shuffle, so it must not keep the
/// idle half of a buffer that grew by doubling.
@Suite("Sum state buffers")
struct SumStateTests {
    @Test("the emitted words fill their buffer, keep every total, and carry nothing", arguments: [1, 1_000, 100_003])
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
        #expect(carries.count == groups && carries.allSatisfy { $0 == 0 })
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
}
