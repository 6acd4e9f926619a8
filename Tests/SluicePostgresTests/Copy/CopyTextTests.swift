import SluiceCore
import SluicePostgres
import SluiceTestSupport
import Testing

/// Batches and values shared by the COPY tests (unit and integration).
enum CopyFixtures {
    static func day(_ year: Int, _ month: Int, _ day: Int) -> Int32 {
        DateEncoding.days(year: year, month: month, day: day) ?? 0
    }

    static func micros(_ year: Int, _ month: Int, _ d: Int, _ h: Int, _ m: Int, _ s: Int, _ fraction: Int64 = 0) -> Int64 {
        Int64(day(year, month, d)) * DateEncoding.microsPerDay + Int64(h * 3600 + m * 60 + s) * 1_000_000 + fraction
    }

    static let trickyStrings: [Value] = [
        .string("plain"), .string("tab\there"), .string("line1\nline2"), .string("cr\rlf"), .string("back\\slash"),
        .string("quote\"s and 'apostrophes'"), .string(""), .null, .string("naïve ☃ 日本 🚀"), .string("\\N"),
        .string("Robert'); DROP TABLE students;--"), .string("{not,an,array}"), .string("trailing space "),
    ]

    static let schema: [(String, DataType)] = [
        ("id", .int64), ("name", .string), ("amount", .decimal(precision: 18, scale: 2)), ("day", .date),
        ("ts", .timestamp), ("ratio", .float64), ("flag", .bool), ("tags", .list(.string)), ("nums", .list(.int64)),
    ]

    /// One row per tricky value of every type, plus nulls in every column.
    static func allTypesBatch() throws -> RecordBatch {
        let rows: [[Value]] = [
            [.int64(0), .string("plain"), .decimal(-5, scale: 2), .date(day(2024, 2, 29)),
             .timestamp(micros(2024, 2, 29, 13, 45, 6, 123)), .float64(0.1), .bool(true),
             .list([.string("a b"), .string("c\"d"), .string("e\\f"), .null, .string(""), .string("NULL"),
                    .string("{x}"), .string("tab\t,comma"), .string("ü")]),
             .list([.int64(1), .null, .int64(-3)])],
            [.int64(Int64.max), .string("tab\there\nand\rmore\\"), .decimal(123_456_789_012_345_678, scale: 2),
             .date(day(0, 2, 29)), .timestamp(micros(-100, 3, 15, 23, 59, 59, 999_999)), .float64(-.infinity),
             .bool(false), .list([]), .list([])],
            [.int64(Int64.min + 1), .string(""), .decimal(0, scale: 2), .date(day(1, 1, 1)),
             .timestamp(micros(1, 1, 1, 0, 0, 0)), .float64(.leastNonzeroMagnitude), .null, .null, .null],
            [.int64(-1), .null, .null, .null, .null, .null, .null, .list([.null]), .list([.int64(Int64.max)])],
            [.int64(7), .string("naïve ☃ 日本 🚀"), .decimal(-99_999, scale: 2), .date(day(9999, 12, 31)),
             .timestamp(micros(1969, 12, 31, 23, 59, 59, 999_999)), .float64(1.0 / 3.0), .bool(true),
             .list([.string("\\N")]), .list([.int64(0)])],
            [.int64(8), .string("\\N"), .decimal(1, scale: 2), .date(day(1970, 1, 1)), .timestamp(0),
             .float64(Double.greatestFiniteMagnitude), .bool(false), .list([.string(" padded ")]), .null],
            [.int64(9), .string("{not,an,array}"), .decimal(-1, scale: 2), .date(-719_163),
             .timestamp(micros(9999, 12, 31, 23, 59, 59, 999_999)), .float64(-0.0),
             .bool(true), .list([.string("x")]), .list([.int64(Int64.min + 1)])],
        ]
        return try TestSupport.batch(schema, rows)
    }
}

@Suite("COPY text format")
struct CopyTextTests {
    static func text(_ batch: RecordBatch) throws -> String {
        String(decoding: try CopyTextEncoder.encode(batch), as: UTF8.self)
    }

