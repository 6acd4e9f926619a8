import SluiceCore
import SluiceIO
import Testing

/// The JSON scanner reads strings sixteen bytes at a time, whitespace eight at a time, and
/// matches keys on their first eight bytes; these put every kind of special byte at every
/// position of strings (past two sixteen-byte blocks) and whitespace runs of every length
/// around those boundaries, and check each value against the byte-at-a-time answer.
@Suite("JSON strings and whitespace read a word at a time")
struct JSONStringScanTests {
    /// One string as it is written in the JSON text, the value it stands for, and whether
    /// the record must be rejected (a raw control byte, invalid UTF-8).
    struct Case {
        var raw: [UInt8]
        var value: String
        var rejected: Bool
    }

    /// Strings of 0–40 bytes of filler with one special piece at each position.
    static func cases() -> [Case] {
        let pieces: [(raw: [UInt8], value: String, rejected: Bool)] = [
            (Array(#"\""#.utf8), "\"", false),
            (Array(#"\\"#.utf8), "\\", false),
            (Array(#"\n"#.utf8), "\n", false),
            (Array(#"\u00e9"#.utf8), "é", false),
            (Array("é".utf8), "é", false),
            (Array("€".utf8), "€", false),
            ([0x01], "", true),
            ([0x1F], "", true),
            ([0xFF], "", true),
            ([0xC3], "", true),
        ]
        var cases: [Case] = []
        for length in 0...40 {
            let filler = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            cases.append(Case(raw: filler, value: String(decoding: filler, as: UTF8.self), rejected: false))
            for position in 0...length {
                for piece in pieces {
                    let raw = Array(filler[..<position]) + piece.raw + Array(filler[position...])
                    let value = String(decoding: filler[..<position], as: UTF8.self) + piece.value + String(decoding: filler[position...], as: UTF8.self)
                    cases.append(Case(raw: raw, value: value, rejected: piece.rejected))
                }
            }
        }
        return cases
    }

    @Test("every special byte at every position, under short and long keys")
    func strings() throws {
        let schema = Schema([Field("s", .string), Field("a_key_longer_than_eight", .string), Field("n", .int64)])
        let cases = Self.cases()
        var document: [UInt8] = []
        for (index, item) in cases.enumerated() {
            // Keys that share their first eight bytes with a column but are not it are skipped.
            document += Array(#"{"a_key_longer_than_nine": "x", "s": ""#.utf8) + item.raw
            document += Array(#"", "a_key_longer_than_eight": ""#.utf8) + item.raw + Array(#"", "n": \#(index)}"#.utf8) + [0x0A]
        }
        let decoder = JSONRecordDecoder(schema: schema)
        var rejects: [Reject] = []
        let read = try document.withUnsafeBufferPointer { bytes throws(SluiceError) in try decoder.decode(bytes, source: "cases.json", rejects: &rejects) }
        let batch = decoder.takeBatch()
        let expected = cases.enumerated().filter { !$0.element.rejected }
        #expect(read == cases.count)
        #expect(rejects.count == cases.count - expected.count)
        #expect(batch.rowCount == expected.count)
        let rows = batch.rows
        for (row, (index, item)) in zip(rows, expected) {
            #expect(row == [.string(item.value), .string(item.value), .int64(Int64(index))], "case \(index): \(item.raw)")
        }
    }

    @Test("whitespace runs of 0 to 20 mixed bytes between every token")
    func whitespace() throws {
        let kinds: [UInt8] = [0x20, 0x0A, 0x0D, 0x09]
        var document: [UInt8] = [UInt8(ascii: "[")]
        var expected: [[Value]] = []
        for record in 0..<400 {
            var gap = 0
            func space() -> [UInt8] {
                gap += 1
                let length = (record * 7 + gap * 3) % 21
                return (0..<length).map { kinds[($0 + record + gap) % kinds.count] }
            }
            if record > 0 { document += space() + [UInt8(ascii: ",")] }
            document += space() + Array(#"{"#.utf8) + space() + Array(#""s""#.utf8) + space() + [UInt8(ascii: ":")] + space()
            document += Array(#""v\#(record)""#.utf8) + space() + [UInt8(ascii: ",")] + space() + Array(#""n""#.utf8) + space()
            document += [UInt8(ascii: ":")] + space() + Array("\(record)".utf8) + space() + Array(#"}"#.utf8)
            expected.append([.string("v\(record)"), .int64(Int64(record))])
        }
        document += Array("\n ]  \n".utf8)
        let decoder = JSONRecordDecoder(schema: Schema([Field("s", .string), Field("n", .int64)]))
        var rejects: [Reject] = []
        let read = try document.withUnsafeBufferPointer { bytes throws(SluiceError) in try decoder.decode(bytes, source: "spaced.json", rejects: &rejects) }
        #expect(read == 400)
        #expect(rejects.isEmpty)
        #expect(decoder.takeBatch().rows == expected)
    }

    @Test("escaped keys and nested keys match at the top level and inside objects")
    func keys() throws {
        let schema = Schema([Field("s", .string), Field("n", .int64), Field("outer.key_of_nine", .string), Field("outer.inner.deep", .string)])
        let text = #"""
        {"\u0073": "x", "n": 1, "outer": {"key_of_nin\u0065": "v", "inner": {"deep": "d", "skipped": {"a": 1}}, "other": 2}}
        {"outer": {"inner": {"deep": "e"}, "key_of_nine": "w"}, "n": 2, "s": "y", "outer.key_of_nine": "flat"}
        """#
        let decoder = JSONRecordDecoder(schema: schema)
        var rejects: [Reject] = []
        let document = Array(text.utf8)
        let read = try document.withUnsafeBufferPointer { bytes throws(SluiceError) in try decoder.decode(bytes, source: "keys.json", rejects: &rejects) }
        #expect(read == 2)
        #expect(rejects.isEmpty)
        // A flat key spelled like a flattened path is the same column; the first value wins.
        #expect(decoder.takeBatch().rows == [
            [.string("x"), .int64(1), .string("v"), .string("d")],
            [.string("y"), .int64(2), .string("w"), .string("e")],
        ])
    }
}
