import SluiceCore
@testable import SluiceEngine
import SluiceTestSupport
import Testing

/// The (group, value) pairs behind distinct aggregates: compaction must leave every group's
/// values sorted and unique whatever their number (insertion sort, quicksort) and repeats.
@Suite("Grouped values: compaction")
struct GroupedValuesTests {
    @Test("sorted and unique per group, for groups of 0 to 3,000 values, narrow and full-width, with many repeats", arguments: [1, 7, 42])
    func compacts(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let groupCount = 200
        var pairs = GroupedValues()
        var expected = [Set<UInt64>](repeating: [], count: groupCount)
        for group in 0..<groupCount {
            // Sizes around the insertion-sort cut-off and far past it; a value range small
            // enough that repeats are common, and all-equal runs.
            let size = [0, 1, 2, 23, 24, 25, 100, 3_000][group % 8]
            // Narrow ranges take the bitmap path past 48 values; full-width values the quicksort.
            let range: UInt64 = [5, 1_000, 0][group % 3]
            for _ in 0..<size {
                let value = range == 0 ? random.next() : random.next() % range
                expected[group].insert(value)
                pairs.append(group: Int32(group), key: value)
            }
        }
        // Values of a group arrive mixed with the others' (as rows do).
        var shuffled = GroupedValues()
        var order = Array(0..<pairs.keys.count)
        for index in order.indices.reversed() { order.swapAt(index, Int(random.next() % UInt64(index + 1))) }
        for index in order { shuffled.append(group: pairs.groups[index], key: pairs.keys[index]) }
        let offsets = shuffled.compact(groupCount: groupCount)
        #expect(offsets.count == groupCount + 1)
        for group in 0..<groupCount {
            let values = Array(shuffled.keys[Int(offsets[group])..<Int(offsets[group + 1])])
            #expect(values == expected[group].sorted(), "group \(group)")
        }
        #expect(shuffled.groups == (0..<groupCount).flatMap { Array(repeating: Int32($0), count: expected[$0].count) })
    }

    @Test("many groups, empty ones between, compact as one group at a time would", arguments: [1_000, 1_025, 70_001])
    func compactsManyGroups(groupCount: Int) {
        var random = SeededGenerator(seed: UInt64(groupCount))
        var pairs = GroupedValues()
        var expected = [Set<UInt64>](repeating: [], count: groupCount)
        for _ in 0..<(groupCount * 4) {
            // Every third group stays empty; values repeat within a group.
            var group = Int(random.next() % UInt64(groupCount))
            if group % 3 == 2 { group -= 1 }
            let value = random.next() % 40
            expected[group].insert(value)
            pairs.append(group: Int32(group), key: value)
        }
        let offsets = pairs.compact(groupCount: groupCount)
        #expect(offsets.count == groupCount + 1)
        var mismatches = 0
        for group in 0..<groupCount where Array(pairs.keys[Int(offsets[group])..<Int(offsets[group + 1])]) != expected[group].sorted() {
            mismatches += 1
        }
        #expect(mismatches == 0)
        #expect(pairs.groups == (0..<groupCount).flatMap { Array(repeating: Int32($0), count: expected[$0].count) })
    }

    @Test("the segment sort orders any words: sorted, reversed, equal, random")
    func segmentSort() {
        var random = SeededGenerator(seed: 3)
        let inputs: [[UInt64]] = [
            Array(0..<500), Array((0..<500).reversed()), Array(repeating: 9, count: 300), [.max, 0, .max, 1, 0],
            (0..<1_000).map { _ in random.next() }, (0..<1_000).map { _ in random.next() % 3 },
        ]
        for input in inputs {
            var values = input
            values.withUnsafeMutableBufferPointer { buffer in
                if let base = buffer.baseAddress { GroupedValues.sortSegment(base, count: buffer.count) }
            }
            #expect(values == input.sorted())
        }
    }
    @Test("pairs that barely repeat are compacted ever more rarely; pairs that repeat keep the threshold and shrink")
    func compactionBacksOff() {
        // Unique pairs: the first compaction past the base keeps them all, so the next one
        // waits for four times as many, then eight.
        var unique = GroupedValues(compactionBase: 1_000)
        var value: UInt64 = 0
        func add(_ count: Int, to pairs: inout GroupedValues) {
            for _ in 0..<count {
                pairs.append(group: Int32(value % 10), key: value)
                value += 1
            }
            pairs.maybeCompact(groupCount: 10)
        }
        add(1_000, to: &unique)
        #expect(unique.compactionFactor == 2)
        add(1, to: &unique)
        #expect(unique.compactionFactor == 4)
        #expect(unique.keys.count == 1_001)
        add(3_000, to: &unique)
        #expect(unique.compactionFactor == 4, "1,001 × 4 + 1,000 not yet passed")
        add(1_005, to: &unique)
        #expect(unique.compactionFactor == 8)
        #expect(unique.keys.count == 5_006)
        // Repeats: each compaction shrinks the pairs to one per group, and the factor stays.
        var repeated = GroupedValues(compactionBase: 1_000)
        for round in 0..<3 {
            for index in 0..<1_021 { repeated.append(group: Int32(index % 10), key: UInt64(index % 10)) }
            repeated.maybeCompact(groupCount: 10)
            #expect(repeated.keys.count == 10, "round \(round)")
            #expect(repeated.compactionFactor == 2)
        }
    }
}