    @Test("strings: backslash, tab, newline and CR escaped; \\N for null; empty string stays empty")
    func strings() throws {
        let batch = try TestSupport.batch([("s", .string)], CopyFixtures.trickyStrings.map { [$0] })
        let expected = [
            "plain", "tab\\there", "line1\\nline2", "cr\\rlf", "back\\\\slash", "quote\"s and 'apostrophes'", "",
            "\\N", "naïve ☃ 日本 🚀", "\\\\N", "Robert'); DROP TABLE students;--", "{not,an,array}", "trailing space ",
        ].map { $0 + "\n" }.joined()
        #expect(try Self.text(batch) == expected)
    }

    @Test("numbers, decimals, dates, timestamps and booleans in PostgreSQL's text forms")
    func scalars() throws {
        let batch = try TestSupport.batch(
            [("i", .int64), ("d", .decimal(precision: 10, scale: 2)), ("day", .date), ("ts", .timestamp), ("b", .bool),
             ("f", .float64)],
            [
                [.int64(42), .decimal(-1250, scale: 2), .date(CopyFixtures.day(2024, 2, 29)),
                 .timestamp(CopyFixtures.micros(2024, 2, 29, 13, 45, 6, 123)), .bool(true), .float64(0.1)],
                [.int64(-7), .decimal(-5, scale: 2), .date(CopyFixtures.day(0, 12, 31)),
                 .timestamp(CopyFixtures.micros(-43, 3, 15, 12, 0, 0)), .bool(false), .float64(.nan)],
                [.null, .null, .null, .null, .null, .float64(-.infinity)],
            ]
        )
        #expect(try Self.text(batch) == """
        42\t-12.50\t2024-02-29\t2024-02-29 13:45:06.000123\tt\t0.1
        -7\t-0.05\t0001-12-31 BC\t0044-03-15 12:00:00 BC\tf\tNaN
        \\N\t\\N\t\\N\t\\N\t\\N\t-Infinity

        """)
        let withOffset = try CopyTextEncoder.encode(batch.project([3]).slice(0..<1), includeUTCOffset: true)
        #expect(String(decoding: withOffset, as: UTF8.self) == "2024-02-29 13:45:06.000123+00\n")
    }

    @Test("list columns become array literals, escaped for COPY on top")
    func arrays() throws {
        let batch = try TestSupport.batch(
            [("tags", .list(.string)), ("nums", .list(.int64))],
            [[.list([.string("a b"), .string("c\"d"), .string("e\\f"), .null, .string("NULL")]), .list([.int64(1), .null])],
             [.list([]), .null]]
        )
        #expect(try Self.text(batch) == "{\"a b\",\"c\\\\\"d\",\"e\\\\\\\\f\",NULL,\"NULL\"}\t{1,NULL}\n{}\t\\N\n")
    }

    @Test("a NUL byte in text is a data error naming the row and column")
    func nulByte() throws {
        let batch = try TestSupport.batch([("id", .int64), ("note", .string)], [[.int64(1), .string("ok")], [.int64(2), .string("a\u{0}b")]])
        var out: [UInt8] = [1, 2, 3]
        var encoder = CopyTextEncoder()
        do {
            try encoder.encode(batch, into: &out)
            Issue.record("expected a NUL error")
        } catch {
            #expect(error.kind == .data)
            #expect(error.message.contains("row 2, column 'note'"))
        }
        #expect(out == [1, 2, 3])
    }

    @Test("decode(encode(batch)) == batch for every type, null and tricky value")
    func roundTrip() throws {
        let batch = try CopyFixtures.allTypesBatch()
        let bytes = try CopyTextEncoder.encode(batch)
        let decoded = try CopyTextDecoder.decode(bytes, schema: batch.schema)
        #expect(decoded.count == 1)
        #expect(decoded.first?.schema == batch.schema)
        #expect(TestSupport.rows(decoded) == batch.rows)
        #expect(decoded.first?.columns[1].isNull(3) == true)
    }

    @Test("decoding in chunks of any size gives the same batches", arguments: [1, 2, 3, 5, 17, 64, 4096])
    func chunked(size: Int) throws {
        let batch = try CopyFixtures.allTypesBatch()
        let bytes = try CopyTextEncoder.encode(batch)
        var decoder = CopyTextDecoder(schema: batch.schema, batchRows: 3)
        var batches: [RecordBatch] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + size)
            batches += try decoder.decode(Array(bytes[start..<end]))
            start = end
        }
        if let last = try decoder.finish() { batches.append(last) }
        #expect(batches.map(\.rowCount) == [3, 3, 1])
        #expect(TestSupport.rows(batches) == batch.rows)
        #expect(decoder.rowsDecoded == 7)
    }

    @Test("decoder: octal, hex and other escapes, escaped tab and newline bytes, offsets, \\. end marker")
    func decoderEscapes() throws {
        let schema = Schema([Field("s", .string), Field("ts", .timestamp), Field("d", .date)])
        let input = "\\101\\x42\\q\\\\\t2024-01-01 05:30:00+05:30\t2024-01-01\n"
            + "a\\\tb\\\nc\t2024-01-01T00:00:00.5-01\t0044-03-15 BC\n"
            + "\\.\n"
        let batches = try CopyTextDecoder.decode(Array(input.utf8), schema: schema)
        #expect(TestSupport.rows(batches) == [
            [.string("ABq\\"), .timestamp(CopyFixtures.micros(2024, 1, 1, 0, 0, 0)), .date(CopyFixtures.day(2024, 1, 1))],
            [.string("a\tb\nc"), .timestamp(CopyFixtures.micros(2024, 1, 1, 1, 0, 0, 500_000)), .date(CopyFixtures.day(-43, 3, 15))],
        ])
    }

    @Test("decoder errors name the row and column, and the decoder goes on after them")
    func decoderErrors() throws {
        let schema = Schema([Field("id", .int64), Field("name", .string)])
        var decoder = CopyTextDecoder(schema: schema)
        _ = try decoder.decode(Array("1\tone\n".utf8))
        do {
            _ = try decoder.decode(Array("x2\ttwo\n".utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .data)
            #expect(error.message.contains("row 2, column 'id'"))
            #expect(error.message.contains("'x2'"))
        }
        #expect(throws: SluiceError.self) { try decoder.decode(Array("3\n".utf8)) }
        #expect(throws: SluiceError.self) { try decoder.decode(Array("4\tfour\textra\n".utf8)) }
        _ = try decoder.decode(Array("5\tfive\n6\tsi".utf8))
        #expect(throws: SluiceError.self) { try decoder.finish() }
        _ = try decoder.decode(Array("7\tseven\n".utf8))
        let rows = try decoder.finish()?.rows
        #expect(rows == [[.int64(1), .string("one")], [.int64(5), .string("five")], [.int64(7), .string("seven")]])
        #expect(throws: SluiceError.self) { try CopyTextDecoder.decode(Array("9223372036854775808\tx\n".utf8), schema: schema) }
    }

    @Test("batches of N rows")
    func batchSizes() throws {
        let text = (0..<10).map { "\($0)\n" }.joined()
        let batches = try CopyTextDecoder.decode(Array(text.utf8), schema: Schema([Field("n", .int64)]), batchRows: 4)
        #expect(batches.map(\.rowCount) == [4, 4, 2])
        #expect(TestSupport.rows(batches).map { $0[0] } == (0..<10).map { .int64(Int64($0)) })
    }

    @Test("parameters render in the same text forms")
    func parameterText() {
        #expect(PostgresValue.decimal(-5, scale: 2).description == "-0.05")
        #expect(PostgresValue.date(CopyFixtures.day(2024, 2, 29)).description == "2024-02-29")
        #expect(PostgresValue.array([1, nil, "a\"b"]).description == "{1,NULL,\"a\\\"b\"}")
        #expect(PostgresValue(.null) == nil)
        #expect(PostgresValue(.list([.int64(1)])) == .array([.int(1)]))
    }
}
