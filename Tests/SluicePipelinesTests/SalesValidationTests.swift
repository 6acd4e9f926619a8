import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
@testable import SluicePipelines
import SluiceTestSupport
import Testing

@Suite("sales validation")
struct SalesValidationTests {
    static let fixture = """
        sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency,total_amount
        1,2026-11-05T14:23:11Z,S001,P0001,2,10.50,USD,21.00
         2 ,2026-11-05T01:30:00+02:00, S002 ,P0002,1,5,eur,
        3,2026-11-05 23:59:59.5,S003,P0003,5,250.00,GBP,1250
        4,2026-11-05T10:00:00,S001,P0001,3,1.00,JPY,3.00
        ,2026-11-05T10:00:00,S001,P0001,1,1.00,USD,1.00
        6,,S001,P0001,1,1.00,USD,1.00
        7,2026-11-05,S001,P0001,1,1.00,USD,1.00
        8,2026-11-05T10:00:00,S001,P0001,0,1.00,USD,0.00
        9,2026-11-05T10:00:00,S001,P0001,2.5,1.00,USD,2.50
        10,2026-11-05T10:00:00,S001,P0001,1,-3.00,USD,-3.00
        11,2026-11-05T10:00:00,S001,P0001,1,1.005,USD,1.005
        12,2026-11-05T10:00:00,S001,P0001,2,1.00,USD,3.00
        13,2026-11-05T10:00:00,S001,,2,1.00,USD,2.00
        14,2026-11-05T10:00:00+05:00,S001,P0001,2,abc,USD,
        15,2026-11-05T10:00:00,S001,P0001,2,1.00,,2.00
        16,2026-11-05T10:00:00,S001,P0001,2,1.00,USD,two
        17,2026-12-31T23:59:60Z,S001,P0001,1,1.00,USD,1.00

        """

    static func run(_ text: String, workers: Int = 2, batchRows: Int = 65_536) throws -> (rows: [[Value]], rejects: [Reject], counts: SourceCounts) {
        let path = try TestSupport.writeTemporaryFile(text, name: "sales.csv")
        let runtime = TestSupport.runtime(workers: workers, batchRows: batchRows)
        let source = try CSVSource(path: path, options: SalesValidation.csvOptions(), rejects: runtime.rejects)
        let batch = try SalesValidation.validated(source).sort(.asc(Provenance.lineColumn)).collectBatch(runtime: runtime)
        return (batch.rows, try runtime.rejects.allRejects(), try #require(runtime.rejects.sourceCounts.first))
    }

    static func micros(_ text: String) -> Value { DateTimeFormat.isoTimestamp.parseTimestamp(text).map(Value.timestamp) ?? .null }

    @Test("valid rows are trimmed and typed, times in UTC; every other row has one reason", arguments: [1, 2])
    func rules(workers: Int) throws {
        let (rows, rejects, counts) = try Self.run(Self.fixture, workers: workers, batchRows: 3)
        let day = Value.date(DateEncoding.parseDate("2026-11-05") ?? 0), before = Value.date(DateEncoding.parseDate("2026-11-04") ?? 0)
        #expect(rows.map { Array($0.prefix(9)) } == [
            [.string("1"), Self.micros("2026-11-05 14:23:11"), day, .string("S001"), .string("P0001"), .int64(2), .decimal(1050, scale: 2),
             .string("USD"), .decimal(2100, scale: 2)],
            [.string("2"), Self.micros("2026-11-04 23:30:00"), before, .string("S002"), .string("P0002"), .int64(1), .decimal(500, scale: 2),
             .string("EUR"), .null],
            [.string("3"), .timestamp((DateTimeFormat.isoTimestamp.parseTimestamp("2026-11-05 23:59:59") ?? 0) + 500_000), day, .string("S003"), .string("P0003"),
             .int64(5), .decimal(25000, scale: 2), .string("GBP"), .decimal(125_000, scale: 2)],
        ])
        #expect(rejects.map(\.line) == Array(5...18))
        #expect(rejects.map(\.kind.rawValue) == [
            "unknown_currency", "missing_field", "missing_field", "invalid_sale_ts", "invalid_quantity", "invalid_quantity", "invalid_unit_price",
            "invalid_unit_price", "total_mismatch", "missing_field", "invalid_unit_price", "unknown_currency", "invalid_total", "invalid_sale_ts",
        ])
        #expect(rejects.map(\.message) == [
            "currency 'JPY' is not one of USD, EUR, GBP", "missing sale_id", "missing sale_ts", "sale_ts '2026-11-05' is not an ISO 8601 time",
            "quantity 0 is not above 0", "quantity '2.5' is not an integer", "negative unit_price '-3.00'",
            "unit_price '1.005' has more than 2 decimal places", "total_amount 3.00 is not quantity × unit_price = 2.00", "missing product_id",
            "unit_price 'abc' is not a number", "missing currency", "total_amount 'two' is not a number with at most 2 decimal places",
            "sale_ts '2026-12-31T23:59:60Z' is a leap second (:60), which a timestamp cannot hold: write :59 or the next minute",
        ])
        #expect(counts.read == 17 && counts.passed == 3 && counts.rejected == 14)
    }

    @Test("a file without total_amount is validated on the seven columns; its totals are null")
    func withoutTotal() throws {
        let (rows, rejects, counts) = try Self.run("sale_id,sale_ts,store_id,product_id,quantity,unit_price,currency\n1,2026-11-05T00:00:00Z,S001,P0001,1,2.00,USD\n")
        #expect(rejects.isEmpty && counts.read == 1)
        #expect(rows.first?[8] == .null)
    }

    @Test("on a generated file with mess, the rejects are exactly the rows the generator spoiled")
    func generatedMess() throws {
        var bytes: [UInt8] = []
        try SalesGenerator(rows: 60_000, seed: 5, totalAmount: true, mess: 2).write(workers: 2) { bytes += $0 }
        let text = String(decoding: bytes, as: UTF8.self)
        var spoiled = 0
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let quantity = Int64(fields[4]) ?? 0
            let price = DecimalMath.parse(String(fields[5]), scale: 2) ?? 0, total = DecimalMath.parse(String(fields[7]), scale: 2) ?? 0
            if fields[0...3].contains(where: \.isEmpty) || quantity == 0 || price < 0 || fields[6] == "JPY" || total != quantity * price { spoiled += 1 }
        }
        let (rows, rejects, counts) = try Self.run(text)
        #expect(spoiled > 500)  // 1.2 % at level 2
        #expect(rejects.count == spoiled)
        #expect(rows.count == 60_000 - spoiled)
        #expect(counts.read == 60_000 && counts.passed + counts.rejected == 60_000)
    }
}
