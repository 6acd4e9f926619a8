import SluiceCore
import Testing

/// The source-file column of a scan: one value on every row, written by doubling copies and
/// handed out again while the row count stays the same.
@Suite("Repeated text columns")
struct RepeatedTextColumnTests {
    @Test("every row holds the value, for lengths and row counts around the doubling steps", arguments: [0, 1, 2, 7, 41, 64])
    func repeated(length: Int) {
        let value = (0..<length).map { UInt8(97 + $0 % 26) }
        for rows in [0, 1, 2, 3, 5, 64, 65, 1000] {
            let storage = value.withUnsafeBufferPointer { StringStorage(repeating: $0, count: rows) }
            #expect(storage.count == rows)
            #expect(storage.offsets == (0...rows).map { Int32($0 * length) })
            #expect(storage.bytes.count == rows * length)
            for row in 0..<rows { #expect(storage.string(at: row) == String(decoding: value, as: UTF8.self)) }
        }
    }

    @Test("a column is made again only when the row count changes")
    func reused() {
        var source = RepeatedTextColumn(Array("data/part-1.csv".utf8))
        let first = source.column(rows: 4)
        let again = source.column(rows: 4)
        let other = source.column(rows: 2)
        #expect((0..<4).map { first.value(at: $0) } == Array(repeating: .string("data/part-1.csv"), count: 4))
        #expect((0..<2).map { other.value(at: $0) } == Array(repeating: .string("data/part-1.csv"), count: 2))
        guard case .string(let a) = first.storage, case .string(let b) = again.storage else {
            Issue.record("not string columns")
            return
        }
        // The same storage, not a copy of it.
        a.bytes.withUnsafeBufferPointer { x in b.bytes.withUnsafeBufferPointer { y in #expect(x.baseAddress == y.baseAddress) } }
        #expect(source.column(rows: 4).count == 4)
    }
}
