import SluiceCore
import SluiceIO
import Testing

/// The line each decoded object starts on, as provenance reports it (issue 10, items 5–6).
@Suite("JSON object lines")
struct JSONProvenanceTests {
    @Test("every object's first line, across newline runs of any length and both layouts", arguments: [true, false])
    func lines(array: Bool) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound + 1))
        }
        var text = array ? "[" : ""
        var expected: [Int64] = []
        var line: Int64 = 1
        for index in 0..<400 {
            // Runs of 0…300 newlines (or spaces, which must not count) cross every block size.
            let newlines = (array ? 0 : 1) + next(300)
            let padding = String(repeating: " ", count: next(40))
            if index > 0 { text += array ? "," : "" }
            text += String(repeating: "\n", count: newlines) + padding
            line += Int64(newlines)
            expected.append(line)
            text += "{\"a\": \(index),\n \"b\": \"x\"}"
            line += 1
        }
        text += array ? "]" : "\n"
        let decoder = JSONRecordDecoder(schema: Schema([Field("a", .int64), Field("b", .string)]))
        decoder.recordsLines = true
        var rejects: [Reject] = []
        var bytes = Array(text.utf8)
        let read = try bytes.withUnsafeMutableBufferPointer { buffer in
            try decoder.decode(UnsafeBufferPointer(buffer), source: "x.json", rejects: &rejects)
        }
        let batch = decoder.takeBatch()
        #expect(read == 400 && rejects.isEmpty && batch.rowCount == 400)
        #expect(decoder.batchLines == expected)
    }
}
