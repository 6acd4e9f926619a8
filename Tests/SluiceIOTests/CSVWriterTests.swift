import Foundation
import SluiceCore
import SluiceIO
import SluiceTestSupport
import Testing

@Suite("CSV writer")
struct CSVWriterTests {
    /// The text a row-at-a-time writer gives: the reference the columnar writer must match.
    static func reference(_ rows: [[Value]]) -> String {
        rows.map { row in
            row.map { value -> String in
                switch value {
                case .null: return ""
                case .string(let text):
                    guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
                    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                default: return value.description
                }
            }.joined(separator: ",") + "\n"
        }.joined()
    }

    static let fields: [(String, DataType)] = [("id", .string), ("note", .string), ("n", .int64), ("amount", .decimal(precision: 12, scale: 2))]

    static func rows(_ count: Int, quoting: Bool) -> [[Value]] {
        (0..<count).map { row in
            let note: Value = row % 5 == 0 ? .null : .string(quoting && row % 7 == 0 ? "a, \"b\"\nc" : "note \(row)")
            return [row % 3 == 0 ? .null : .string("id-\(row)"), note, row % 11 == 0 ? .null : .int64(Int64(row) - 50),
                    .decimal(Int64(row * 37) - 900, scale: 2)]
        }
    }

    @Test("nulls are empty, quotes only where needed, pieces joined in order", arguments: [(10, false), (10, true), (70_000, false), (70_000, true)])
    func matchesReference(rows count: Int, quoting: Bool) throws {
        let rows = Self.rows(count, quoting: quoting)
        let batch = try TestSupport.batch(Self.fields, rows)
        var bytes: [UInt8] = []
        CSVWriter().appendRows(batch, to: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == Self.reference(rows))
        #expect(text.hasPrefix(",note 1,-50,-9.00\n") == false)
        #expect(text.hasPrefix(",,,-9.00\nid-1,note 1,-49,-8.63\n"))
    }

    @Test("a slice of a column (nonzero first offset) writes only its rows")
    func slicedColumns() throws {
        let batch = try TestSupport.batch(Self.fields, Self.rows(40, quoting: true))
        let slice = batch.slice(10..<13)
        var bytes: [UInt8] = []
        CSVWriter().appendRows(slice, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == Self.reference(Array(Self.rows(40, quoting: true)[10..<13])))
    }
}
