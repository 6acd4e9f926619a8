import SluiceCore
import SluiceIO
import Testing

/// The JSON decoder reads an object whose layout (keys, order, spacing) repeats the last one
/// by comparing the bytes between values; these mix runs of objects in many layouts, so the
/// shape is kept, replayed, found not to fit and rebuilt, and check every row and reject
/// against what each object says.
@Suite("JSON objects read by the layout of the last one")
struct JSONShapeTests {
    /// One object's text in some layout, and its row (nil when it must be rejected).
    static func object(_ index: Int, layout: Int) -> (text: String, row: [Value]?) {
        let a = Int64(index), b = "s\(index)"
        switch layout {
        case 0: return ("{\n    \"a\": \(a),\n    \"b\": \"\(b)\",\n    \"c\": true\n  }", [.int64(a), .string(b), .bool(true), .null])
        case 1: return ("{\n    \"b\": \"\(b)\",\n    \"a\": \(a),\n    \"c\": false\n  }", [.int64(a), .string(b), .bool(false), .null])
        case 2: return ("{\"a\":\(a),\"b\":\"\(b)\"}", [.int64(a), .string(b), .null, .null])
        case 3: return ("{\"a\": \(a), \"x\": [1, {\"y\": 2}], \"b\": \"\(b)\", \"c\": null}", [.int64(a), .string(b), .null, .null])
        case 4: return ("{\"a\": \(a), \"b\": \"\(b)\", \"n\": {\"v\": \(a * 2)}}", [.int64(a), .string(b), .null, .int64(a * 2)])
        case 5: return ("{\"a\": \(a), \"a\": 999, \"b\": \"\(b)\"}", [.int64(a), .string(b), .null, .null])
        case 6: return ("{\"a\": \"text\", \"b\": \"\(b)\"}", nil)
        case 7: return ("{\"a\": \(a), \"b\": \"q\\\"\(index)\"}", [.int64(a), .string("q\"\(index)"), .null, .null])
        case 8: return ("{\"a\": \(a), \"b\": {\"k\": \(index)}}", [.int64(a), .string("{\"k\": \(index)}"), .null, .null])
        case 9: return ("{\"\\u0061\": \(a), \"b\": \"\(b)\"}", [.int64(a), .string(b), .null, .null])
        default: return ("{}", [.null, .null, .null, .null])
        }
    }

    @Test("runs of ten layouts, in arrays and NDJSON, read as each object says", arguments: [true, false])
    func layouts(array: Bool) throws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var texts: [String] = []
        var expected: [[Value]] = []
        var rejected = 0
        var layout = 0
        // First, layouts whose pieces are prefixes of each other's (`{"a":` and `{"a": `), in
        // turn; then mostly runs of one layout, so layouts are replayed, with switches.
        let opening = [2, 2, 3, 3, 2, 3, 0, 2, 2, 3, 1, 3, 3, 2]
        for index in 0..<3_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            if index < opening.count {
                layout = opening[index]
            } else if (state >> 33) % 9 == 0 {
                layout = Int((state >> 40) % 11)
            }
            let (text, row) = Self.object(index, layout: layout)
            texts.append(text)
            if let row { expected.append(row) } else { rejected += 1 }
        }
        let document = array ? "[\n  " + texts.joined(separator: ",\n  ") + "\n]\n" : texts.map { String($0.map { $0 == "\n" ? " " : $0 }) }.joined(separator: "\n") + "\n"
        let schema = Schema([Field("a", .int64), Field("b", .string), Field("c", .bool), Field("n.v", .int64)])
        let decoder = JSONRecordDecoder(schema: schema)
        var rejects: [Reject] = []
        let read = try Array(document.utf8).withUnsafeBufferPointer { bytes throws(SluiceError) in
            try decoder.decode(bytes, source: "shapes.json", rejects: &rejects)
        }
        let batch = decoder.takeBatch()
        #expect(read == texts.count)
        #expect(rejects.count == rejected)
        #expect(rejects.allSatisfy { $0.kind == .typeConflict })
        #expect(batch.rowCount == expected.count)
        for (index, (row, want)) in zip(batch.rows, expected).enumerated() where row != want {
            Issue.record("row \(index): \(row) instead of \(want)")
            break
        }
    }
}
