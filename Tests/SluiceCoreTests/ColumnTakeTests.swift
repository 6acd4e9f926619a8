import SluiceCore
import Testing

/// `take` moves short strings with word copies and builds list columns through raw buffers;
/// strings of every length around those cut-offs and lists of every size, taken in scattered,
/// repeated and consecutive orders, must give the same values as taking row by row.
@Suite("Column take over strings and lists")
struct ColumnTakeTests {
    static func indices(_ rows: Int) -> [[Int32]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let scattered: [Int32] = (0..<(rows * 2)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int32((state >> 33) % UInt64(rows))
        }
        return [scattered, Array(0..<Int32(rows)), Array((0..<Int32(rows)).reversed()), [], [Int32(rows - 1)]]
    }

    @Test("strings of 0 to 40 bytes, nulls among them")
    func strings() {
        var builder = ColumnBuilder(type: .string)
        var values: [Value] = []
        for row in 0..<300 {
            if row % 37 == 5 {
                builder.appendNull()
                values.append(.null)
                continue
            }
            let text = String((0..<(row % 41)).map { Character(UnicodeScalar(UInt8(97 + ($0 + row) % 26))) })
            builder.append(string: text)
            values.append(.string(text))
        }
        let column = builder.finish()
        for order in Self.indices(values.count) {
            #expect(column.take(order).values == order.map { values[Int($0)] })
        }
    }

    @Test("short ids moved a word at a time: the last values, whose word would run past the bytes, and empty ones")
    func shortStrings() {
        // 7-byte ids, as a customer id column has, then a 3-byte and an empty value at the end.
        var texts: [String] = (0..<500).map { row in
            let digits = String(row * 7919 % 1_000_000)
            return String(repeating: "0", count: 7 - digits.count) + digits
        }
        texts += ["abc", ""]
        let column = Column.string(texts)
        let last = Int32(texts.count - 1)
        let orders: [[Int32]] = Self.indices(texts.count) + [[last - 1, 0, last, last - 1]]
        for order in orders {
            let taken = column.take(order)
            let expected: [Value] = order.map { Value.string(texts[Int($0)]) }
            #expect(taken.values == expected)
            let bytes: Int = order.reduce(0) { $0 + texts[Int($1)].utf8.count }
            if case .string(let storage) = taken.storage { #expect(storage.bytes.count == bytes) }
        }
    }

    @Test("an all-null 64-bit column is taken as nulls, sharing an earlier integer column's values in a batch")
    func allNullIntegers() throws {
        let words: [Int64] = (0..<300).map { Int64($0 * 3) }
        let nulls = Column(type: .int64, storage: .int64(words), validity: ValidityBitmap(count: 300, allValid: false))
        let schema = Schema([Field("words", .int64), Field("carries", .int64)])
        let batch = try RecordBatch(schema: schema, columns: [.int64(words), nulls])
        for order in Self.indices(300) {
            let taken = batch.take(order)
            #expect(taken.columns[0].values == order.map { .int64(Int64($0) * 3) })
            #expect(taken.columns[1].count == order.count && taken.columns[1].nullCount == order.count)
            #expect(nulls.take(order).nullCount == order.count)
            if case .int64(let first) = taken.columns[0].storage, case .int64(let second) = taken.columns[1].storage, !order.isEmpty {
                first.withUnsafeBufferPointer { first in
                    second.withUnsafeBufferPointer { #expect($0.baseAddress == first.baseAddress) }
                }
            }
        }
    }

    @Test("lists of 0 to 12 values, nulls among them")
    func lists() throws {
        var builder = ColumnBuilder(type: .list(.int64))
        var values: [Value] = []
        for row in 0..<200 {
            if row % 29 == 3 {
                builder.appendNull()
                values.append(.null)
                continue
            }
            let elements = (0..<(row % 13)).map { Value.int64(Int64(row * 100 + $0)) }
            try builder.append(list: elements)
            values.append(.list(elements))
        }
        let column = builder.finish()
        for order in Self.indices(values.count) {
            #expect(column.take(order).values == order.map { values[Int($0)] })
        }
    }
}
