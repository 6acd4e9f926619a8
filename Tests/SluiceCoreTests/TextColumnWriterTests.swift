import Dispatch
import SluiceCore
import Testing

/// The text column writer the CSV reader fills for each batch.
@Suite("Text column writer")
struct TextColumnWriterTests {
    /// Values of every length from 0 to 40 (each branch of the short copy and the long one),
    /// with distinct bytes so a copy from the wrong offset shows.
    static func values(_ count: Int) -> [String] {
        (0..<count).map { row in
            let length = row % 41
            return String((0..<length).map { Character(Unicode.Scalar(UInt8(33 + (row + $0 * 7) % 90))) })
        }
    }

    @Test("values of every length come out as written, past the first capacity of rows and bytes")
    func roundTrip() {
        let writers = TextColumnWriter.allocate(rows: [16])
        defer { TextColumnWriter.deallocate(writers) }
        let expected = Self.values(1_000)
        for value in expected {
            var text = value
            #expect(text.withUTF8 { writers[0].append($0) })
        }
        #expect(writers[0].rows == 1_000)
        let column = writers[0].finish()
        #expect(column.type == .string)
        #expect(column.nullCount == 0)
        guard case .string(let storage) = column.storage else {
            Issue.record("not a string column")
            return
        }
        #expect(storage == StringStorage(expected))
        #expect(writers[0].rows == 0 && writers[0].byteCount == 0)
    }

    @Test("nulls are null rows with empty slots; truncation drops values, bytes and nulls together")
    func nullsAndTruncation() {
        let writers = TextColumnWriter.allocate(rows: [4])
        defer { TextColumnWriter.deallocate(writers) }
        for (row, value) in ["0023938", "", "PURA250", "x", "long value of thirty-one bytes!"].enumerated() {
            if row == 1 || row == 3 {
                writers[0].appendNull()
            } else {
                var text = value
                #expect(text.withUTF8 { writers[0].append($0) })
            }
        }
        writers[0].truncate(to: 3)
        #expect(writers[0].rows == 3)
        #expect(writers[0].byteCount == 14)
        var tail = "SUPA101"
        #expect(tail.withUTF8 { writers[0].append($0) })
        let column = writers[0].finish()
        #expect(column.count == 4)
        #expect(column.nullCount == 1)
        #expect(column.isNull(1))
        #expect(column.value(at: 0) == .string("0023938"))
        #expect(column.value(at: 2) == .string("PURA250"))
        #expect(column.value(at: 3) == .string("SUPA101"))
    }

    @Test("a finished writer starts the next batch empty and reuses its memory")
    func reuse() {
        let writers = TextColumnWriter.allocate(rows: [8])
        defer { TextColumnWriter.deallocate(writers) }
        writers[0].appendNull()
        _ = writers[0].finish()
        var id = "0024003"
        #expect(id.withUTF8 { writers[0].append($0) })
        let column = writers[0].finish()
        #expect(column.count == 1)
        #expect(column.nullCount == 0)
        #expect(column.value(at: 0) == .string("0024003"))
        let empty = writers[0].finish()
        #expect(empty.count == 0)
    }
    @Test("an append past the column's byte limit writes nothing and says so; the rows before it stay")
    func byteLimit() {
        let writers = TextColumnWriter.allocate(rows: [4], maxBytes: 10)
        defer { TextColumnWriter.deallocate(writers) }
        var first = "0023938", second = "PURA250", third = "abc"
        #expect(first.withUTF8 { writers[0].append($0) })
        #expect(!second.withUTF8 { writers[0].append($0) })
        #expect(writers[0].rows == 1 && writers[0].byteCount == 7)
        #expect(third.withUTF8 { writers[0].append($0) })
        let column = writers[0].finish()
        #expect(column.count == 2)
        #expect(column.value(at: 1) == .string("abc"))
    }

    @Test("a batch far larger than the writer was made for leaves it at its first size, still correct")
    func shrinksAfterHugeBatch() {
        let writers = TextColumnWriter.allocate(rows: [16])
        defer { TextColumnWriter.deallocate(writers) }
        var big = String(repeating: "x", count: 1 << 20)
        for _ in 0..<20 { #expect(big.withUTF8 { writers[0].append($0) }) }
        #expect(writers[0].byteCount == 20 << 20)
        #expect(writers[0].finish().count == 20)
        var id = "0024212"
        #expect(id.withUTF8 { writers[0].append($0) })
        #expect(writers[0].finish().value(at: 0) == .string("0024212"))
    }
}

/// A batch whose text column holds no bytes: under ThreadSanitizer (CI runs this suite with it),
/// writing to the runtime's shared empty-array storage from several threads is a reported race.
@Suite("Text column writer: columns without bytes")
struct TextColumnWriterEmptyTests {
    @Test("columns of only empty values and nulls, finished on four threads at once, are exact")
    func emptyColumnsOnManyThreads() {
        let results = Locked([Int: [Value]]())
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            let writers = TextColumnWriter.allocate(rows: [8])
            defer { TextColumnWriter.deallocate(writers) }
            var columns: [[Value]] = []
            for round in 0..<50 {
                for row in 0..<(round % 5) {
                    if (row + thread) % 2 == 0 {
                        writers[0].appendNull()
                    } else {
                        let appended = writers[0].append(UnsafeBufferPointer(start: nil, count: 0))
                        #expect(appended)
                    }
                }
                let column = writers[0].finish()
                columns.append((0..<column.count).map { column.value(at: $0) })
            }
            results.withLock { $0[thread] = columns.flatMap { $0 } }
        }
        for thread in 0..<4 {
            let expected: [Value] = (0..<50).flatMap { round in
                (0..<(round % 5)).map { row in (row + thread) % 2 == 0 ? .null : .string("") }
            }
            #expect(results.withLock { $0[thread] } == expected)
        }
    }
}
