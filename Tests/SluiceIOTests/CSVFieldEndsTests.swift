import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceTestSupport
import Testing

/// The tokenizer finds unquoted fields' ends from 64-byte masks and flags non-ASCII bytes from
/// them; fields shorter and longer than a block, starting anywhere in one, and a buffer's end
/// (where it falls back to eight-byte words and single bytes) must all read as a plain split would.
@Suite("CSV field ends from 64-byte masks")
struct CSVFieldEndsTests {
    @Test("fields of 0 to 150 bytes, with UTF-8 and invalid bytes at any position, read as a plain split of each line", arguments: [1, 2, 3])
    func fieldEnds(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var file: [UInt8] = Array("a,b,c\n".utf8)
        var expectedRows: [[Value]] = []
        var expectedRejects: [String] = []
        for line in 2...600 {
            var fields: [[UInt8]] = []
            var valid = true
            for _ in 0..<3 {
                let length = Int(random.next() % 151)
                var field: [UInt8] = []
                while field.count < length {
                    switch random.next() % 40 {
                    case 0: field += Array("é".utf8)
                    case 1 where random.next() % 8 == 0:
                        field.append(0xFF)
                        valid = false
                    default: field.append(UInt8(ascii: "a") + UInt8(random.next() % 26))
                    }
                }
                fields.append(field)
            }
            file += fields.joined(separator: [UInt8(ascii: ",")]) + [UInt8(ascii: "\n")]
            if valid {
                expectedRows.append(fields.map { $0.isEmpty ? .null : .string(String(decoding: $0, as: UTF8.self)) })
            } else {
                expectedRejects.append("\(line):\(RejectKind.invalidUTF8)")
            }
        }
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("field-ends.csv")
        try Data(file).write(to: url)
        let options = CSVOptions(delimiter: UInt8(ascii: ","), columnTypes: ["a": .string, "b": .string, "c": .string])
        for (splitBytes, workers, batchRows) in [(nil, 1, 4_096), (997, 2, 7), (64, 3, 100)] as [(Int?, Int, Int)] {
            let reading = CSVReading.of(url.path, options: options, splitBytes: splitBytes, workers: workers, batchRows: batchRows)
            let setting = "split \(splitBytes.map(String.init) ?? "auto"), workers \(workers)"
            #expect(reading.error == nil)
            // The first row that differs, rather than every row of both.
            let differs = zip(reading.rows, expectedRows).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(differs == nil, "\(setting): row \(differs?.offset ?? -1) read as \(differs?.element.0 ?? []), not \(differs?.element.1 ?? [])")
            #expect(reading.rows.count == expectedRows.count, "\(setting)")
            #expect(Set(reading.rejects).symmetricDifference(expectedRejects).isEmpty, "\(setting)")
        }
    }
}
