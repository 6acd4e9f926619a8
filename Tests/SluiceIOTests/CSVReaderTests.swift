import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

@Suite("CSV reader")
struct CSVReaderTests {
    static func read(_ text: String, options: CSVOptions = CSVOptions(), splitBytes: Int? = nil, workers: Int = 2) throws -> (RecordBatch, CSVSource) {
        let path = try TestSupport.writeTemporaryFile(text)
        let source = try CSVSource(path: path, options: options)
        let runtime = ExecutionRuntime(config: ExecutionConfig(workers: workers, batchRows: 7, splitBytes: splitBytes))
        return (try DataFrame(source).collectBatch(runtime: runtime), source)
    }

    @Test("pipe-delimited with header: delimiter detected, ids with leading zeros stay text")
    func pipe() throws {
        let (batch, source) = try Self.read("id|cust|day|units\n1|0023938|2011-01-11|5\n2|0000001|2011-01-12|7\n")
        #expect(source.dialect.delimiter == UInt8(ascii: "|"))
        #expect(source.schema.fields.map(\.type) == [.int64, .string, .date, .int64])
        #expect(batch.rows == [
            [.int64(1), .string("0023938"), .date(DateEncoding.parseDate("2011-01-11") ?? 0), .int64(5)],
            [.int64(2), .string("0000001"), .date(DateEncoding.parseDate("2011-01-12") ?? 0), .int64(7)],
        ])
    }

    @Test("quoted fields: delimiters, doubled quotes, newlines, CRLF, BOM")
    func quoting() throws {
        let text = "\u{FEFF}name,note\r\n\"Smith, J\",\"said \"\"hi\"\"\"\r\nplain,\"two\r\nlines\"\r\n\"\",last\r\n"
        let (batch, source) = try Self.read(text)
        #expect(source.schema.names == ["name", "note"])
        #expect(try source.rejects.allRejects().map(\.message) == [])
        #expect(batch.rows == [
            [.string("Smith, J"), .string("said \"hi\"")],
            [.string("plain"), .string("two\r\nlines")],
            [.string(""), .string("last")],
        ])
    }

    @Test("a quoted newline straddling every possible split boundary", arguments: [1, 2, 3, 5, 8, 13, 21, 34, 64, 1 << 20])
    func splits(splitBytes: Int) throws {
        var text = "k,v\n"
        for index in 0..<30 {
            text += index % 3 == 0 ? "\(index),\"multi\nline \(index), with \"\"quotes\"\"\"\n" : "\(index),plain \(index)\n"
        }
        let (expected, _) = try Self.read(text, splitBytes: 1 << 30, workers: 1)
        let (batch, source) = try Self.read(text, splitBytes: splitBytes, workers: 3)
        #expect(expected.rowCount == 30)
        #expect(batch.rows == expected.rows)
        #expect(source.rejects.totalRejected == 0)
    }

    @Test("a header-only file has no rows and no rejects")
    func headerOnly() throws {
        let (batch, source) = try Self.read("a,b\n", options: CSVOptions(columnTypes: ["a": .int64, "b": .string]))
        #expect(batch.rowCount == 0)
        #expect(source.sourceCountsTotal == SourceCountsTotal(read: 0, passed: 0, rejected: 0))
    }

    @Test("rejects: field count, cast failure, invalid UTF-8, long line; read = passed + rejected", arguments: [1 << 20])
    func rejects(splitBytes: Int) throws {
        var bytes = Array("id,name,qty\n1,ok,3\n2,short\n3,bad,x\n".utf8)
        bytes += [0x34, 0x2C, 0x61, 0xFF, 0x62, 0x2C, 0x35, 0x0A]  // 4,a\xFFb,5
        bytes += Array("5,\"never closed,1\n6,fine,6\n".utf8)
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("bad.csv")
        try Data(bytes).write(to: url)
        var options = CSVOptions(columnTypes: ["id": .int64, "name": .string, "qty": .int64])
        options.maxLineBytes = 12
        let source = try CSVSource(path: url.path, options: options)
        let batch = try DataFrame(source).collectBatch(runtime: ExecutionRuntime(config: ExecutionConfig(workers: 2, splitBytes: splitBytes)))
        #expect(batch.rows.map { $0[0] } == [.int64(1), .int64(6)])
        let rejects = try source.rejects.allRejects()
        #expect(rejects.map(\.kind) == [.fieldCount, .castFailure, .invalidUTF8, .lineTooLong])
        #expect(rejects.map(\.line) == [3, 4, 5, 6])
        #expect(rejects[1].column == "qty")
        #expect(rejects[0].raw == "2,short")
        let counts = source.sourceCountsTotal
        #expect(counts.read == 6)
        #expect(counts.read == counts.passed + counts.rejected)
        #expect(counts.rejected == 4)
    }

    @Test("an unclosed quote is one unterminated_quote reject and the rows after it are read, whatever the splits",
          arguments: [3, 5, 8, 13, 1 << 20])
    func unclosedQuoteSplits(splitBytes: Int) throws {
        let path = try TestSupport.writeTemporaryFile("id,name\n1,a\n2,\"open\n3,b\n4,c\n5,d\n")
        var options = CSVOptions(columnTypes: ["id": .int64, "name": .string])
        options.maxQuotedLines = 3
        let source = try CSVSource(path: path, options: options)
        let batch = try DataFrame(source).collectBatch(runtime: ExecutionRuntime(config: ExecutionConfig(workers: 2, splitBytes: splitBytes)))
        #expect(batch.rows.map { $0[0] } == [.int64(1), .int64(3), .int64(4), .int64(5)])
        #expect(try source.rejects.allRejects().map(\.kind) == [.unterminatedQuote])
        #expect(try source.rejects.allRejects().map(\.line) == [3])
        #expect(try source.rejects.allRejects().first?.raw == "2,\"open")
        #expect(source.sourceCountsTotal == SourceCountsTotal(read: 5, passed: 4, rejected: 1))
    }

    @Test("bad inputs are clear errors of the right kind")
    func badInputs() throws {
        #expect(throws: SluiceError.self) { _ = try CSVSource(path: "/nonexistent/file.csv") }
        do {
            _ = try CSVSource(path: "/nonexistent/file.csv")
        } catch {
            #expect(error.kind == .configuration)
        }
        let empty = try TestSupport.writeTemporaryFile("")
        #expect(performing: { _ = try CSVSource(path: empty) }, throws: { ($0 as? SluiceError)?.kind == .data })
        let binary = try TestSupport.temporaryDirectory().appendingPathComponent("x.bin")
        try Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x01]).write(to: binary)
        #expect(performing: { _ = try CSVSource(path: binary.path) }, throws: { ($0 as? SluiceError)?.kind == .data })
        let wrong = try TestSupport.writeTemporaryFile("a|b\n1|2\n")
        #expect(performing: { _ = try CSVSource(path: wrong, options: CSVOptions(requiredColumns: ["custId"])) },
                throws: { ($0 as? SluiceError)?.message.contains("custId") == true })
    }
}

struct SourceCountsTotal: Equatable {
    var read: Int
    var passed: Int
    var rejected: Int
}

extension CSVSource {
    var sourceCountsTotal: SourceCountsTotal {
        let counts = rejects.sourceCounts
        return SourceCountsTotal(read: counts.reduce(0) { $0 + $1.read }, passed: counts.reduce(0) { $0 + $1.passed },
                                 rejected: counts.reduce(0) { $0 + $1.rejected })
    }
}
