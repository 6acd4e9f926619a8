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
        var writer = TextColumnWriter(rows: 16, bytesPerRow: 1)
        defer { writer.release() }
        let expected = Self.values(1_000)
        for value in expected {
            var text = value
            text.withUTF8 { writer.append($0) }
        }
        #expect(writer.rows == 1_000)
        let column = writer.finish()
        #expect(column.type == .string)
        #expect(column.nullCount == 0)
        guard case .string(let storage) = column.storage else {
            Issue.record("not a string column")
            return
        }
        #expect(storage == StringStorage(expected))
        #expect(writer.rows == 0 && writer.byteCount == 0)
    }

    @Test("nulls are null rows with empty slots; truncation drops values, bytes and nulls together")
    func nullsAndTruncation() {
        var writer = TextColumnWriter(rows: 4)
        defer { writer.release() }
        for (row, value) in ["0023938", "", "PURA250", "x", "long value of thirty-one bytes!"].enumerated() {
            if row == 1 || row == 3 {
                writer.appendNull()
            } else {
                var text = value
                text.withUTF8 { writer.append($0) }
            }
        }
        writer.truncate(to: 3)
        #expect(writer.rows == 3)
        #expect(writer.byteCount == 14)
        var tail = "SUPA101"
        tail.withUTF8 { writer.append($0) }
        let column = writer.finish()
        #expect(column.count == 4)
        #expect(column.nullCount == 1)
        #expect(column.isNull(1))
        #expect(column.value(at: 0) == .string("0023938"))
        #expect(column.value(at: 2) == .string("PURA250"))
        #expect(column.value(at: 3) == .string("SUPA101"))
    }

    @Test("a finished writer starts the next batch empty and reuses its memory")
    func reuse() {
        var writer = TextColumnWriter(rows: 8)
        defer { writer.release() }
        writer.appendNull()
        _ = writer.finish()
        var id = "0024003"
        id.withUTF8 { writer.append($0) }
        let column = writer.finish()
        #expect(column.count == 1)
        #expect(column.nullCount == 0)
        #expect(column.value(at: 0) == .string("0024003"))
        let empty = writer.finish()
        #expect(empty.count == 0)
    }
}
