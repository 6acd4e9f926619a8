import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

/// What one reading of a CSV file gave: rows in file order, rejects by line and kind, and the
/// file's counts; or the error that stopped it. Two settings agree when these are equal.
struct CSVReading: Equatable {
    var rows: [[Value]] = []
    var rejects: [String] = []
    var counts = SourceCountsTotal(read: 0, passed: 0, rejected: 0)
    var error: String?

    static func of(_ path: String, options: CSVOptions, splitBytes: Int?, workers: Int, batchRows: Int = 4_096) -> CSVReading {
        do {
            let source = try CSVSource(path: path, options: options)
            let runtime = ExecutionRuntime(config: ExecutionConfig(workers: workers, batchRows: batchRows, splitBytes: splitBytes))
            let batch = try DataFrame(source).collectBatch(runtime: runtime)
            let rejects = try source.rejects.allRejects().map { "\($0.line ?? 0):\($0.kind)" }.sorted()
            return CSVReading(rows: batch.rows, rejects: rejects, counts: source.sourceCountsTotal)
        } catch {
            return CSVReading(error: "\(error)")
        }
    }
}

@Suite("CSV quotes: a stray quote costs at most its row, and splits never change the result")
struct CSVQuoteTests {
    static let settings: [(splitBytes: Int?, workers: Int)] = [(nil, 1), (1, 2), (7, 3), (64, 2), (4_096, 4), (1 << 20, 2)]

    /// Reads `text` under every setting, expects them all to agree, and returns the reading.
    static func agreed(_ text: String, options: CSVOptions) throws -> CSVReading {
        let path = try TestSupport.writeTemporaryFile(text)
        let expected = CSVReading.of(path, options: options, splitBytes: nil, workers: 1)
        for setting in settings {
            let reading = CSVReading.of(path, options: options, splitBytes: setting.splitBytes, workers: setting.workers)
            #expect(reading == expected, "split \(setting.splitBytes.map(String.init) ?? "auto"), workers \(setting.workers)")
        }
        return expected
    }

    static var options: CSVOptions {
        CSVOptions(delimiter: UInt8(ascii: "|"), columnTypes: ["id": .int64, "product": .string, "units": .int64])
    }

    @Test("a quote inside an unquoted field is a literal character")
    func literalQuote() throws {
        let text = "id|product|units\n" + (1...40).map { "\($0)|\($0 % 7 == 0 ? "FO\"OD\($0)" : "FOOD\($0)")|\($0)" }.joined(separator: "\n") + "\n"
        let reading = try Self.agreed(text, options: Self.options)
        #expect(reading.error == nil)
        #expect(reading.rows.count == 40)
        #expect(reading.rejects.isEmpty)
        #expect(reading.rows[6][1] == .string("FO\"OD7"))
    }

    @Test("an opening quote that never closes rejects its own line, near the end or mid-file")
    func unterminatedNearEnd() throws {
        var lines = (1...30).map { "\($0)|FOOD\($0)|\($0)" }
        lines[26] = "27|\"FOOD27|27"
        lines[3] = "4|\"FOOD4|4"
        let reading = try Self.agreed("id|product|units\n" + lines.joined(separator: "\n") + "\n", options: Self.options)
        #expect(reading.rows.count == 28)
        #expect(reading.rejects == ["28:unterminated_quote", "5:unterminated_quote"])
        #expect(reading.counts == SourceCountsTotal(read: 30, passed: 28, rejected: 2))
    }

    @Test("quoted newlines within the bound are one record; line numbers stay physical")
    func multiLine() throws {
        let text = "id|product|units\n1|\"two\nlines\"|1\n2|\"three\n\nlines\"|2\n3|plain|3\n"
        let reading = try Self.agreed(text, options: Self.options)
        #expect(reading.rows.map { $0[1] } == [.string("two\nlines"), .string("three\n\nlines"), .string("plain")])
        var tight = Self.options
        tight.maxQuotedLines = 2
        let bounded = try Self.agreed(text, options: tight)
        // The three-line value breaks the bound: its first line is rejected, then "" and
        // `lines"|2` are read as records of their own (the blank line is skipped).
        #expect(bounded.rows.map { $0[0] } == [.int64(1), .int64(3)])
        #expect(bounded.rejects == ["4:unterminated_quote", "6:field_count"])
    }

    @Test("text that parses two ways for its whole length gives one answer for every split")
    func ambiguousParity() throws {
        let pairs = (1...200).map { "\($0)|x\"|\($0)\n\"|y|\($0)" }.joined(separator: "\n")
        let reading = try Self.agreed("id|product|units\n" + pairs + "\n", options: Self.options)
        #expect(reading.error == nil)
        #expect(reading.counts.read == reading.counts.passed + reading.counts.rejected)
    }

    @Test("the seed file with a quote opened near its end loses exactly that row", arguments: [0.1, 0.5, 0.98])
    func seedQuote(at fraction: Double) throws {
        let seed = try String(contentsOfFile: TestSupport.seedFile("transaction.csv"), encoding: .utf8)
        var lines = seed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let target = Int(Double(lines.count - 2) * fraction) + 1
        var fields = lines[target].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        fields[3] = "\"" + fields[3]
        lines[target] = fields.joined(separator: "|")
        let options = CSVOptions(delimiter: UInt8(ascii: "|"), columnTypes: ["transactionId": .string, "custId": .string,
                                                                             "transactionDate": .date, "productSold": .string, "unitsSold": .int64])
        let path = try TestSupport.writeTemporaryFile(lines.joined(separator: "\n"))
        let expected = CSVReading.of(path, options: options, splitBytes: nil, workers: 1)
        #expect(expected.rejects == ["\(target + 1):unterminated_quote"])
        #expect(expected.counts.read == 13_355)
        #expect(expected.counts.passed == 13_354)
        for splitBytes in [4_096, 65_536, 100_003] {
            #expect(CSVReading.of(path, options: options, splitBytes: splitBytes, workers: 2) == expected)
        }
    }
}
