import SluiceCore
import Testing

@Suite("Reject sink")
struct RejectSinkTests {
    static func reject(_ line: Int, source: String = "a.csv", column: String? = nil) -> Reject {
        Reject(source: source, line: line, byteOffset: line * 10, column: column, kind: line % 2 == 0 ? .fieldCount : "unknown_action",
               raw: "row \(line),\"quoted\",é", message: "reason for line \(line)")
    }

    @Test("a reject's rejects.csv line quotes what needs quoting, leaves an absent column empty and keeps UTF-8")
    func csvLine() {
        var out = Array(RejectCSV.header.utf8)
        RejectCSV.append(Self.reject(7), to: &out)
        RejectCSV.append(Reject(source: "dir, with comma/b.csv", line: 12, byteOffset: -1, column: "credits", kind: .castFailure,
                                raw: "two\r\nlines", message: "'x' is not a number"), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == """
            source,line,byte_offset,column,kind,raw,message
            a.csv,7,70,,unknown_action,"row 7,\"\"quoted\"\",é",reason for line 7
            "dir, with comma/b.csv",12,-1,credits,cast_failure,"two\r
            lines",'x' is not a number

            """)
    }

    @Test("keeps every reject, in order, past the in-memory share (spilled runs merged)", arguments: [1, 7, 1000])
    func keepsAll(retain: Int) throws {
        let sink = RejectSink(retain: retain)
        // Two tasks' rejects interleaved out of order, across two sources.
        var expected: [Reject] = []
        for chunk in stride(from: 0, to: 300, by: 30) {
            let batch = (chunk..<chunk + 30).reversed().map { Self.reject($0 + 1, source: $0 % 3 == 0 ? "b.csv" : "a.csv", column: $0 % 5 == 0 ? "x" : nil) }
            expected += batch
            try sink.add(batch)
        }
        expected.sort { ($0.source, $0.line) < ($1.source, $1.line) }
        #expect(try sink.allRejects() == expected)
        #expect(sink.totalRejected == 300)
        #expect(try sink.firstRejects(3) == Array(expected.prefix(3)))
        var batches = 0, seen = 0
        try sink.forEachSorted(batchRows: 64) { batch in
            batches += 1
            seen += batch.count
            #expect(batch.count <= 64)
        }
        #expect(seen == 300 && batches == 5)
        #expect(sink.totalsByKind == [.fieldCount: 150, "unknown_action": 150])
    }

    @Test("an unwritable spill directory is an I/O error naming it")
    func unwritable() throws {
        let sink = RejectSink(retain: 2, temporaryDirectory: "/nonexistent/sluice")
        try sink.add([Self.reject(1)])
        #expect {
            try sink.add([Self.reject(2)])
        } throws: { error in
            (error as? SluiceError)?.kind == .io && (error as? SluiceError)?.location == "/nonexistent/sluice"
        }
    }
}
